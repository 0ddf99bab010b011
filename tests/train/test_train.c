/* Tests for src/train: the loop against PyTorch (scripts/gen_cli_fixtures.py), resume bit for
 * bit, the NaN stop and the report files. Data sources are in memory. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "common/npy.h"
#include "common/rng.h"
#include "model/checkpoint.h"
#include "train/train.h"

static const char *fixtures;
static char tmpdir[256];

static char *fx(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/cli/%s", fixtures, name);
    return buf;
}

static char *tmp(const char *name)
{
    static char buf[64][1024];   /* ring: pointers stay valid for 64 calls */
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* ---- an in-memory data source ---- */
typedef struct {
    int n[3];
    const float *x[3];
    const int *y[3];
    int shuffle;          /* 0: items in order every epoch */
    uint64_t seed;
    long nan_from_epoch;  /* batches of this epoch and later contain a NaN (-1: never) */
    long fail_order_epoch; /* order fails from this epoch on (-1: never) */
    long fail_batch_at;    /* training batches after this many fail (-1: never) */
    long batches;          /* training batches served */
} mem_t;

static int mem_count(void *ctx, int split) { return ((mem_t *)ctx)->n[split]; }
static int mem_order(void *ctx, int split, long epoch, int *order, int len, char *err)
{
    mem_t *m = ctx;
    if (m->fail_order_epoch >= 0 && epoch >= m->fail_order_epoch && split == 0)
        return st_err(err, "order: made to fail at epoch %ld", epoch);
    for (int i = 0; i < len; i++) order[i] = i;
    if (m->shuffle && split == 0) {
        rng_t r;
        rng_derive(&r, m->seed, 77, (uint64_t)epoch);
        rng_shuffle(&r, order, len);
    }
    return 0;
}
static int g_chw = 0;
static int mem_batch(void *ctx, int split, const int *idx, int n, long epoch, int augment, float *x, int *labels,
                     char *err)
{
    mem_t *m = ctx;
    (void)augment;
    if (m->fail_batch_at >= 0 && split == 0 && m->batches++ >= m->fail_batch_at)
        return st_err(err, "batch: made to fail after %ld batches", m->fail_batch_at);
    for (int i = 0; i < n; i++) {
        memcpy(x + (size_t)i * g_chw, m->x[split] + (size_t)idx[i] * g_chw, (size_t)g_chw * sizeof *x);
        labels[i] = m->y[split][idx[i]];
    }
    if (m->nan_from_epoch >= 0 && epoch >= m->nan_from_epoch && split == 0) x[0] = NAN;
    return 0;
}

static const char *const names5[] = {"a", "b", "c", "d", "e"};

static train_data_t mem_data(mem_t *m, int c, int h, int w, int k)
{
    g_chw = c * h * w;
    train_data_t d = {.ctx = m, .c = c, .h = h, .w = w, .n_classes = k, .class_names = names5,
                      .count = mem_count, .order = mem_order, .batch = mem_batch, .meta = "feat.test=1\n"};
    return d;
}

static float *load_f32(const char *path, size_t *count)
{
    arr_t a = arr_load(path);
    if (count) *count = a.n;
    return a.d;
}

static void quiet_config(train_config_t *c, const char *out)
{
    train_config_default(c);
    c->threads = 1;
    c->out_dir = out;
}

