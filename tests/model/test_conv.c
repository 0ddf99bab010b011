/* Per-layer convolution parity: our Winograd F(4x4, 3x3) convolution (conv_wino.c) and the
 * im2col one (conv.c) against PyTorch's conv2d forward, grad_input and grad_weight on 3x3,
 * stride 1, pad 1 cases from scripts/gen_model_fixtures.py (CONV_CASES: 16x16 and 8x8 with
 * 8 -> 16 channels, odd 7x5, and 9x6 with 16 -> 8 channels). Torch's values are computed in
 * float64 from the float32 inputs. Tolerances (element-wise):
 *   forward output:          |ours - torch| <= 1e-4 * |torch| + 1e-4 * rms(torch)
 *   grad_input, grad_weight: |ours - torch| <= 1e-3 * |torch| + 1e-3 * rms(torch)
 * Each case runs with one image per chunk (several chunks: exercises the per-chunk dW
 * accumulation) and with the whole batch in one chunk, with the per-frequency products on
 * OpenBLAS and on our kernels (wgemm.h), and checks that backward accumulates when asked.
 * The 4x4 output tiles cover 16x16 and 8x8 exactly and overhang 7x5 and 9x6 by 1-3 rows or
 * columns; the 6x6 input patches of the edge tiles read the zero padding. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "common/npy.h"
#include "model/layers.h"
#include "model/model.h"
#include "modeltest.h"

static const char *fixtures;

static arr_t load(const char *cs, const char *key)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/model/conv_%s_%s.npy", fixtures, cs, key);
    return arr_load(path);
}

/* (N, C, HW) <-> (C, N, HW) */
static float *swap01(const float *a, int d0, int d1, size_t inner)
{
    float *b = calloc((size_t)d0 * d1 * inner, sizeof(float));
    for (int i = 0; i < d0; i++)
        for (int j = 0; j < d1; j++)
            memcpy(b + ((size_t)j * d0 + i) * inner, a + ((size_t)i * d1 + j) * inner,
                   inner * sizeof(float));
    return b;
}

static void close_all(const char *what, const float *got, const float *want, size_t n,
                      double rtol)
{
    double atol = rtol * rms(want, n), worst = 0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double r = fabs((double)got[i] - want[i]) / (rtol * fabs(want[i]) + atol);
        ck_assert_msg(isfinite(got[i]), "%s[%zu] not finite", what, i);
        if (r > worst) {
            worst = r;
            wi = i;
        }
    }
    printf("%-34s worst diff/allowed %.4f\n", what, worst);
    ck_assert_msg(worst <= 1.0, "%s[%zu]: ours %.8g torch %.8g (rtol %g, atol %g x rms)", what, wi,
                  got[wi], want[wi], rtol, rtol);
}

static void run_case(const char *cs, int wino, int one_chunk)
{
    arr_t x = load(cs, "x"), w = load(cs, "w"), dy = load(cs, "dy");
    arr_t y = load(cs, "y"), dx = load(cs, "dx"), dw = load(cs, "dw");
    ck_assert_int_eq(x.ndim, 4);
    int N = (int)x.shape[0], cin = (int)x.shape[1], H = (int)x.shape[2], W = (int)x.shape[3];
    int cout = (int)w.shape[0];
    conv_dims_t d;
    conv_dims(&d, N, cin, H, W, cout, 3, 1, 1);
    ck_assert_int_eq(d.ho, H);
    ck_assert(conv_wino_ok(&d));
    size_t hw = (size_t)H * W, nx = x.n, ny = y.n;
    float *xc = swap01(x.d, N, cin, hw), *dyc = swap01(dy.d, N, cout, hw);
    float *yc = malloc(ny * sizeof(float)), *dxc = malloc(nx * sizeof(float));
    float *dwc = calloc(w.n, sizeof(float));
    size_t cap, ws_n;
    if (wino) {
        /* cap 1 float: one image per chunk (these channel counts are too few for the raise
         * to half of U to hold two images); 36 x max(C) x tiles x N: the whole batch */
        size_t tiles = (size_t)((H + 3) / 4) * ((W + 3) / 4);
        cap = one_chunk ? (size_t)36 * (cin > cout ? cin : cout) * tiles * N : 1;
        ck_assert_int_eq(conv_wino_chunk(&d, cap), one_chunk ? N : 1);
        ws_n = conv_wino_ws_size(&d, cap);
    } else {
        cap = one_chunk ? (size_t)cin * 9 * hw * N : (size_t)cin * 9 * hw;
        ws_n = cap;
    }
    float *ws = malloc(ws_n * sizeof(float));
    char what[96];
    const char *alg = wino ? "winograd" : "im2col";
    const char *ch = one_chunk ? "1 chunk" : "chunk/image";

    if (wino) conv_wino_forward(yc, xc, w.d, &d, ws, cap, 0, NULL);
    else conv_forward(yc, xc, w.d, &d, ws, cap, 0, NULL);
    float *yn = swap01(yc, cout, N, hw);
    snprintf(what, sizeof what, "%s %s %s y", cs, alg, ch);
    close_all(what, yn, y.d, ny, 1e-4);

    if (wino) conv_wino_backward(dxc, dwc, dyc, xc, w.d, &d, ws, cap, 0, NULL);
    else conv_backward(dxc, dwc, dyc, xc, w.d, &d, ws, cap, 0, NULL);
    float *dxn = swap01(dxc, cin, N, hw);
    snprintf(what, sizeof what, "%s %s %s dx", cs, alg, ch);
    close_all(what, dxn, dx.d, nx, 1e-3);
    snprintf(what, sizeof what, "%s %s %s dw", cs, alg, ch);
    close_all(what, dwc, dw.d, w.n, 1e-3);

    /* accumulate: out += conv, dx += dL/dx, dw += dL/dw */
    if (wino) {
        conv_wino_forward(yc, xc, w.d, &d, ws, cap, 1, NULL);
        conv_wino_backward(dxc, dwc, dyc, xc, w.d, &d, ws, cap, 1, NULL);
    } else {
        conv_forward(yc, xc, w.d, &d, ws, cap, 1, NULL);
        conv_backward(dxc, dwc, dyc, xc, w.d, &d, ws, cap, 1, NULL);
    }
    float *y2 = swap01(yc, cout, N, hw), *dx2 = swap01(dxc, cin, N, hw);
    for (size_t i = 0; i < ny; i++) y.d[i] *= 2;
    for (size_t i = 0; i < nx; i++) dx.d[i] *= 2;
    for (size_t i = 0; i < w.n; i++) dw.d[i] *= 2;
    snprintf(what, sizeof what, "%s %s %s 2y (accumulate)", cs, alg, ch);
    close_all(what, y2, y.d, ny, 1e-4);
    snprintf(what, sizeof what, "%s %s %s 2dx (accumulate)", cs, alg, ch);
    close_all(what, dx2, dx.d, nx, 1e-3);
    snprintf(what, sizeof what, "%s %s %s 2dw (accumulate)", cs, alg, ch);
    close_all(what, dwc, dw.d, w.n, 1e-3);

    free(y2); free(dx2); free(yn); free(dxn); free(ws); free(xc); free(dyc); free(yc);
    free(dxc); free(dwc);
    free(x.d); free(w.d); free(dy.d); free(y.d); free(dx.d); free(dw.d);
}

