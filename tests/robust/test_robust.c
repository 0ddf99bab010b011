/* Robustness evaluation: the eval-mode input gradient and FGSM against PyTorch autograd, the
 * waveform corruptions against numpy, the SNR of the noise corruptions, occlusion coverage.
 * References: scripts/gen_robust_fixtures.py (tests/fixtures/robust). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/corrupt.h"
#include "check_main.h"
#include "common/err.h"
#include "model/model.h"
#include "train/robust.h"

static const char *fixtures;

static arr_t load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/robust/%s", fixtures, name);
    return arr_load(path);
}

static double rms(const float *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return sqrt(s / (double)(n ? n : 1));
}

static void close_all(const char *what, const float *got, const float *want, size_t n, double rtol, double atol)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs((double)got[i] - want[i]) <= rtol * fabs(want[i]) + atol,
                      "%s[%zu]: ours %.8g reference %.8g", what, i, got[i], want[i]);
}

START_TEST(test_input_grad_and_fgsm)
{
    char err[ST_ERR_LEN];
    arr_t c = load("config.npy");
    model_config_t cfg = {(int)c.d[0], (int)c.d[1], (int)c.d[2], (int)c.d[3], (int)c.d[4]};
    int n = (int)c.d[5];
    float eps = c.d[6];
    free(c.d);
    model_t *m = model_init(&cfg, n, 1, err);
    ck_assert_msg(m != NULL, "%s", err);
    arr_t p = load("params.npy"), bs = load("bn_stats.npy"), x = load("x.npy"), lab = load("labels.npy");
    arr_t dx = load("dx.npy"), ax = load("adv_x.npy"), ap = load("adv_pred.npy");
    ck_assert_uint_eq(p.n, model_num_params(m));
    ck_assert_uint_eq(bs.n, model_num_bn_stats(m));
    memcpy(model_params(m), p.d, p.n * sizeof(float));
    memcpy(model_bn_stats(m), bs.d, bs.n * sizeof(float));
    int K = cfg.classes;
    float *y = calloc((size_t)n * K, sizeof *y), *g = malloc(x.n * sizeof *g), *adv = malloc(x.n * sizeof *adv);
    for (int i = 0; i < n; i++) y[i * K + (int)lab.d[i]] = 1.0f;
    /* After a train-mode forward the input gradient is refused. */
    ck_assert_int_eq(model_forward(m, x.d, n, 1), 0);
    memcpy(model_bn_stats(m), bs.d, bs.n * sizeof(float));
    model_loss(m, y, n);
    ck_assert_int_eq(model_input_grad(m, n, g), -1);
    float *grads_before = malloc(p.n * sizeof(float));
    memcpy(grads_before, model_grads(m), p.n * sizeof(float));
    ck_assert_int_eq(model_forward(m, x.d, n, 0), 0);
    model_loss(m, y, n);
    ck_assert_int_eq(model_input_grad(m, n, g), 0);
    ck_assert_int_eq(memcmp(grads_before, model_grads(m), p.n * sizeof(float)), 0);  /* untouched */
    close_all("dx", g, dx.d, dx.n, 1e-3, 1e-3 * rms(dx.d, dx.n));
    ck_assert_int_eq(model_input_grad(m, n, adv), -1);  /* one backward per forward */
    /* FGSM: the same step; entries whose gradient is too small for the sign to be certain
     * may differ, every other one must match exactly up to float rounding. */
    size_t differ = 0;
    for (size_t j = 0; j < x.n; j++) {
        float v = x.d[j] + (g[j] > 0 ? eps : g[j] < 0 ? -eps : 0.0f);
        adv[j] = v < -0.5f ? -0.5f : v > 0.5f ? 0.5f : v;
        if (fabsf(adv[j] - ax.d[j]) > 1e-6f) {
            differ++;
            ck_assert_msg(fabs(dx.d[j]) < 1e-3 * rms(dx.d, dx.n), "adv_x[%zu] differs with a clear gradient", j);
        }
    }
    ck_assert_uint_le(differ, x.n / 100);
    ck_assert_int_eq(model_forward(m, ax.d, n, 0), 0);
    const float *z = model_logits(m);
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (z[i * K + k] > z[i * K + best]) best = k;
        ck_assert_int_eq(best, (int)ap.d[i]);
    }
    free(y), free(g), free(adv), free(grads_before);
    free(p.d), free(bs.d), free(x.d), free(lab.d), free(dx.d), free(ax.d), free(ap.d);
    model_free(m);
}
END_TEST

static float *clip_copy(const arr_t *a)
{
    float *c = malloc(a->n * sizeof *c);
    memcpy(c, a->d, a->n * sizeof *c);
    return c;
}

