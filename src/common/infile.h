/* infile.h: opening input files without surprises.
 *
 * Every reader of a user-named file goes through here, so that a directory, a FIFO, a device
 * or a huge file gets a clear error instead of a hang (a FIFO blocks a plain open until some
 * writer appears), an allocation of LONG_MAX bytes, or a read of gigabytes before the magic
 * is checked.
 */
#ifndef ST_INFILE_H
#define ST_INFILE_H

#include <stdio.h>
#include <sys/types.h>

/* Opens path for reading in binary mode; only regular files are accepted. The open itself
 * never blocks. *size (if not NULL) receives the file size. Returns NULL with err set. */
FILE *infile_open(const char *path, off_t *size, char *err);
/* The same as a file descriptor (for libraries that take one); -1 with err set. */
int infile_open_fd(const char *path, off_t *size, char *err);

/* Reads a whole regular file of at most max_bytes into a malloc'd buffer. When magic is not
 * NULL, its first magic_len bytes are read and compared before anything else is allocated,
 * and a mismatch is reported as "not a <what>". Returns 0 or -1 with err set. */
int infile_read_all(const char *path, size_t max_bytes, const void *magic, size_t magic_len,
                    const char *what, unsigned char **buf, size_t *len, char *err);

#endif
