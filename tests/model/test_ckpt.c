/* Checkpoints, reproducibility and initialisation of src/model.
 *  - save -> load gives bit-identical eval and train outputs and the same meta/class data;
 *  - a version 1 file (with its generator-state list) still loads;
 *  - truncated, corrupted, wrong-version, foreign and wrong-shape files are refused with a
 *    message naming the file (and never crash: this suite also runs under ASan/valgrind);
 *  - same seed and thread count -> bit-identical parameters after N SGD steps;
 *  - initialisation follows PyTorch's bounds: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "common/err.h"
#include "common/rng.h"
#include "model/checkpoint.h"
#include "model/model.h"

static const model_config_t CFG = {2, 5, 2, 12, 10};
#define NB 3
static char dir[256];

static void make_batch(float *x, float *y, uint64_t seed)
{
    rng_t r;
    rng_init(&r, seed);
    for (int i = 0; i < NB * CFG.in_ch * CFG.h * CFG.w; i++) x[i] = (float)rng_range(&r, -1, 1);
    for (int i = 0; i < NB * CFG.classes; i++) y[i] = 0;
    for (int i = 0; i < NB; i++) y[i * CFG.classes + rng_below(&r, CFG.classes)] = 1;
}

static void train_steps(model_t *m, int steps)
{
    float x[NB * 2 * 12 * 10], y[NB * 5];
    for (int s = 0; s < steps; s++) {
        make_batch(x, y, 100 + s);
        ck_assert_int_eq(model_forward(m, x, NB, 1), 0);
        model_loss(m, y, NB);
        model_zero_grad(m);
        model_backward(m, NB);
        model_sgd_step(m, 0.1f, 0.9f, 5e-4f);
    }
}

static char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *p, const unsigned char *b, size_t n)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* FNV-1a 64, the format's checksum (docs/model.md), to build well-formed but wrong files. */
static void reseal(unsigned char *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n - 8; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    memcpy(b + n - 8, &h, 8);
}

static const char META[] = "n_mels=32\nmix=randommix\n";
static const char *const NAMES[] = {"yes", "no", "up", "down", "_unknown_"};

static void save_trained(const char *p, model_t **out)
{
    char err[ST_ERR_LEN];
    model_t *m = model_init(&CFG, NB, 5, err);
    ck_assert_ptr_nonnull(m);
    train_steps(m, 2);
    ckpt_meta_t meta = {META, 5, NAMES, 7, 1234};
    ck_assert_msg(ckpt_save(p, m, &meta, err) == 0, "%s", err);
    *out = m;
}

START_TEST(test_save_load_identical)
{
    char err[ST_ERR_LEN];
    model_t *m;
    save_trained(path_of("a.ckpt"), &m);
    model_t *l = NULL;
    ckpt_info_t info;
    ck_assert_msg(ckpt_load(path_of("a.ckpt"), &l, NB, &info, err) == 0, "%s", err);
    ck_assert_int_eq(info.config.width, CFG.width);
    ck_assert_int_eq(info.config.h, CFG.h);
    ck_assert_int_eq(info.config.w, CFG.w);
    ck_assert_int_eq(info.config.in_ch, CFG.in_ch);
    ck_assert_int_eq(info.config.classes, CFG.classes);
    ck_assert_str_eq(info.meta_text, "n_mels=32\nmix=randommix\n");
    ck_assert_int_eq(info.n_classes, 5);
    ck_assert_str_eq(info.class_names[4], "_unknown_");
    ck_assert_int_eq(info.epoch, 7);
    ck_assert_int_eq(info.step, 1234);
    size_t n = model_num_params(m);
    ck_assert_mem_eq(model_params(l), model_params(m), n * sizeof(float));
    ck_assert_mem_eq(model_momentum(l), model_momentum(m), n * sizeof(float));
    ck_assert_mem_eq(model_bn_stats(l), model_bn_stats(m), model_num_bn_stats(m) * sizeof(float));
    float x[NB * 2 * 12 * 10], y[NB * 5];
    make_batch(x, y, 77);
    for (int train = 0; train <= 1; train++) {
        model_forward(m, x, NB, train);
        model_forward(l, x, NB, train);
        ck_assert_mem_eq(model_logits(l), model_logits(m), NB * CFG.classes * sizeof(float));
    }
    /* continuing training from the checkpoint follows the same trajectory, also in a model
     * restored with another max_batch (im2col chunking does not depend on it) */
    model_t *l2 = NULL;
    ck_assert_msg(ckpt_load(path_of("a.ckpt"), &l2, NB + 5, NULL, err) == 0, "%s", err);
    train_steps(m, 2);
    train_steps(l, 2);
    train_steps(l2, 2);
    ck_assert_mem_eq(model_params(l), model_params(m), n * sizeof(float));
    ck_assert_mem_eq(model_params(l2), model_params(m), n * sizeof(float));
    model_free(l2);
    ckpt_info_free(&info);
    /* load_into a model of the same shape works too; a different one is refused */
    ck_assert_msg(ckpt_load_into(path_of("a.ckpt"), l, NULL, err) == 0, "%s", err);
    model_config_t other = CFG;
    other.width = 3;
    model_t *o = model_init(&other, NB, 1, err);
    ck_assert_int_eq(ckpt_load_into(path_of("a.ckpt"), o, NULL, err), -1);
    ck_assert_msg(strstr(err, "wrong shape") && strstr(err, "a.ckpt"), "%s", err);
    model_free(o);
    model_free(l);
    model_free(m);
}
END_TEST

