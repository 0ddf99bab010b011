/* Finite-difference checks of every layer's backward in src/model/layers.h.
 *
 * For a layer y = f(x, w) we take L = sum(y * R) with a fixed random R, run backward with
 * dL/dy = R and compare each analytic derivative with the central difference
 * (L(v + e) - L(v - e)) / 2e, L summed in double. Tolerance: |fd - analytic| <= 1e-2 *
 * |analytic| + 2e-3 * rms(analytic). A wrong index, a missing term or a missing factor
 * gives errors of order 1, far above this. Also checks that backward accumulates and that
 * the conv result does not depend on the im2col chunk size. The 3x3 stride-1 checks run for
 * both convolution algorithms: im2col + GEMM and Winograd F(4x4, 3x3) (conv_wino.c), on even
 * and odd sizes, one image per chunk. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/rng.h"
#include "model/layers.h"
#include "model/model.h"

static rng_t rng;

static float *randv(size_t n, double lo, double hi)
{
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)rng_range(&rng, lo, hi);
    return p;
}

typedef double (*loss_fn)(void *ctx);

/* Checks up to `probes` coordinates of v against ana (dL/dv). */
static void fd_check(const char *what, loss_fn f, void *ctx, float *v, const float *ana, size_t n,
                     float eps, int probes)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)ana[i] * ana[i];
    double scale = sqrt(s / n);
    ck_assert_msg(scale > 0, "%s: analytic gradient is all zero", what);
    for (int p = 0; p < probes; p++) {
        size_t i = (size_t)p < n && (int)n <= probes ? (size_t)p : rng_below(&rng, n);
        if ((int)n <= probes && (size_t)p >= n) break;
        float keep = v[i];
        v[i] = keep + eps;
        double lp = f(ctx);
        v[i] = keep - eps;
        double lm = f(ctx);
        v[i] = keep;
        double fd = (lp - lm) / (2.0 * eps);
        ck_assert_msg(fabs(fd - ana[i]) <= 1e-2 * fabs(ana[i]) + 2e-3 * scale,
                      "%s[%zu]: finite difference %.6g, backward %.6g", what, i, fd, ana[i]);
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* ---- convolution ---- */
typedef struct {
    conv_dims_t d;
    float *x, *w, *y, *r, *col;
    size_t cap, ny;
    int wino;
} conv_ctx;

static void cfwd(conv_ctx *c, size_t cap, int accumulate)
{
    if (c->wino) conv_wino_forward(c->y, c->x, c->w, &c->d, c->col, cap, accumulate, NULL);
    else conv_forward(c->y, c->x, c->w, &c->d, c->col, cap, accumulate, NULL);
}

static void cbwd(conv_ctx *c, float *dx, float *dw, int accumulate)
{
    if (c->wino) conv_wino_backward(dx, dw, c->r, c->x, c->w, &c->d, c->col, c->cap, accumulate, NULL);
    else conv_backward(dx, dw, c->r, c->x, c->w, &c->d, c->col, c->cap, accumulate, NULL);
}

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    cfwd(c, c->cap, 0);
    return dot(c->y, c->r, c->ny);
}

