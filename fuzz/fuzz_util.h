/* fuzz_util.h: what the file-based fuzz targets share: the input written to a scratch file. */
#ifndef ST_FUZZ_UTIL_H
#define ST_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes data to /tmp/st-fuzz-<pid><suffix> (one per process, rewritten per input) and
 * returns the path. Aborts when it cannot: that is the harness failing, not the target. */
static inline const char *fuzz_file(const char *suffix, const uint8_t *data, size_t size)
{
    static char path[128];
    snprintf(path, sizeof path, "/tmp/st-fuzz-%ld%s", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    return path;
}

#endif