static void expect_refused(const char *p, const char *needle)
{
    char err[ST_ERR_LEN] = "";
    model_t *l = (model_t *)1;
    ckpt_info_t info;
    ck_assert_int_eq(ckpt_load(p, &l, NB, &info, err), -1);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(err, p) != NULL, "message does not name the file: %s", err);
    ck_assert_msg(strstr(err, needle) != NULL, "expected '%s' in: %s", needle, err);
}

START_TEST(test_bad_files)
{
    char err[ST_ERR_LEN];
    model_t *m;
    save_trained(path_of("b.ckpt"), &m);
    size_t n;
    unsigned char *b = slurp(path_of("b.ckpt"), &n);
    unsigned char *c = malloc(n);
    char *p = path_of("bad.ckpt");
    char pc[512];
    snprintf(pc, sizeof pc, "%s", p);

    size_t cuts[] = {0, 5, 11, 20, 60, n / 2, n - 9, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(pc, b, cuts[i]);
        expect_refused(pc, cuts[i] < 8 ? "not a speechtrain checkpoint"
                           : cuts[i] < 20 ? "truncated" : "checksum");
    }
    /* one flipped bit anywhere */
    size_t at[] = {40, 100, n / 3, n - 20, n - 3};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        memcpy(c, b, n);
        c[at[i]] ^= 0x10;
        spit(pc, c, n);
        expect_refused(pc, "checksum");
    }
    /* future version */
    memcpy(c, b, n);
    c[8] = 3;
    reseal(c, n);
    spit(pc, c, n);
    expect_refused(pc, "version 3");
    /* foreign file */
    memcpy(c, b, n);
    memcpy(c, "\x93NUMPY\x01\x00", 8);
    spit(pc, c, n);
    expect_refused(pc, "not a speechtrain checkpoint");
    /* well-formed but wrong shape: width field changed (offset 8 magic + 4 ver + 4 arch + 8) */
    memcpy(c, b, n);
    c[24] = 3;
    reseal(c, n);
    spit(pc, c, n);
    expect_refused(pc, "wrong shape");
    /* parameter count that does not fit the file */
    memcpy(c, b, n);
    c[36 + 3] = 1;
    reseal(c, n);
    spit(pc, c, n);
    expect_refused(pc, "malformed");
    /* missing file; a directory is named as such (it made read_all allocate LONG_MAX) */
    expect_refused(path_of("missing.ckpt"), "cannot open");
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path_of("adir.ckpt"));
    mkdir(dir, 0700);
    expect_refused(dir, "is a directory");
    rmdir(dir);
    /* a valid checksum over NaN or infinite weights is refused: finiteness is checked too */
    float keep = model_params(m)[5];
    model_params(m)[5] = NAN;
    ck_assert_int_eq(ckpt_save(pc, m, NULL, err), 0);
    expect_refused(pc, "NaN");
    model_params(m)[5] = keep;
    model_momentum(m)[7] = INFINITY;
    ck_assert_int_eq(ckpt_save(pc, m, NULL, err), 0);
    expect_refused(pc, "infinite");
    model_momentum(m)[7] = 0;
    /* a failed save leaves no file and the error names it */
    ck_assert_int_eq(ckpt_save("/nonexistent-dir/x.ckpt", m, NULL, err), -1);
    ck_assert_msg(strstr(err, "/nonexistent-dir/x.ckpt") != NULL, "%s", err);
    free(b);
    free(c);
    model_free(m);
}
END_TEST

/* Version 1 (docs/model.md) had a list of 32-byte generator states after the class names;
 * build one from a version 2 file by hand and check it loads with the same weights. */
START_TEST(test_version1_loads)
{
    char err[ST_ERR_LEN];
    model_t *m;
    save_trained(path_of("v2.ckpt"), &m);
    size_t n;
    unsigned char *b = slurp(path_of("v2.ckpt"), &n);
    size_t at = 8 + 4 + 4 + 5 * 4 + 2 * 8 + 2 * 8 + 4 + strlen(META) + 4;
    for (int i = 0; i < 5; i++) at += 4 + strlen(NAMES[i]);
    const uint32_t nr = 2;
    size_t n1 = n + 4 + nr * 32;
    unsigned char *c = calloc(1, n1);
    memcpy(c, b, at);
    c[8] = 1;
    memcpy(c + at, &nr, 4);
    memset(c + at + 4, 0xa5, nr * 32);
    memcpy(c + at + 4 + nr * 32, b + at, n - at);
    reseal(c, n1);
    char p1[512];
    snprintf(p1, sizeof p1, "%s", path_of("v1.ckpt"));
    spit(p1, c, n1);
    model_t *l = NULL;
    ckpt_info_t info;
    ck_assert_msg(ckpt_load(p1, &l, NB, &info, err) == 0, "%s", err);
    ck_assert_str_eq(info.meta_text, META);
    ck_assert_int_eq(info.n_classes, 5);
    ck_assert_int_eq(info.step, 1234);
    ck_assert_mem_eq(model_params(l), model_params(m), model_num_params(m) * sizeof(float));
    ck_assert_mem_eq(model_momentum(l), model_momentum(m), model_num_params(m) * sizeof(float));
    ckpt_info_free(&info);
    model_free(l);
    /* the same bytes labelled version 2 do not parse: the list is only skipped in version 1 */
    c[8] = 2;
    reseal(c, n1);
    spit(p1, c, n1);
    expect_refused(p1, "section sizes");
    free(c);
    free(b);
    model_free(m);
}
END_TEST