static void check_conv_alg(int n, int cin, int h, int w, int cout, int k, int s, int pad, int wino)
{
    conv_ctx c;
    conv_dims(&c.d, n, cin, h, w, cout, k, s, pad);
    size_t nx = (size_t)cin * n * h * w, nw = (size_t)cout * cin * k * k;
    c.ny = (size_t)cout * n * c.d.ho * c.d.wo;
    c.wino = wino;
    size_t big;  /* a cap that holds the whole batch in one chunk */
    if (wino) {
        ck_assert(conv_wino_ok(&c.d));
        c.cap = 1;  /* one image per chunk: exercises chunking */
        big = (size_t)36 * (cin > cout ? cin : cout) * ((h + 3) / 4) * ((w + 3) / 4) * n;
        ck_assert_int_eq(conv_wino_chunk(&c.d, c.cap), 1);
        ck_assert_int_eq(conv_wino_chunk(&c.d, big), n);
        c.col = malloc(conv_wino_ws_size(&c.d, big) * sizeof(float));
    } else {
        c.cap = (size_t)cin * k * k * c.d.ho * c.d.wo;  /* one image per chunk */
        big = c.cap * n;
        c.col = malloc(c.cap * n * sizeof(float));
    }
    c.x = randv(nx, -1, 1);
    c.w = randv(nw, -1, 1);
    c.r = randv(c.ny, -1, 1);
    c.y = malloc(c.ny * sizeof(float));
    float *dx = calloc(nx, sizeof(float)), *dw = calloc(nw, sizeof(float));
    conv_loss(&c);
    cbwd(&c, dx, dw, 0);
    char what[96];
    const char *alg = wino ? "winograd" : "im2col";
    snprintf(what, sizeof what, "conv %s k%d s%d p%d %dx%d dx", alg, k, s, pad, h, w);
    fd_check(what, conv_loss, &c, c.x, dx, nx, 1e-2f, 60);
    snprintf(what, sizeof what, "conv %s k%d s%d p%d %dx%d dw", alg, k, s, pad, h, w);
    fd_check(what, conv_loss, &c, c.w, dw, nw, 1e-2f, 60);

    /* backward accumulates into dw, and into dx when asked */
    float *dx2 = malloc(nx * sizeof(float)), *dw2 = malloc(nw * sizeof(float));
    memcpy(dx2, dx, nx * sizeof(float));
    memcpy(dw2, dw, nw * sizeof(float));
    cbwd(&c, dx2, dw2, 1);
    for (size_t i = 0; i < nx; i++) ck_assert_float_eq_tol(dx2[i], 2 * dx[i], 1e-5 + 1e-5 * fabsf(dx[i]));
    for (size_t i = 0; i < nw; i++) ck_assert_float_eq_tol(dw2[i], 2 * dw[i], 1e-4 + 1e-5 * fabsf(dw[i]));

    /* one chunk for the whole batch gives the same output */
    float *y1 = malloc(c.ny * sizeof(float));
    conv_loss(&c);  /* fd_check left y at a perturbed point */
    memcpy(y1, c.y, c.ny * sizeof(float));
    cfwd(&c, big, 0);
    for (size_t i = 0; i < c.ny; i++) ck_assert_float_eq_tol(c.y[i], y1[i], 1e-5);
    free(y1); free(dx2); free(dw2);
    free(c.x); free(c.w); free(c.r); free(c.y); free(c.col); free(dx); free(dw);
}

static void check_conv(int n, int cin, int h, int w, int cout, int k, int s, int pad)
{
    check_conv_alg(n, cin, h, w, cout, k, s, pad, 0);
}

START_TEST(test_conv3x3_s1) { check_conv(3, 3, 7, 6, 4, 3, 1, 1); }
END_TEST
/* Winograd: odd x even, even x even (4 tiles a side), odd x odd with more inputs than outputs */
START_TEST(test_conv3x3_s1_wino) { check_conv_alg(3, 3, 7, 6, 4, 3, 1, 1, 1); }
END_TEST
START_TEST(test_conv3x3_s1_wino_even) { check_conv_alg(2, 4, 8, 8, 3, 3, 1, 1, 1); }
END_TEST
START_TEST(test_conv3x3_s1_wino_odd) { check_conv_alg(2, 5, 5, 3, 2, 3, 1, 1, 1); }
END_TEST
/* 66 tiles in one image: more than one 64-tile block of the transforms */
START_TEST(test_conv3x3_s1_wino_wide) { check_conv_alg(1, 2, 3, 261, 2, 3, 1, 1, 1); }
END_TEST
START_TEST(test_conv3x3_s2) { check_conv(2, 2, 7, 5, 3, 3, 2, 1); }
END_TEST
START_TEST(test_conv1x1_s2) { check_conv(2, 3, 6, 5, 4, 1, 2, 0); }
END_TEST

/* ---- batch norm + ReLU (train mode) ---- */
typedef struct {
    int C;
    size_t M;
    float *x, *g, *b, *y, *r, mean[8], rstd[8], rm[8], rv[8];
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    bnrelu_forward(c->y, c->x, c->g, c->b, c->mean, c->rstd, c->rm, c->rv, c->C, c->M, 1, 0.1f,
                   1e-5f);
    return dot(c->y, c->r, (size_t)c->C * c->M);
}

