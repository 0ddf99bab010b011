/* Tests for src/image: the CIFAR reader against numpy's parse of the same files, bad files,
 * crop/flip/normalise against PyTorch (scripts/gen_image_fixtures.py), the augmentation's
 * draw distribution. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/err.h"
#include "common/npy.h"
#include "common/rng.h"
#include "image/augment.h"
#include "image/cifar.h"

static const char *fixtures;
static char tmpdir[256];

static char *fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/image/%s", fixtures, name);
    return buf;
}

static void copy_file(const char *src, const char *dst, long truncate_to)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    int ch;
    long n = 0;
    while ((ch = fgetc(in)) != EOF && (truncate_to < 0 || n < truncate_to)) {
        fputc(ch, out);
        n++;
    }
    fclose(in);
    fclose(out);
}

/* A fresh copy of the synthetic CIFAR-10 set in a temporary folder, to break. */
static const char *copy_cifar10(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/c10", tmpdir);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dir, fixture("cifar10"), dir);
    ck_assert_int_eq(system(cmd), 0);
    return dir;
}

static void patch_byte(const char *path, long off, int value)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, off, SEEK_SET);
    fputc(value, f);
    fclose(f);
}

/* The training split's channel statistics against numpy's float64 mean/std in the fixture
 * stats_npy (mean then std); float32 output, so 1e-6. */
static void assert_train_stats(const cifar_t *c, const char *stats_npy)
{
    float *ref = arr_load(fixture(stats_npy)).d;
    float mean[3], std[3];
    cifar_channel_stats(c->pix[CIFAR_TRAIN], c->n[CIFAR_TRAIN], mean, std);
    for (int k = 0; k < 3; k++) {
        ck_assert_float_eq_tol(mean[k], ref[k], 1e-6);
        ck_assert_float_eq_tol(std[k], ref[3 + k], 1e-6);
    }
    free(ref);
}

START_TEST(test_cifar10_load_matches_numpy)
{
    cifar_t c;
    char err[ST_ERR_LEN];
    ck_assert_msg(cifar_load(&c, fixture("cifar10"), 0, err) == 0, "%s", err);
    ck_assert_int_eq(c.n_classes, 10);
    ck_assert_int_eq(c.n[CIFAR_TRAIN], 50);
    ck_assert_int_eq(c.n[CIFAR_TEST], 10);
    npy_t lab;
    ck_assert_msg(npy_read(fixture("cifar10_labels.npy"), &lab, err) == 0, "%s", err);
    ck_assert_int_eq((int)lab.count, 60);
    const int64_t *l = lab.data;
    for (int i = 0; i < 50; i++) ck_assert_int_eq(c.label[CIFAR_TRAIN][i], l[i]);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(c.label[CIFAR_TEST][i], l[50 + i]);
    npy_free(&lab);

    assert_train_stats(&c, "cifar10_stats.npy");
    cifar_free(&c);
}
END_TEST

START_TEST(test_cifar100_load)
{
    cifar_t c;
    char err[ST_ERR_LEN];
    /* The parent folder works too when the files sit in the archive's folder name? No: here
     * the folder is named cifar100, so ask for it directly and by explicit dataset. */
    ck_assert_msg(cifar_load(&c, fixture("cifar100"), 100, err) == 0, "%s", err);
    ck_assert_int_eq(c.n_classes, 100);
    ck_assert_int_eq(c.n[CIFAR_TRAIN], 20);
    ck_assert_int_eq(c.n[CIFAR_TEST], 10);
    assert_train_stats(&c, "cifar100_stats.npy");
    ck_assert_str_eq(cifar_class_names(100)[99], "worm");
    ck_assert_str_eq(cifar_class_names(10)[9], "truck");
    cifar_free(&c);
    /* CIFAR-100 files asked for as CIFAR-10: no data_batch files. */
    ck_assert_int_eq(cifar_load(&c, fixture("cifar100"), 10, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "data_batch_1.bin"));
}
END_TEST