START_TEST(test_corruptions_vs_numpy)
{
    arr_t x = load("clip.npy");
    int n = (int)x.n;
    struct { const char *file; int kind; } cases[] = {
        {"clip_clipping.npy", CORRUPT_CLIPPING}, {"clip_lowpass.npy", CORRUPT_LOWPASS},
        {"clip_gain.npy", CORRUPT_GAIN}, {"clip_speed.npy", CORRUPT_SPEED},
    };
    /* The fixtures use severity 3 of each (0.2 x peak, 2000 Hz, -40 dB, x1.3). */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        arr_t want = load(cases[k].file);
        float *c = clip_copy(&x);
        char err[ST_ERR_LEN];
        rng_t r;
        rng_init(&r, 1);
        ck_assert_int_eq(corrupt_apply(cases[k].kind, 3, c, n, 16000, NULL, 0, &r, err), 0);
        close_all(cases[k].file, c, want.d, want.n, 1e-5, 1e-6);
        free(c), free(want.d);
    }
    arr_t ir = load("ir.npy"), want = load("clip_reverb.npy");
    float *c = clip_copy(&x);
    ck_assert_int_eq(corrupt_convolve(c, n, ir.d, (int)ir.n), 0);
    close_all("reverb", c, want.d, want.n, 1e-4, 1e-5 * rms(want.d, want.n));
    free(c), free(ir.d), free(want.d), free(x.d);
}
END_TEST

/* The noise corruptions: the mixed clip's SNR is the stated one, to 0.1 dB, at every severity. */
START_TEST(test_noise_snr)
{
    arr_t x = load("clip.npy");
    int n = (int)x.n;
    long nl = 3 * n;
    float *noise = malloc((size_t)nl * sizeof *noise);
    rng_t r;
    rng_init(&r, 9);
    for (long i = 0; i < nl; i++) noise[i] = (float)(0.1 * sin(0.01 * i) + 0.05 * rng_normal(&r));
    for (int kind = CORRUPT_NOISE; kind <= CORRUPT_WHITE; kind++)
        for (int s = 1; s <= CORRUPT_SEVERITIES; s++) {
            float *c = clip_copy(&x);
            char err[ST_ERR_LEN];
            ck_assert_int_eq(corrupt_apply(kind, s, c, n, 16000, noise, nl, &r, err), 0);
            double ps = 0, pn = 0;
            for (int i = 0; i < n; i++) {
                ps += (double)x.d[i] * x.d[i];
                pn += ((double)c[i] - x.d[i]) * ((double)c[i] - x.d[i]);
            }
            double snr = 10 * log10(ps / pn);
            ck_assert_msg(fabs(snr - corrupt_level(kind, s)) < 0.1, "%s:%d SNR %.3f", corrupt_name(kind), s, snr);
            free(c);
        }
    char err[ST_ERR_LEN];
    ck_assert_int_eq(corrupt_apply(CORRUPT_NOISE, 1, x.d, n, 16000, noise, n - 1, &r, err), -1);
    free(noise), free(x.d);
}
END_TEST

START_TEST(test_reverb_ir_decay)
{
    /* Energy of the tail's last tenth vs its first tenth: 10^(-6 t/L) decay, about -54 dB. */
    rng_t r;
    rng_init(&r, 3);
    int len = corrupt_reverb_len(0.5, 16000);
    float *h = malloc((size_t)len * sizeof *h);
    corrupt_reverb_ir(h, len, 0.5, 16000, &r);
    ck_assert_float_eq(h[0], 1.0f);
    double e = 0, a = 0, b = 0;
    for (int t = 1; t < len; t++) e += (double)h[t] * h[t];
    for (int t = 1; t < len / 10; t++) a += (double)h[t] * h[t];
    for (int t = len - len / 10; t < len; t++) b += (double)h[t] * h[t];
    ck_assert_double_le(fabs(e - 1.0), 1e-5);
    ck_assert_double_le(fabs(10 * log10(b / a) + 54.0), 3.0);
    free(h);
}
END_TEST

START_TEST(test_occlusion_share)
{
    const int dims[][2] = {{32, 32}, {20, 24}, {7, 5}, {1, 1}};
    const double shares[] = {0, 0.1, 0.25, 0.5, 0.9, 1.0};
    for (size_t d = 0; d < 4; d++)
        for (size_t s = 0; s < 6; s++) {
            int H = dims[d][0], W = dims[d][1];
            unsigned char *m = malloc((size_t)H * W);
            rng_t r;
            rng_init(&r, 100 + s);
            robust_occlusion_mask(m, H, W, shares[s], &r);
            long c = 0;
            for (int i = 0; i < H * W; i++) c += m[i];
            ck_assert_int_eq(c, lround(shares[s] * H * W));
            free(m);
        }
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    if (!fixtures) return EXIT_FAILURE;
    if (!getenv("OMP_NUM_THREADS")) model_set_threads(2);
    Suite *s = suite_create("robust");
    TCase *tc = tcase_create("robust");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_input_grad_and_fgsm);
    tcase_add_test(tc, test_corruptions_vs_numpy);
    tcase_add_test(tc, test_noise_snr);
    tcase_add_test(tc, test_reverb_ir_decay);
    tcase_add_test(tc, test_occlusion_share);
    suite_add_tcase(s, tc);
    return check_run(s);
}
