/* mixtest.h: helpers shared by the tests/mix suites. */
#ifndef ST_MIXTEST_H
#define ST_MIXTEST_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "common/npy.h"
#include "common/rng.h"
#include "mix/mix.h"

/* tests/fixtures/mix/<name>, from ST_FIXTURES */
static inline const char *fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/mix/%s", check_fixtures_dir(), name);
    return buf;
}

/* Loads a float32 fixture; fails the test when it is missing. */
static inline float *load_f32(const char *name, int64_t *shape, int *ndim)
{
    arr_t a = arr_load(fixture(name));
    if (shape)
        for (int i = 0; i < a.ndim; i++) shape[i] = a.shape[i];
    if (ndim) *ndim = a.ndim;
    return a.d;
}

/* A config with one candidate mode. */
static inline mix_config_t config_only(int mode)
{
    mix_config_t c;
    mix_config_default(&c);
    c.ncand = 1;
    c.cand[0] = mode;
    for (int m = 0; m < MIX_NMODES; m++) c.weights[m] = m == mode;
    return c;
}

static inline void fill_uniform(float *x, size_t n, uint64_t seed)
{
    rng_t r;
    rng_init(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = (float)rng_range(&r, -1.0, 1.0);
}

/* power (H, W) <- |fft2(g)|^2, a separable DFT in double with twiddle tables */
static inline void dft_power(const float *g, int H, int W, double *power)
{
    double *re = malloc(sizeof(double) * H * W), *im = malloc(sizeof(double) * H * W);
    double *cw = malloc(sizeof(double) * W), *sw = malloc(sizeof(double) * W);
    double *ch = malloc(sizeof(double) * H), *sh = malloc(sizeof(double) * H);
    for (int j = 0; j < W; j++) {
        cw[j] = cos(-2 * M_PI * j / W);
        sw[j] = sin(-2 * M_PI * j / W);
    }
    for (int j = 0; j < H; j++) {
        ch[j] = cos(-2 * M_PI * j / H);
        sh[j] = sin(-2 * M_PI * j / H);
    }
    for (int y = 0; y < H; y++)
        for (int k = 0; k < W; k++) {
            double a = 0, b = 0;
            for (int x = 0, t = 0; x < W; x++, t = (t + k) % W) {
                a += g[y * W + x] * cw[t];
                b += g[y * W + x] * sw[t];
            }
            re[y * W + k] = a;
            im[y * W + k] = b;
        }
    for (int ky = 0; ky < H; ky++)
        for (int k = 0; k < W; k++) {
            double a = 0, b = 0;
            for (int y = 0, t = 0; y < H; y++, t = (t + ky) % H) {
                a += re[y * W + k] * ch[t] - im[y * W + k] * sh[t];
                b += re[y * W + k] * sh[t] + im[y * W + k] * ch[t];
            }
            power[ky * W + k] = a * a + b * b;
        }
    free(re);
    free(im);
    free(cw);
    free(sw);
    free(ch);
    free(sh);
}

#endif