/* The loop (order, lr per step, SGD, BN train mode, zero_grad) matches PyTorch's recipe. */
START_TEST(test_loop_matches_pytorch)
{
    size_t nx, np0, npar, nbn, nlr, npred, nlab;
    float *x = load_f32(fx("loop_x.npy"), &nx);
    float *lab = load_f32(fx("loop_labels.npy"), &nlab);
    float *p0 = load_f32(fx("loop_params0.npy"), &np0);
    float *pend = load_f32(fx("loop_params.npy"), &npar);
    float *bn = load_f32(fx("loop_bn.npy"), &nbn);
    float *lr = load_f32(fx("loop_lr.npy"), &nlr);
    float *pred = load_f32(fx("loop_eval_pred.npy"), &npred);
    int y[6];
    for (int i = 0; i < 6; i++) y[i] = (int)lab[i];
    mem_t m = {.n = {6, 0, 6}, .x = {x, x, x}, .y = {y, y, y}, .nan_from_epoch = -1, .fail_order_epoch = -1, .fail_batch_at = -1};
    train_data_t d = mem_data(&m, 1, 8, 10, 5);
    char err[ST_ERR_LEN];
    /* Start from PyTorch's initial parameters: a step-0 checkpoint, then resume from it. */
    model_config_t mc = {.in_ch = 1, .classes = 5, .width = 4, .h = 8, .w = 10};
    model_t *net = model_init(&mc, 3, 1, err);
    ck_assert_msg(net != NULL, "%s", err);
    ck_assert_uint_eq(model_num_params(net), np0);
    memcpy(model_params(net), p0, np0 * sizeof(float));
    ckpt_meta_t meta = {.meta_text = "feat.test=1\n", .n_classes = 5, .class_names = names5};
    mkdir(tmp("loop"), 0777);
    ck_assert_msg(ckpt_save(tmp("loop/start.ckpt"), net, &meta, err) == 0, "%s", err);
    model_free(net);

    train_config_t c;
    quiet_config(&c, tmp("loop"));
    c.resume = tmp("loop/start.ckpt");
    c.epochs = 2, c.batch = 3, c.lr = 0.05, c.no_mix = 1, c.augment = 0;
    ck_assert_msg(train_config_finish(&c, err) == 0, "%s", err);
    int stopped = -1;
    ck_assert_msg(train_run(&c, &d, &stopped, err) == 0, "%s", err);
    ck_assert_int_eq(stopped, 0);

    model_t *out = NULL;
    ckpt_info_t info;
    ck_assert_msg(ckpt_load(tmp("loop/last.ckpt"), &out, 6, &info, err) == 0, "%s", err);
    ck_assert_int_eq(info.epoch, 2);
    ck_assert_int_eq(info.step, 4);
    const float *p = model_params(out);
    double worst = 0;
    for (size_t i = 0; i < npar; i++) {
        double e = fabs(p[i] - pend[i]) / (1e-3 + fabs(pend[i]));
        if (e > worst) worst = e;
    }
    ck_assert_msg(worst < 1e-3, "parameters differ from PyTorch by %g (relative)", worst);
    /* The update p - p0 as a whole, which weight decay and momentum are a visible part of:
     * measured 8e-6 relative here, 2.6e-3 with weight decay left out, 2.7e-2 with momentum
     * 0.89 for 0.9 (the elementwise bound above passes without weight decay at 4e-3). */
    double du = 0, dref = 0;
    for (size_t i = 0; i < npar; i++) {
        double u = (double)p[i] - p0[i], v = (double)pend[i] - p0[i];
        du += (u - v) * (u - v);
        dref += v * v;
    }
    ck_assert_msg(sqrt(du / dref) < 1e-4, "the update differs from PyTorch's by %g (relative norm)", sqrt(du / dref));
    ck_assert_uint_eq(model_num_bn_stats(out), nbn);
    const float *b = model_bn_stats(out);
    for (size_t i = 0; i < nbn; i++) ck_assert_double_eq_tol(b[i], bn[i], 1e-3 * (1 + fabs(bn[i])));

    /* log.csv: the lr column is the lr of each epoch's first step (steps 0 and 2). */
    FILE *f = fopen(tmp("loop/log.csv"), "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds,samples_per_s\n");
    for (int e = 0; e < 2; e++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
        int ep;
        double l;
        ck_assert_int_eq(sscanf(line, "%d,%lf", &ep, &l), 2);
        ck_assert_int_eq(ep, e + 1);
        ck_assert_double_eq_tol(l, lr[2 * e], 1e-6);
    }
    ck_assert_ptr_null(fgets(line, sizeof line, f));
    fclose(f);

    /* The test report: eval-mode predictions of the final model (no validation split, so
     * best = last) against PyTorch's. */
    eval_report_t r;
    /* this data has no validation split: evaluating it is an error, not accuracy nan (0/0) */
    ck_assert_int_eq(train_evaluate(out, &d, TRAIN_SPLIT_VAL, 4, &r, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "validation split is empty"));
    ck_assert_msg(train_evaluate(out, &d, TRAIN_SPLIT_TEST, 4, &r, err) == 0, "%s", err);
    long correct = 0;
    for (int i = 0; i < 6; i++) correct += (int)pred[i] == y[i];
    ck_assert_int_eq(r.correct, correct);
    for (int i = 0; i < 6; i++) ck_assert_int_ge(r.confusion[y[i] * 5 + (int)pred[i]], 1);
    eval_report_free(&r);
    ck_assert_int_eq(access(tmp("loop/test_confusion.csv"), R_OK), 0);
    ck_assert_int_eq(access(tmp("loop/config.txt"), R_OK), 0);
    model_free(out);
    ckpt_info_free(&info);
    free(x), free(lab), free(p0), free(pend), free(bn), free(lr), free(pred);
}
END_TEST

