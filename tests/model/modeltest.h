/* modeltest.h: helpers shared by the tests/model suites that read PyTorch fixtures. */
#ifndef ST_MODELTEST_H
#define ST_MODELTEST_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/npy.h"

/* A float32 fixture array and its shape. */
typedef struct {
    float *d;
    size_t n;
    int64_t shape[NPY_MAX_DIMS];
    int ndim;
} arr_t;

/* Loads the .npy at path; fails the test when it cannot. */
static inline arr_t arr_load(const char *path)
{
    char err[ST_ERR_LEN];
    arr_t a = {0};
    if (npy_read_f32(path, &a.d, &a.ndim, a.shape, err) != 0) ck_abort_msg("%s", err);
    a.n = 1;
    for (int i = 0; i < a.ndim; i++) a.n *= (size_t)a.shape[i];
    return a;
}

/* Root mean square: the scale of the absolute tolerances (atol = k * rms(torch)). */
static inline double rms(const float *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return sqrt(s / (n ? n : 1));
}

#endif
