/* modeltest.h: helpers shared by the tests/model suites that read PyTorch fixtures. */
#ifndef ST_MODELTEST_H
#define ST_MODELTEST_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "check_main.h"

/* Root mean square: the scale of the absolute tolerances (atol = k * rms(torch)). */
static inline double rms(const float *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return sqrt(s / (n ? n : 1));
}

#endif