/* Blobs: class k centred at a class-specific pattern plus noise. */
static void make_blobs(float *x, int *y, int n, int chw, int k, uint64_t seed)
{
    rng_t r;
    rng_init(&r, seed);
    for (int i = 0; i < n; i++) {
        y[i] = i % k;
        for (int j = 0; j < chw; j++)
            x[(size_t)i * chw + j] = (float)(((j * 7 + y[i] * 3) % 5 == 0 ? 1.0 : -0.2) + 0.5 * rng_normal(&r));
    }
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* Stopped mid-epoch (as by Ctrl-C / max steps) and resumed == uninterrupted, bit for bit. */
START_TEST(test_resume_bit_identical)
{
    enum { N = 24, NV = 9, C = 1, H = 8, W = 8, K = 3 };
    static float x[N * C * H * W], xv[NV * C * H * W];
    static int y[N], yv[NV];
    make_blobs(x, y, N, C * H * W, K, 5);
    make_blobs(xv, yv, NV, C * H * W, K, 6);
    mem_t m = {.n = {N, NV, NV}, .x = {x, xv, xv}, .y = {y, yv, yv}, .shuffle = 1, .seed = 3, .nan_from_epoch = -1, .fail_order_epoch = -1, .fail_batch_at = -1};
    train_data_t d = mem_data(&m, C, H, W, K);
    char err[ST_ERR_LEN];
    train_config_t c;
    quiet_config(&c, tmp("runA"));
    c.epochs = 3, c.batch = 4, c.width = 4, c.seed = 11, c.lr = 0.05;
    ck_assert_msg(train_config_finish(&c, err) == 0, "%s", err);   /* RandomMix, all four modes */
    int stopped;
    ck_assert_msg(train_run(&c, &d, &stopped, err) == 0, "%s", err);
    ck_assert_int_eq(stopped, 0);

    /* B: stop after 8 steps (epoch 2, step 2 of 6), then resume; C: stop at an epoch end. */
    const char *runs[2] = {tmp("runB"), tmp("runC")};
    long stops[2] = {8, 12};
    for (int k = 0; k < 2; k++) {
        train_config_t b = c;
        b.out_dir = runs[k];
        b.max_steps = stops[k];
        ck_assert_msg(train_run(&b, &d, &stopped, err) == 0, "%s", err);
        ck_assert_int_eq(stopped, 1);
        char last[1024], la[1024], ba[1024], bb[1024];
        snprintf(last, sizeof last, "%s/last.ckpt", runs[k]);
        ckpt_info_t info;
        model_t *mm = NULL;
        ck_assert_msg(ckpt_load(last, &mm, 4, &info, err) == 0, "%s", err);
        ck_assert_int_eq(info.step, stops[k]);
        model_free(mm);
        ckpt_info_free(&info);
        b.max_steps = 0;
        b.resume = last;
        ck_assert_msg(train_run(&b, &d, &stopped, err) == 0, "%s", err);
        ck_assert_int_eq(stopped, 0);
        snprintf(la, sizeof la, "%s/last.ckpt", tmp("runA"));
        snprintf(ba, sizeof ba, "%s/best.ckpt", tmp("runA"));
        snprintf(bb, sizeof bb, "%s/best.ckpt", runs[k]);
        ck_assert_msg(files_equal(la, last), "last.ckpt after resume differs from the uninterrupted run");
        ck_assert_msg(files_equal(ba, bb), "best.ckpt after resume differs from the uninterrupted run");
        /* log.csv up to val_acc: the interrupted epoch's train_loss/train_acc come from the
         * running sums restored on resume, so they match only when those are restored */
        char lb[1024];
        snprintf(la, sizeof la, "%s/log.csv", tmp("runA"));
        snprintf(lb, sizeof lb, "%s/log.csv", runs[k]);
        FILE *fa = fopen(la, "r"), *fb = fopen(lb, "r");
        ck_assert(fa && fb);
        char ra[512], rb[512];
        int rows = 0;
        while (fgets(ra, sizeof ra, fa)) {
            ck_assert_msg(fgets(rb, sizeof rb, fb) != NULL, "%s: missing rows", lb);
            for (int col = 0, i = 0; ra[i]; i++)   /* cut after the 6th column */
                if (ra[i] == ',' && ++col == 6) ra[i] = 0;
            for (int col = 0, i = 0; rb[i]; i++)
                if (rb[i] == ',' && ++col == 6) rb[i] = 0;
            ck_assert_msg(!strcmp(ra, rb), "log.csv after resume: '%s', uninterrupted: '%s'", rb, ra);
            rows++;
        }
        ck_assert_int_eq(rows, 4);
        fclose(fa);
        fclose(fb);
    }
    /* A different seed really changes the result (so the comparison above can fail). */
    train_config_t e = c;
    e.out_dir = tmp("runE");
    e.seed = 12;
    ck_assert_msg(train_run(&e, &d, &stopped, err) == 0, "%s", err);
    ck_assert(!files_equal(tmp("runA/last.ckpt"), tmp("runE/last.ckpt")));
}
END_TEST

/* One good epoch of a 12-item, 3-class source into folder `run` (max_steps 3 of 9), its
 * last.ckpt copied to good.ckpt, and c set to resume from it for the rest: what the tests of
 * runs that must stop keeping their last checkpoint start from. */
static train_data_t good_epoch(mem_t *m, train_config_t *c, const char *run)
{
    enum { N = 12, C = 1, H = 8, W = 8, K = 3 };
    static float x[N * C * H * W];
    static int y[N];
    make_blobs(x, y, N, C * H * W, K, 9);
    *m = (mem_t){.n = {N, 0, 0}, .x = {x, x, x}, .y = {y, y, y}, .shuffle = 1, .seed = 1, .nan_from_epoch = -1,
                 .fail_order_epoch = -1, .fail_batch_at = -1};
    train_data_t d = mem_data(m, C, H, W, K);
    static char last[1024];   /* c->resume points here */
    char err[ST_ERR_LEN] = "", good[1024];
    quiet_config(c, run);
    c->epochs = 3, c->batch = 4, c->width = 4, c->no_mix = 1, c->max_steps = 3;
    ck_assert_int_eq(train_config_finish(c, err), 0);
    int stopped;
    ck_assert_msg(train_run(c, &d, &stopped, err) == 0, "%s", err);   /* one good epoch */
    ck_assert_int_eq(stopped, 1);
    snprintf(last, sizeof last, "%s/last.ckpt", run);
    snprintf(good, sizeof good, "%s/good.ckpt", run);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", last, good);
    ck_assert_int_eq(system(cmd), 0);
    c->max_steps = 0;
    c->resume = last;
    return d;
}

/* A loss that becomes NaN stops the run with a message; the last good checkpoint stays.
 * (The run resumes from a good checkpoint onto data that holds a NaN from epoch 2 on; a
 * checkpoint with NaN weights is refused by ckpt_load itself, see test_ckpt.) */
START_TEST(test_nan_stops_run)
{
    mem_t m;
    train_config_t c;
    train_data_t d = good_epoch(&m, &c, tmp("runN"));
    char err[ST_ERR_LEN] = "";
    int stopped;
    m.nan_from_epoch = 1;
    ck_assert_int_eq(train_run(&c, &d, &stopped, err), -1);
    ck_assert_msg(strstr(err, "NaN") && strstr(err, "epoch 2") && strstr(err, "last.ckpt"), "message: %s", err);
    ck_assert_msg(files_equal(tmp("runN/last.ckpt"), tmp("runN/good.ckpt")), "last.ckpt was overwritten");
}
END_TEST

/* A data source that fails (out of memory, say) stops the run with its message and leaves
 * the last checkpoint as it was: the batch mid-epoch, the order at an epoch's start. */
START_TEST(test_data_error_stops_run)
{
    enum { N = 12 };
    mem_t m;
    train_config_t c;
    train_data_t d = good_epoch(&m, &c, tmp("runD"));
    char err[ST_ERR_LEN] = "";
    int stopped;
    m.batches = 0;
    m.fail_batch_at = 1;   /* the second batch of epoch 2 */
    ck_assert_int_eq(train_run(&c, &d, &stopped, err), -1);
    ck_assert_msg(strstr(err, "made to fail after 1 batches"), "message: %s", err);
    ck_assert_msg(files_equal(tmp("runD/last.ckpt"), tmp("runD/good.ckpt")), "last.ckpt was overwritten");
    m.fail_batch_at = -1;
    m.fail_order_epoch = 1;
    ck_assert_int_eq(train_run(&c, &d, &stopped, err), -1);
    ck_assert_msg(strstr(err, "order: made to fail at epoch 1"), "message: %s", err);
    ck_assert_msg(files_equal(tmp("runD/last.ckpt"), tmp("runD/good.ckpt")), "last.ckpt was overwritten");
    /* evaluation stops on a failing batch too */
    m.fail_order_epoch = -1;
    m.n[2] = N;
    model_t *mdl = NULL;
    ckpt_info_t info;
    ck_assert_msg(ckpt_load(tmp("runD/last.ckpt"), &mdl, 8, &info, err) == 0, "%s", err);
    ckpt_info_free(&info);
    eval_report_t r;
    ck_assert_msg(train_evaluate(mdl, &d, TRAIN_SPLIT_TEST, 8, &r, err) == 0, "%s", err);
    eval_report_free(&r);
    m.batches = 0;
    m.fail_batch_at = 0;
    ck_assert_int_eq(train_evaluate(mdl, &d, TRAIN_SPLIT_TRAIN, 8, &r, err), -1);
    ck_assert_msg(strstr(err, "made to fail"), "message: %s", err);
    model_free(mdl);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

START_TEST(test_report_files)
{
    char err[ST_ERR_LEN];
    eval_report_t r;
    ck_assert_int_eq(eval_report_init(&r, 3, err), 0);
    long conf[9] = {5, 1, 0, 0, 3, 1, 2, 0, 0};   /* class c has no correct items */
    memcpy(r.confusion, conf, sizeof conf);
    r.total = 12, r.correct = 8, r.loss = 0.5;
    ck_assert_double_eq_tol(eval_report_accuracy(&r), 8.0 / 12, 1e-12);
    ck_assert_double_eq_tol(eval_report_class_accuracy(&r, 0), 5.0 / 6, 1e-12);
    ck_assert_double_eq_tol(eval_report_class_accuracy(&r, 2), 0.0, 1e-12);
    ck_assert_int_eq(eval_report_write(&r, names5, tmp("rep"), err), 0);
    ck_assert_str_eq(slurp(tmp("rep_confusion.csv")), "true\\predicted,a,b,c\na,5,1,0\nb,0,3,1\nc,2,0,0\n");
    ck_assert_str_eq(slurp(tmp("rep_per_class.csv")),
                     "class,items,correct,accuracy\na,6,5,0.833333\nb,4,3,0.750000\nc,2,0,0.000000\n");
    ck_assert_int_eq(eval_report_write(&r, names5, "/nonexistent-dir/x", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x"));
    eval_report_free(&r);
}
END_TEST

int main(void)
{
    fixtures = check_fixtures_dir();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st-test-train-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_loop_matches_pytorch);
    tcase_add_test(tc, test_resume_bit_identical);
    tcase_add_test(tc, test_nan_stops_run);
    tcase_add_test(tc, test_data_error_stops_run);
    tcase_add_test(tc, test_report_files);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    /* unlike the other suites, a scratch folder that cannot be removed fails this one */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (status == EXIT_SUCCESS && system(cmd) != 0) return EXIT_FAILURE;
    return status;
}
