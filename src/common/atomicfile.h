/* atomicfile.h: write a file so that readers see either the old one or the whole new one.
 *
 * afile_open creates an unnamed file (O_TMPFILE) in the destination's folder; afile_commit
 * flushes and fsyncs it, links it under a temporary name and renames that over the
 * destination (then fsyncs the folder); afile_abort drops it. A crash or kill at any point
 * leaves the previous file intact, and a kill while writing (kill -9, SIGXFSZ) leaves no
 * temporary file behind. Where O_TMPFILE is not supported (NFS, for one) the temporary is a
 * named `DST.tmp.HOST.PID.XXXXXX` from the start, which such a kill leaves; the next
 * afile_open of DST on that host removes the ones whose process is gone.
 */
#ifndef ST_ATOMICFILE_H
#define ST_ATOMICFILE_H

#include <stdio.h>

typedef struct {
    FILE *f;    /* write through this */
    char *tmp;  /* named temporary path (NULL while the file is unnamed), removed on abort */
    char *dst;  /* final path */
} afile_t;

int afile_open(afile_t *a, const char *path, char *err);
/* Closes and publishes the file; on failure the temporary is removed and dst untouched. */
int afile_commit(afile_t *a, char *err);
/* Closes and removes the temporary; safe on a zeroed or already finished afile_t. */
void afile_abort(afile_t *a);

/* Tests only: 1 makes afile_open take the named-temporary path that file systems without
 * O_TMPFILE get. */
void afile_use_named(int on);

#endif