static const char *cases[] = {"16x16", "8x8", "7x5", "9x6"};

/* Loop index i: case i / 2, with the per-frequency products on OpenBLAS (even i) or on our
 * kernels (odd i). */
START_TEST(test_wino_chunked)
{
    conv_wino_set_products(_i % 2);
    run_case(cases[_i / 2], 1, 0);
    conv_wino_set_products(-1);
}
END_TEST
START_TEST(test_wino_one_chunk)
{
    conv_wino_set_products(_i % 2);
    run_case(cases[_i / 2], 1, 1);
    conv_wino_set_products(-1);
}
END_TEST
START_TEST(test_im2col) { run_case(cases[_i], 0, 1); }
END_TEST

/* The model's two algorithms give the same logits and gradients (to float32 rounding) on a
 * config whose stride-1 convs have even and odd sizes; and the default is Winograd. */
START_TEST(test_model_algos_agree)
{
    model_config_t cfg = {2, 5, 8, 14, 11};
    char err[ST_ERR_LEN];
    model_t *a = model_init(&cfg, 3, 5, err), *b = model_init(&cfg, 3, 5, err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(model_get_conv(a), MODEL_CONV_WINOGRAD);
    model_set_conv(a, MODEL_CONV_WINOGRAD);
    model_set_conv(b, MODEL_CONV_IM2COL);
    size_t nx = (size_t)3 * 2 * 14 * 11;
    float *x = malloc(nx * sizeof(float)), y[15] = {0};
    for (size_t i = 0; i < nx; i++) x[i] = (float)sin(0.37 * (double)i) * 2.0f;
    for (int i = 0; i < 3; i++) y[i * 5 + i] = 1.0f;
    model_t *ms[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(model_forward(ms[k], x, 3, 1), 0);
        model_loss(ms[k], y, 3);
        model_zero_grad(ms[k]);
        model_backward(ms[k], 3);
    }
    close_all("model logits winograd vs im2col", model_logits(a), model_logits(b), 15, 1e-4);
    close_all("model grads winograd vs im2col", model_grads(a), model_grads(b),
              model_num_params(a), 1e-3);
    free(x);
    model_free(a);
    model_free(b);
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    if (!fixtures) return EXIT_FAILURE;
    if (!getenv("OMP_NUM_THREADS")) model_set_threads(2);  /* valgrind runs set 1 */
    Suite *s = suite_create("model_conv");
    TCase *tc = tcase_create("conv");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_wino_chunked, 0, 8);
    tcase_add_loop_test(tc, test_wino_one_chunk, 0, 8);
    tcase_add_loop_test(tc, test_im2col, 0, 4);
    tcase_add_test(tc, test_model_algos_agree);
    suite_add_tcase(s, tc);
    return check_run(s);
}
