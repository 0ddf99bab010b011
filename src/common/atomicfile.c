#include "common/atomicfile.h"

#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void afile_clear(afile_t *a)
{
    free(a->tmp);
    free(a->dst);
    a->f = NULL;
    a->tmp = a->dst = NULL;
}

int afile_open(afile_t *a, const char *path, char *err)
{
    a->f = NULL;
    a->tmp = a->dst = NULL;
    size_t n = strlen(path);
    a->dst = strdup(path);
    a->tmp = malloc(n + 16);
    if (!a->dst || !a->tmp) {
        afile_clear(a);
        return st_err(err, "%s: out of memory", path);
    }
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int e = errno;
        afile_clear(a);
        return st_err(err, "%s: cannot create file: %s", path, strerror(e));
    }
    /* mkstemp creates 0600; give the file the mode a plain fopen would (0666 less umask). */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        afile_clear(a);
        return st_err(err, "%s: cannot set file mode: %s", path, strerror(e));
    }
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        afile_clear(a);
        return st_err(err, "%s: cannot open: %s", path, strerror(e));
    }
    return 0;
}

static void fsync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int afile_commit(afile_t *a, char *err)
{
    if (!a->f) return st_err(err, "internal error: commit of a file that is not open");
    int bad = ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0;
    int e = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    if (!bad && rename(a->tmp, a->dst) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(a->tmp);
        int rc = st_err(err, "%s: write failed: %s", a->dst, strerror(e));
        afile_clear(a);
        return rc;
    }
    fsync_dir(a->dst);
    afile_clear(a);
    return 0;
}

void afile_abort(afile_t *a)
{
    if (a->f) fclose(a->f);
    if (a->tmp) unlink(a->tmp);
    afile_clear(a);
}
