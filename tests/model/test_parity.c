/* PyTorch parity for src/model: the reference network, weights, batches and expected values
 * come from scripts/gen_model_fixtures.py (PyTorch 1.13, float32). Tolerances:
 *   logits, loss, eval logits:  |ours - torch| <= 1e-4 * |torch| + 1e-4 * rms(torch)
 *   gradients:                  |ours - torch| <= 1e-3 * |torch| + 1e-3 * rms(tensor)
 *   BN running statistics:      |ours - torch| <= 1e-5 * |torch| + 1e-6
 *   parameters after 3 steps:   |ours - torch| <= 1e-4 * |torch| + 1e-5
 * The rms term (taken per parameter tensor for gradients) keeps near-zero entries from
 * demanding a relative accuracy that float32 sums cannot give either side. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "common/npy.h"
#include "model/model.h"
#include "modeltest.h"

static const char *fixtures;

static arr_t load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/model/%s", fixtures, name);
    return arr_load(path);
}

static model_config_t cfg;
static int batch;
static float lr_fixture;

static void read_config(void)
{
    arr_t c = load("config.npy");
    ck_assert_uint_eq(c.n, 7);
    cfg = (model_config_t){(int)c.d[0], (int)c.d[1], (int)c.d[2], (int)c.d[3], (int)c.d[4]};
    batch = (int)c.d[5];
    lr_fixture = c.d[6] * 1e-6f;
    free(c.d);
}

static model_t *load_model(void)
{
    char err[ST_ERR_LEN];
    read_config();
    model_t *m = model_init(&cfg, batch, 1, err);
    ck_assert_msg(m != NULL, "%s", err);
    arr_t p = load("params.npy");
    ck_assert_uint_eq(p.n, model_num_params(m));
    memcpy(model_params(m), p.d, p.n * sizeof(float));
    free(p.d);
    return m;
}

/* Checks |got - want| <= rtol*|want| + atol element-wise; reports the worst. */
static void close_all(const char *what, const float *got, const float *want, size_t n, double rtol,
                      double atol)
{
    size_t worst = 0;
    double wexcess = -1, maxd = 0, maxrel = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        maxd = fmax(maxd, d);
        maxrel = fmax(maxrel, d / (rtol * fabs(want[i]) + atol));
        double excess = d - (rtol * fabs(want[i]) + atol);
        ck_assert_msg(isfinite(got[i]), "%s[%zu] not finite", what, i);
        if (excess > wexcess) {
            wexcess = excess;
            worst = i;
        }
    }
    printf("%-28s max |diff| %.3g, worst diff/allowed %.3f\n", what, maxd, maxrel);
    ck_assert_msg(wexcess <= 0, "%s[%zu]: ours %.8g torch %.8g (rtol %g atol %g)", what, worst,
                  got[worst], want[worst], rtol, atol);
}

START_TEST(test_forward_loss_backward)
{
    model_t *m = load_model();
    arr_t x = load("x.npy"), y = load("y.npy"), lg = load("logits.npy"), ls = load("loss.npy");
    arr_t gr = load("grads.npy"), bs = load("bn_stats.npy");
    ck_assert_int_eq(model_forward(m, x.d, batch, 1), 0);
    size_t nl = (size_t)batch * cfg.classes;
    ck_assert_uint_eq(lg.n, nl);
    close_all("logits", model_logits(m), lg.d, nl, 1e-4, 1e-4 * rms(lg.d, nl));
    float loss = model_loss(m, y.d, batch);
    ck_assert_msg(fabsf(loss - ls.d[0]) <= 1e-4f * fabsf(ls.d[0]), "loss %.8g torch %.8g", loss,
                  ls.d[0]);
    ck_assert_uint_eq(bs.n, model_num_bn_stats(m));
    close_all("bn_stats", model_bn_stats(m), bs.d, bs.n, 1e-5, 1e-6);

    model_zero_grad(m);
    model_backward(m, batch);
    ck_assert_uint_eq(gr.n, model_num_params(m));
    /* Per-tensor rms scale for atol: walk the tensors in parameter order. */
    const float *g = model_grads(m);
    size_t at = 0;
    int k = cfg.width, cin = k;
    size_t sizes[128];
    int ns = 0;
    sizes[ns++] = (size_t)k * cfg.in_ch * 9;
    sizes[ns++] = k;
    sizes[ns++] = k;
    for (int b = 0; b < 8; b++) {
        int planes = k << (b / 2), stride = (b % 2 == 0 && b > 0) ? 2 : 1;
        sizes[ns++] = cin;
        sizes[ns++] = cin;
        sizes[ns++] = (size_t)planes * cin * 9;
        sizes[ns++] = planes;
        sizes[ns++] = planes;
        sizes[ns++] = (size_t)planes * planes * 9;
        if (stride != 1 || cin != planes) sizes[ns++] = (size_t)planes * cin;
        cin = planes;
    }
    sizes[ns++] = (size_t)cfg.classes * cin;
    sizes[ns++] = cfg.classes;
    for (int i = 0; i < ns; i++) {
        char what[64];
        snprintf(what, sizeof what, "grad tensor %d", i);
        close_all(what, g + at, gr.d + at, sizes[i], 1e-3, 1e-3 * rms(gr.d + at, sizes[i]));
        at += sizes[i];
    }
    ck_assert_uint_eq(at, gr.n);
    free(x.d); free(y.d); free(lg.d); free(ls.d); free(gr.d); free(bs.d);
    model_free(m);
}
END_TEST

