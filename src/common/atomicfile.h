/* atomicfile.h: write a file so that readers see either the old one or the whole new one.
 *
 * afile_open creates a temporary file beside the destination; afile_commit flushes, fsyncs
 * and renames it over the destination (then fsyncs the directory); afile_abort removes it.
 * A crash or kill at any point leaves the previous file intact.
 */
#ifndef ST_ATOMICFILE_H
#define ST_ATOMICFILE_H

#include <stdio.h>

typedef struct {
    FILE *f;    /* write through this */
    char *tmp;  /* temporary path, removed on abort */
    char *dst;  /* final path */
} afile_t;

int afile_open(afile_t *a, const char *path, char *err);
/* Closes and publishes the file; on failure the temporary is removed and dst untouched. */
int afile_commit(afile_t *a, char *err);
/* Closes and removes the temporary; safe on a zeroed or already finished afile_t. */
void afile_abort(afile_t *a);

#endif