START_TEST(test_bnrelu)
{
    bn_ctx c;
    c.C = 3;
    c.M = 2 * 15;
    size_t n = c.C * c.M;
    c.x = randv(n, -2, 3);
    c.g = randv(c.C, 0.5, 1.5);
    c.b = randv(c.C, -0.3, 0.3);
    c.r = randv(n, -1, 1);
    c.y = malloc(n * sizeof(float));
    float *dx = malloc(n * sizeof(float)), dg[3] = {0}, db[3] = {0};
    bn_loss(&c);
    /* relu must have cut something, or the mask would go untested */
    int zeros = 0;
    for (size_t i = 0; i < n; i++) zeros += c.y[i] == 0.0f;
    ck_assert_int_gt(zeros, 5);
    bnrelu_backward(dx, dg, db, c.r, c.x, c.y, c.g, c.mean, c.rstd, c.C, c.M, 0);
    fd_check("bnrelu dx", bn_loss, &c, c.x, dx, n, 1e-3f, 90);
    fd_check("bnrelu dgamma", bn_loss, &c, c.g, dg, c.C, 1e-3f, 3);
    fd_check("bnrelu dbeta", bn_loss, &c, c.b, db, c.C, 1e-3f, 3);
    /* in-place backward (din == dout) gives the same result */
    float *dy = malloc(n * sizeof(float));
    memcpy(dy, c.r, n * sizeof(float));
    float dg2[3] = {0}, db2[3] = {0};
    bnrelu_backward(dy, dg2, db2, dy, c.x, c.y, c.g, c.mean, c.rstd, c.C, c.M, 0);
    ck_assert_mem_eq(dy, dx, n * sizeof(float));
    free(dy); free(c.x); free(c.g); free(c.b); free(c.r); free(c.y); free(dx);
}
END_TEST

/* Synchronised BN in one process (the sum over processes adds nothing) is the same
 * arithmetic as the plain layer, bit for bit: forward, running statistics and backward. */
static int g_reduce_calls;
static void reduce_one(void *ctx, double *buf, int n)
{
    (void)ctx, (void)buf, (void)n;
    g_reduce_calls++;
}

START_TEST(test_bnrelu_reduced_one_process)
{
    const int C = 3;
    const size_t M = 2 * 15 + 3, n = C * M;
    float *x = randv(n, -2, 3), *g = randv(C, 0.5, 1.5), *b = randv(C, -0.3, 0.3), *r = randv(n, -1, 1);
    float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    float *dx1 = malloc(n * sizeof(float)), *dx2 = malloc(n * sizeof(float));
    float m1[3], s1[3], m2[3], s2[3], rm1[3] = {0}, rv1[3] = {1, 1, 1}, rm2[3] = {0}, rv2[3] = {1, 1, 1};
    float dg1[3] = {0}, db1[3] = {0}, dg2[3] = {0}, db2[3] = {0};
    double buf[2 * 3 + 1];
    bn_reduce_t red = {reduce_one, NULL, buf};
    g_reduce_calls = 0;
    bnrelu_forward(y1, x, g, b, m1, s1, rm1, rv1, C, M, 1, 0.1f, 1e-5f);
    bnrelu_forward_reduced(y2, x, g, b, m2, s2, rm2, rv2, C, M, 0.1f, 1e-5f, &red);
    ck_assert_mem_eq(y1, y2, n * sizeof(float));
    ck_assert_mem_eq(m1, m2, sizeof m1);
    ck_assert_mem_eq(s1, s2, sizeof s1);
    ck_assert_mem_eq(rm1, rm2, sizeof rm1);
    ck_assert_mem_eq(rv1, rv2, sizeof rv1);
    bnrelu_backward(dx1, dg1, db1, r, x, y1, g, m1, s1, C, M, 0);
    bnrelu_backward_reduced(dx2, dg2, db2, r, x, y2, g, m2, s2, C, M, 0, &red);
    ck_assert_mem_eq(dx1, dx2, n * sizeof(float));
    ck_assert_mem_eq(dg1, dg2, sizeof dg1);
    ck_assert_mem_eq(db1, db2, sizeof db1);
    ck_assert_int_eq(g_reduce_calls, 3);   /* two forward, one backward */
    free(x); free(g); free(b); free(r); free(y1); free(y2); free(dx1); free(dx2);
}
END_TEST

/* torch.relu(nan) is nan: a NaN activation must reach the loss (which stops training)
 * instead of being cut to 0 while it corrupts the BN statistics. */
START_TEST(test_bnrelu_propagates_nan)
{
    float in[4] = {-1.0f, 2.0f, NAN, 0.5f}, out[4], g = 1, b = 0, mean = 0, rstd = 1;
    bnrelu_apply(out, in, &g, &b, &mean, &rstd, 1, 4);
    ck_assert_float_eq(out[0], 0.0f);
    ck_assert_float_eq(out[1], 2.0f);
    ck_assert(isnan(out[2]));
    ck_assert_float_eq(out[3], 0.5f);
}
END_TEST

/* ---- head: average pool + linear + soft-label cross-entropy ---- */
typedef struct {
    int C, N, HW, K;
    float *x, *w, *bias, *y, pooled[64], logits[64], dl[64];
} head_ctx;