START_TEST(test_eval_mode)
{
    /* Eval after one train forward: uses the updated running statistics and leaves them be. */
    model_t *m = load_model();
    arr_t x = load("x.npy"), el = load("eval_logits.npy"), lg = load("logits.npy");
    size_t nl = (size_t)batch * cfg.classes;
    ck_assert_int_eq(model_forward(m, x.d, batch, 1), 0);
    size_t nstat = model_num_bn_stats(m);
    float *before = malloc(nstat * sizeof(float));
    memcpy(before, model_bn_stats(m), nstat * sizeof(float));
    ck_assert_int_eq(model_forward(m, x.d, batch, 0), 0);
    close_all("eval logits", model_logits(m), el.d, nl, 1e-4, 1e-4 * rms(el.d, nl));
    ck_assert_mem_eq(before, model_bn_stats(m), nstat * sizeof(float));
    /* and the two modes really differ on this batch (as in torch) */
    double diff = 0;
    for (size_t i = 0; i < nl; i++) diff += fabs(el.d[i] - lg.d[i]);
    ck_assert(diff > 1e-2);
    free(before); free(x.d); free(el.d); free(lg.d);
    model_free(m);
}
END_TEST

START_TEST(test_sgd_three_steps)
{
    model_t *m = load_model();
    arr_t x = load("x.npy"), y = load("y.npy"), p3 = load("params_sgd3.npy");
    arr_t v3 = load("momentum_sgd3.npy"), b3 = load("bn_stats_sgd3.npy");
    size_t xs = (size_t)batch * cfg.in_ch * cfg.h * cfg.w, ys = (size_t)batch * cfg.classes;
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(model_forward(m, x.d + s * xs, batch, 1), 0);
        model_loss(m, y.d + s * ys, batch);
        model_zero_grad(m);
        model_backward(m, batch);
        model_sgd_step(m, lr_fixture, 0.9f, 5e-4f);
    }
    close_all("params after 3 steps", model_params(m), p3.d, p3.n, 1e-4, 1e-5);
    close_all("momentum after 3 steps", model_momentum(m), v3.d, v3.n, 1e-3,
              1e-3 * rms(v3.d, v3.n));
    close_all("bn stats after 3 steps", model_bn_stats(m), b3.d, b3.n, 1e-5, 1e-6);
    free(x.d); free(y.d); free(p3.d); free(v3.d); free(b3.d);
    model_free(m);
}
END_TEST

START_TEST(test_lr_schedules)
{
    arr_t c = load("lr_cosine.npy"), w = load("lr_warmup.npy");
    for (size_t i = 0; i < c.n; i++)
        ck_assert_double_le(fabs(lr_cosine(0.05, (long)i, 10, 0) - c.d[i]), 1e-8);
    for (size_t i = 0; i < w.n; i++)
        ck_assert_double_le(fabs(lr_cosine(0.05, (long)i, 10, 3) - w.d[i]), 1e-8);
    free(c.d); free(w.d);
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    if (!fixtures) return EXIT_FAILURE;
    if (!getenv("OMP_NUM_THREADS")) model_set_threads(2);  /* valgrind runs set 1 */
    Suite *s = suite_create("model_parity");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_forward_loss_backward);
    tcase_add_test(tc, test_eval_mode);
    tcase_add_test(tc, test_sgd_three_steps);
    tcase_add_test(tc, test_lr_schedules);
    suite_add_tcase(s, tc);
    return check_run(s);
}
