/* O_TMPFILE, AT_EMPTY_PATH */
#define _GNU_SOURCE

#include "common/atomicfile.h"

#include "common/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int force_named;

void afile_use_named(int on) { force_named = on; }

/* Temporaries are named DST.tmp.HOST.PID.XXXXXX: the host and process that write them, so a
 * later process can tell a stale one (its writer is gone) from one that is being written, also
 * on a folder that several machines share. */
static int tmp_prefix(char *buf, size_t len, const char *dst)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    for (char *h = host; *h; h++)
        if (*h == '.' || *h == '/') *h = '_';
    int n = snprintf(buf, len, "%s.tmp.%s.", dst, host);
    return n > 0 && (size_t)n < len ? n : -1;
}

/* Allocates a->tmp with room for a temporary name of a->dst and writes its prefix; the
 * prefix length, or -1 (a->tmp NULL) when out of memory or the path is too long. */
#define TMP_ROOM 320 /* bytes past the destination's path: ".tmp.", host, ".", the suffix */

static int tmp_begin(afile_t *a)
{
    size_t n = strlen(a->dst) + TMP_ROOM;
    int k = (a->tmp = malloc(n)) ? tmp_prefix(a->tmp, n, a->dst) : -1;
    if (k < 0) free(a->tmp), a->tmp = NULL;
    return k;
}

/* Removes the temporaries of dst that a process of this host left behind when it was killed
 * while writing (its PID is no longer running). Others are not touched. */
static void sweep_stale(const char *dst)
{
    char prefix[4096];
    if (tmp_prefix(prefix, sizeof prefix, dst) < 0) return;
    char *copy = strdup(dst), *copy2 = strdup(prefix);
    if (!copy || !copy2) return free(copy), free(copy2);
    const char *dir = dirname(copy), *base = basename(copy2);
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, base, bl)) continue;
        char *end;
        long pid = strtol(e->d_name + bl, &end, 10);
        if (end == e->d_name + bl || *end != '.' || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[8192];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path) unlink(path);
    }
    if (d) closedir(d);
    free(copy);
    free(copy2);
}

static void afile_clear(afile_t *a)
{
    free(a->tmp);
    free(a->dst);
    a->f = NULL;
    a->tmp = a->dst = NULL;
}

/* An unnamed file in dst's folder (O_TMPFILE): it has no name until afile_commit links it, so
 * a process killed while writing (kill -9, SIGXFSZ) leaves nothing behind. -1 where the file
 * system or kernel does not support it. The mode is 0666 less umask, as fopen would give. */
static int open_unnamed(const char *dst)
{
#ifdef O_TMPFILE
    if (force_named) return -1;
    char *copy = strdup(dst);
    if (!copy) return -1;
    int fd = open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    free(copy);
    return fd;
#else
    (void)dst;
    return -1;
#endif
}

/* A named temporary beside dst (mkstemp), for file systems without O_TMPFILE. */
static int open_named(afile_t *a, char *err)
{
    int k = tmp_begin(a);
    if (k < 0) return st_err(err, "%s: out of memory or path too long", a->dst);
    snprintf(a->tmp + k, strlen(a->dst) + TMP_ROOM - k, "%ld.XXXXXX", (long)getpid());
    int fd = mkstemp(a->tmp);
    if (fd < 0) return st_err(err, "%s: cannot create file: %s", a->dst, strerror(errno));
    /* mkstemp creates 0600; give the file the mode a plain fopen would (0666 less umask). */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        return st_err(err, "%s: cannot set file mode: %s", a->dst, strerror(e));
    }
    return fd;
}

int afile_open(afile_t *a, const char *path, char *err)
{
    a->f = NULL;
    a->tmp = NULL;
    a->dst = strdup(path);
    if (!a->dst) return st_err(err, "%s: out of memory", path);
    sweep_stale(path);
    int fd = open_unnamed(path);
    if (fd < 0) fd = open_named(a, err);
    if (fd < 0) {
        afile_clear(a);
        return -1;
    }
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int e = errno;
        close(fd);
        if (a->tmp) unlink(a->tmp);
        afile_clear(a);
        return st_err(err, "%s: cannot open: %s", path, strerror(e));
    }
    return 0;
}

/* Gives the unnamed file of fd a fresh name beside a->dst (a->tmp); 0 or -1 with errno. Only
 * the moment between this link and the rename that follows can leave a temporary behind. */
static int link_unnamed(afile_t *a, int fd)
{
    int p = tmp_begin(a);
    if (p < 0) return errno = ENAMETOOLONG, -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    for (unsigned k = 0; k < 1000; k++) {
        snprintf(a->tmp + p, strlen(a->dst) + TMP_ROOM - p, "%ld.%u", (long)getpid(), k);
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels; /proc works for anyone. */
        int rc = linkat(fd, "", AT_FDCWD, a->tmp, AT_EMPTY_PATH);
        if (rc != 0 && errno != EEXIST) rc = linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp, AT_SYMLINK_FOLLOW);
        if (rc == 0) return 0;
        if (errno != EEXIST) break;
    }
    free(a->tmp);
    a->tmp = NULL;
    return -1;
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
    if (!bad && !a->tmp && link_unnamed(a, fileno(a->f)) != 0) {
        bad = 1;
        e = errno;
    }
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
        if (a->tmp) unlink(a->tmp);
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