static double head_loss(void *p)
{
    head_ctx *c = p;
    avgpool_forward(c->pooled, c->x, c->C, c->N, c->HW);
    linear_forward(c->logits, c->pooled, c->w, c->bias, c->N, c->C, c->K);
    return softmax_ce(c->dl, c->logits, c->y, c->N, c->K);
}

START_TEST(test_head)
{
    head_ctx c = {.C = 5, .N = 3, .HW = 4, .K = 4};
    size_t nx = (size_t)c.C * c.N * c.HW;
    c.x = randv(nx, -2, 2);
    c.w = randv((size_t)c.K * c.C, -1, 1);
    c.bias = randv(c.K, -1, 1);
    c.y = randv((size_t)c.N * c.K, 0, 1);  /* soft labels, rows not normalised on purpose */
    float dpool[64], dx[64], dw[64] = {0}, db[8] = {0};
    head_loss(&c);
    linear_backward(dpool, dw, db, c.dl, c.pooled, c.w, c.N, c.C, c.K, 0);
    avgpool_backward(dx, dpool, c.C, c.N, c.HW, 0);
    fd_check("head dx", head_loss, &c, c.x, dx, nx, 1e-3f, 60);
    fd_check("linear dw", head_loss, &c, c.w, dw, (size_t)c.K * c.C, 1e-3f, 20);
    fd_check("linear db", head_loss, &c, c.bias, db, c.K, 1e-3f, 4);
    free(c.x); free(c.w); free(c.bias); free(c.y);
}
END_TEST

/* A shape no machine can hold is refused with the reason, before any allocation (under ASan
 * an allocation of this size would abort). */
START_TEST(test_model_init_too_big)
{
    model_config_t cfg = {1, 12, 1024, 4096, 4096};
    char err[256] = "";
    ck_assert_ptr_null(model_init(&cfg, 65536, 1, err));
    ck_assert_msg(strstr(err, "GiB needed") && strstr(err, "4096x4096"), "%s", err);
}
END_TEST

START_TEST(test_model_backward_accumulates)
{
    model_config_t cfg = {2, 5, 2, 12, 10};
    char err[256];
    model_t *m = model_init(&cfg, 3, 9, err);
    ck_assert_ptr_nonnull(m);
    float *x = randv(3 * 2 * 12 * 10, -1, 1), *y = randv(3 * 5, 0, 0.4);
    ck_assert_int_eq(model_forward(m, x, 3, 1), 0);
    model_loss(m, y, 3);
    model_zero_grad(m);
    model_backward(m, 3);
    size_t n = model_num_params(m);
    float *g1 = malloc(n * sizeof(float));
    memcpy(g1, model_grads(m), n * sizeof(float));
    /* A second backward of the same forward does nothing (the saved activations are gone). */
    model_backward(m, 3);
    ck_assert_int_eq(memcmp(g1, model_grads(m), n * sizeof(float)), 0);
    /* The same forward again: its backward adds the same gradients onto them. */
    ck_assert_int_eq(model_forward(m, x, 3, 1), 0);
    model_loss(m, y, 3);
    model_backward(m, 3);
    const float *g2 = model_grads(m);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq_tol(g2[i], 2 * g1[i], 1e-6 + 1e-6 * fabsf(g1[i]));
    ck_assert_int_eq(model_forward(m, x, 4, 1), -1);  /* n > max_batch is refused */
    ck_assert_int_eq(model_forward(m, x, 0, 1), -1);
    free(g1); free(x); free(y);
    model_free(m);
}
END_TEST

int main(void)
{
    rng_init(&rng, 2024);
    if (!getenv("OMP_NUM_THREADS")) model_set_threads(2);  /* valgrind runs set 1 */
    Suite *s = suite_create("model_layers");
    TCase *tc = tcase_create("finite_differences");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_conv3x3_s1);
    tcase_add_test(tc, test_conv3x3_s1_wino);
    tcase_add_test(tc, test_conv3x3_s1_wino_even);
    tcase_add_test(tc, test_conv3x3_s1_wino_odd);
    tcase_add_test(tc, test_conv3x3_s1_wino_wide);
    tcase_add_test(tc, test_conv3x3_s2);
    tcase_add_test(tc, test_conv1x1_s2);
    tcase_add_test(tc, test_bnrelu);
    tcase_add_test(tc, test_bnrelu_propagates_nan);
    tcase_add_test(tc, test_bnrelu_reduced_one_process);
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_model_backward_accumulates);
    tcase_add_test(tc, test_model_init_too_big);
    suite_add_tcase(s, tc);
    return check_run(s);
}
