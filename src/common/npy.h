/* npy.h: NumPy .npy files (format 1.0/2.0, little-endian, C order).
 *
 * Used for `speechtrain features` output and for reading the reference fixtures that
 * the scripts/ generators produce with numpy. Readers validate the header and the file size, so a
 * truncated or foreign file is an error, never an out-of-bounds read.
 */
#ifndef ST_NPY_H
#define ST_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct {
    char kind;          /* 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool */
    int itemsize;       /* bytes per element */
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    size_t count;       /* product of shape */
    void *data;         /* count * itemsize bytes, malloc'd */
} npy_t;

int npy_read(const char *path, npy_t *out, char *err);
/* Reads any float or integer array and converts it to float32 (*data is malloc'd). */
int npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[NPY_MAX_DIMS], char *err);
void npy_free(npy_t *a);
/* Writes a float32 array atomically. */
int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, char *err);

#endif