START_TEST(test_cifar_archive_folder)
{
    /* DIR may be the folder holding cifar-10-batches-bin/. */
    char dir[600], cmd[4096];
    snprintf(dir, sizeof dir, "%s/parent", tmpdir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s' '%s/cifar-10-batches-bin'",
             dir, dir, fixture("cifar10"), dir);
    ck_assert_int_eq(system(cmd), 0);
    cifar_t c;
    char err[ST_ERR_LEN];
    ck_assert_msg(cifar_load(&c, dir, 10, err) == 0, "%s", err);
    ck_assert_int_eq(c.n[CIFAR_TRAIN], 50);
    cifar_free(&c);
}
END_TEST

START_TEST(test_cifar_bad_files)
{
    cifar_t c;
    char err[ST_ERR_LEN], path[700];

    /* Missing directory. */
    ck_assert_int_eq(cifar_load(&c, "/nonexistent/cifar", 0, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cifar"));

    /* Missing batch 3. */
    const char *d = copy_cifar10();
    snprintf(path, sizeof path, "%s/data_batch_3.bin", d);
    unlink(path);
    ck_assert_int_eq(cifar_load(&c, d, 10, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "data_batch_3.bin"));
    ck_assert_ptr_nonnull(strstr(err, "missing"));

    /* Truncated file: not a whole number of records. */
    d = copy_cifar10();
    snprintf(path, sizeof path, "%s/data_batch_2.bin", d);
    copy_file(fixture("cifar10/data_batch_2.bin"), path, 3073 * 3 + 100);
    ck_assert_int_eq(cifar_load(&c, d, 10, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "data_batch_2.bin"));
    ck_assert_ptr_nonnull(strstr(err, "whole number"));

    /* Empty file. */
    copy_file(fixture("cifar10/data_batch_2.bin"), path, 0);
    ck_assert_int_eq(cifar_load(&c, d, 10, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "data_batch_2.bin"));

    /* Label 10 in record 4 of the test batch. */
    d = copy_cifar10();
    snprintf(path, sizeof path, "%s/test_batch.bin", d);
    patch_byte(path, 4 * 3073, 10);
    ck_assert_int_eq(cifar_load(&c, d, 10, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "test_batch.bin"));
    ck_assert_ptr_nonnull(strstr(err, "record 4"));
    ck_assert_ptr_nonnull(strstr(err, "label 10"));

    /* CIFAR-100: fine label 100 and coarse label 20. */
    char d100[600], cmd[4096];
    snprintf(d100, sizeof d100, "%s/c100", tmpdir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", d100, fixture("cifar100"), d100);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/train.bin", d100);
    patch_byte(path, 2 * 3074 + 1, 100);
    ck_assert_int_eq(cifar_load(&c, d100, 100, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "train.bin"));
    ck_assert_ptr_nonnull(strstr(err, "label 100"));
    copy_file(fixture("cifar100/train.bin"), path, -1);
    patch_byte(path, 3074, 20);
    ck_assert_int_eq(cifar_load(&c, d100, 100, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "coarse label 20"));

    /* A CIFAR-100 file read as CIFAR-10 has the wrong record size (30740 % 3073 != 0). */
    ck_assert_int_eq(cifar_read_file(fixture("cifar100/test.bin"), 1, 10, &(uint8_t *){0},
                                     &(uint8_t *){0}, &(int){0}, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "test.bin"));

    /* Not a dataset at all. */
    ck_assert_int_eq(cifar_load(&c, tmpdir, 0, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no CIFAR files"));
    ck_assert_int_eq(cifar_load(&c, fixture("cifar10"), 7, err), -1);
}
END_TEST

START_TEST(test_crop_flip_normalize_match_torch)
{
    char err[ST_ERR_LEN];
    uint8_t *pix, *lab;
    int n;
    ck_assert_msg(cifar_read_file(fixture("cifar10/test_batch.bin"), 1, 10, &pix, &lab, &n, err) == 0,
                  "%s", err);
    npy_t params;
    ck_assert_msg(npy_read(fixture("aug_params.npy"), &params, err) == 0, "%s", err);
    float *ref = arr_load(fixture("aug_expected.npy")).d;
    float *st = arr_load(fixture("cifar10_stats.npy")).d;
    int k = (int)params.shape[0];
    const int64_t *p = params.data;
    uint8_t crop[CIFAR_PIXELS];
    float x[CIFAR_PIXELS];
    for (int j = 0; j < k; j++) {
        const int64_t *q = p + 4 * j;
        ck_assert_int_lt(q[0], n);
        image_crop_flip_u8(crop, pix + q[0] * CIFAR_PIXELS, 3, 32, 32, 4, (int)q[1], (int)q[2], (int)q[3]);
        image_normalize(x, crop, 3, 1024, st, st + 3);
        const float *r = ref + (size_t)j * CIFAR_PIXELS;
        for (int i = 0; i < CIFAR_PIXELS; i++)
            ck_assert_msg(fabsf(x[i] - r[i]) <= 1e-6f, "case %d item %d: %g vs %g", j, i, x[i], r[i]);
    }
    /* Denormalising gives back the cropped bytes. */
    uint8_t back[CIFAR_PIXELS];
    image_denormalize(back, x, 3, 1024, st, st + 3);
    ck_assert_int_eq(memcmp(back, crop, CIFAR_PIXELS), 0);
    free(ref);
    free(st);
    npy_free(&params);
    free(pix);
    free(lab);
}
END_TEST

START_TEST(test_augment_draws)
{
    /* Every (dy, dx, flip) of an image of distinct pixels gives a distinct crop, so each draw
     * can be identified; the 162 outcomes must be uniform (chi-square, 161 dof, p=0.001
     * critical value 218.0) and the same seed must give the same draws. */
    enum { C = 1, H = 6, W = 7, PAD = 4, S = 2 * PAD + 1 };
    uint8_t src[C * H * W], out[C * H * W], cand[S * S * 2][C * H * W];
    for (int i = 0; i < C * H * W; i++) src[i] = (uint8_t)(i + 1);
    for (int dy = 0; dy < S; dy++)
        for (int dx = 0; dx < S; dx++)
            for (int f = 0; f < 2; f++) image_crop_flip_u8(cand[(dy * S + dx) * 2 + f], src, C, H, W, PAD, dy, dx, f);
    rng_t r, r2;
    rng_init(&r, 99);
    rng_init(&r2, 99);
    int cnt[S * S * 2] = {0};
    int draws = 162 * 200;
    for (int t = 0; t < draws; t++) {
        image_augment_u8(out, src, C, H, W, PAD, &r);
        uint8_t out2[C * H * W];
        image_augment_u8(out2, src, C, H, W, PAD, &r2);
        ck_assert_int_eq(memcmp(out, out2, sizeof out), 0);
        int hit = -1, hits = 0;
        for (int k = 0; k < S * S * 2; k++)
            if (!memcmp(out, cand[k], sizeof out)) {
                hit = k;
                hits++;
            }
        /* Fully padded crops can coincide only when the window misses the image, which
         * cannot happen with pad < h, w. */
        ck_assert_int_eq(hits, 1);
        cnt[hit]++;
    }
    double chi = 0, e = draws / 162.0;
    for (int k = 0; k < 162; k++) chi += (cnt[k] - e) * (cnt[k] - e) / e;
    ck_assert_double_lt(chi, 218.0);
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    if (!fixtures) return EXIT_FAILURE;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st_image_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cifar10_load_matches_numpy);
    tcase_add_test(tc, test_cifar100_load);
    tcase_add_test(tc, test_cifar_archive_folder);
    tcase_add_test(tc, test_cifar_bad_files);
    tcase_add_test(tc, test_crop_flip_normalize_match_torch);
    tcase_add_test(tc, test_augment_draws);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    check_rm_tmpdir(tmpdir);
    return status;
}