START_TEST(test_reproducible)
{
    char err[ST_ERR_LEN];
    model_t *a = model_init(&CFG, NB, 42, err), *b = model_init(&CFG, NB, 42, err),
            *c = model_init(&CFG, NB, 43, err);
    ck_assert(a && b && c);
    size_t n = model_num_params(a);
    ck_assert_mem_eq(model_params(a), model_params(b), n * sizeof(float));
    ck_assert(memcmp(model_params(a), model_params(c), n * sizeof(float)) != 0);
    model_set_threads(2);
    train_steps(a, 4);
    train_steps(b, 4);
    ck_assert_mem_eq(model_params(a), model_params(b), n * sizeof(float));
    ck_assert_mem_eq(model_bn_stats(a), model_bn_stats(b), model_num_bn_stats(a) * sizeof(float));
    model_free(a);
    model_free(b);
    model_free(c);
}
END_TEST

START_TEST(test_init_like_pytorch)
{
    /* width 8, 1 input channel: stem conv fan_in 9, first block conv fan_in 72. */
    model_config_t cfg = {1, 12, 8, 16, 16};
    char err[ST_ERR_LEN];
    model_t *m = model_init(&cfg, 1, 3, err);
    ck_assert_ptr_nonnull(m);
    const float *p = model_params(m);
    /* stem conv: 8*1*9 weights in [-1/3, 1/3] */
    double b0 = 1.0 / 3.0;
    for (int i = 0; i < 72; i++) ck_assert(fabs(p[i]) <= b0);
    /* stem BN: weight 1, bias 0 */
    for (int i = 0; i < 8; i++) {
        ck_assert_float_eq(p[72 + i], 1.0f);
        ck_assert_float_eq(p[80 + i], 0.0f);
    }
    /* block 0: bn1 (16) then conv1 8x8x3x3 with bound 1/sqrt(72); variance bound^2/3 */
    const float *w = p + 72 + 16 + 16;
    double bound = 1.0 / sqrt(72.0), s2 = 0, mx = 0;
    for (int i = 0; i < 576; i++) {
        s2 += (double)w[i] * w[i];
        mx = fmax(mx, fabs(w[i]));
    }
    ck_assert(mx <= bound && mx > 0.95 * bound);
    double var = s2 / 576, want = bound * bound / 3;
    ck_assert_msg(fabs(var - want) < 0.15 * want, "var %g want %g", var, want);
    /* linear: 12 x 64 weights then 12 biases, bound 1/8 */
    size_t n = model_num_params(m);
    for (size_t i = n - 12 * 64 - 12; i < n; i++) ck_assert(fabs(p[i]) <= 0.125);
    ck_assert(fabs(p[n - 1]) > 0 || fabs(p[n - 2]) > 0);
    /* BN running stats start at mean 0, var 1 */
    ck_assert_float_eq(model_bn_stats(m)[0], 0.0f);
    ck_assert_float_eq(model_bn_stats(m)[8], 1.0f);
    /* parameter count of the paper's model (docs/reference.md §5: about 11.2 M; torch: 11171148) */
    model_config_t big = {1, 12, 64, 32, 32};
    ck_assert_uint_eq(model_param_count(&big), 11171148);
    ck_assert_uint_eq(model_param_count(&cfg), model_num_params(m));
    /* bad configs are refused with a message */
    model_config_t bad = cfg;
    bad.width = 0;
    ck_assert_ptr_null(model_init(&bad, 1, 0, err));
    ck_assert_msg(strstr(err, "width") != NULL, "%s", err);
    ck_assert_ptr_null(model_init(&cfg, 0, 0, err));
    ck_assert_msg(strstr(err, "max_batch") != NULL, "%s", err);
    model_free(m);
}
END_TEST

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/st_model_XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return 1;
    if (!getenv("OMP_NUM_THREADS")) model_set_threads(2);  /* valgrind runs set 1 */
    Suite *s = suite_create("model_ckpt");
    TCase *tc = tcase_create("ckpt");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_save_load_identical);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_version1_loads);
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_init_like_pytorch);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    const char *files[] = {"a.ckpt", "b.ckpt", "bad.ckpt"};
    for (int i = 0; i < 3; i++) unlink(path_of(files[i]));
    rmdir(dir);
    return status;
}
