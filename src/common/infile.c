#include "common/infile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    return "not a regular file";
}

int infile_open_fd(const char *path, off_t *size, char *err)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        st_err(err, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        st_err(err, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        const char *k = kind_of(st.st_mode);
        st_err(err, "%s: %s%s, expected a regular file", path, k[0] == 'a' ? "is " : "", k);
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (size) *size = st.st_size;
    return fd;
}

FILE *infile_open(const char *path, off_t *size, char *err)
{
    int fd = infile_open_fd(path, size, err);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        st_err(err, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    return f;
}

int infile_read_all(const char *path, size_t max_bytes, const void *magic, size_t magic_len,
                    const char *what, unsigned char **buf, size_t *len, char *err)
{
    *buf = NULL;
    *len = 0;
    off_t sz;
    FILE *f = infile_open(path, &sz, err);
    if (!f) return -1;
    int rc = -1;
    unsigned char *b = NULL;
    if (magic && magic_len) {
        unsigned char head[64];
        size_t n = magic_len < sizeof head ? magic_len : sizeof head;
        if ((size_t)sz < n || fread(head, 1, n, f) != n || memcmp(head, magic, n) != 0) {
            st_err(err, "%s: not a %s (bad magic)", path, what);
            goto done;
        }
        rewind(f);
    }
    if (sz < 0 || (unsigned long long)sz > max_bytes) {
        st_err(err, "%s: %lld bytes is larger than any %s (at most %zu)", path, (long long)sz,
               what, max_bytes);
        goto done;
    }
    b = malloc(sz > 0 ? (size_t)sz : 1);
    if (!b) {
        st_err(err, "%s: out of memory reading %lld bytes", path, (long long)sz);
        goto done;
    }
    if (fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        st_err(err, "%s: read error", path);
        goto done;
    }
    *buf = b;
    *len = (size_t)sz;
    b = NULL;
    rc = 0;
done:
    free(b);
    fclose(f);
    return rc;
}
