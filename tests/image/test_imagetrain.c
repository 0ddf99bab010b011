/* End-to-end tests of the programs: `imagetrain` on the synthetic CIFAR files (a width-4
 * model for an epoch, reproducibility, resume, CIFAR-100, bad input) and `speechtrain
 * preview` (a valid PNG of the documented size, for images and for spectrograms). */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <png.h>

#include "check_main.h"
#include "pngread.h"
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *fixtures, *imagetrain, *speechtrain;
static char tmpdir[256];
static char out_text[8192]; /* stdout + stderr of the last run */

/* Runs "prog args" with output captured into out_text; returns the exit status. */
static int run(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(const char *prog, const char *fmt, ...)
{
    char args[4096], cmd[8192], log[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/out.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2>&1", prog, args, log);
    int st = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out_text, 1, sizeof out_text - 1, f) : 0;
    out_text[n] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "a/b" in a buffer that lives until the end of the test program (a handful per test). */
static char *path(const char *a, const char *b)
{
    static char buf[64][1024];
    static int k;
    char tmp[1024];
    k = (k + 1) % 64;
    snprintf(tmp, sizeof tmp, "%s/%s", a, b);
    memcpy(buf[k], tmp, sizeof tmp);
    return buf[k];
}

static char *slurp(const char *p, long *len)
{
    FILE *f = fopen(p, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", p);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*len + 1);
    ck_assert_int_eq((long)fread(b, 1, (size_t)*len, f), *len);
    b[*len] = 0;
    fclose(f);
    return b;
}

static int count_lines(const char *p)
{
    long n;
    char *b = slurp(p, &n);
    int lines = 0;
    for (long i = 0; i < n; i++) lines += b[i] == '\n';
    free(b);
    return lines;
}

static void assert_same_file(const char *a, const char *b)
{
    long na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(x, y, (size_t)na) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

#define TINY "--epochs 1 --batch 10 --width 4 --threads 1 --progress plain --seed 3"

START_TEST(test_imagetrain_one_epoch_reproducible)
{
    char *data = path(fixtures, "image/cifar10"), *r1 = path(tmpdir, "run1"), *r2 = path(tmpdir, "run2");
    ck_assert_msg(run(imagetrain, "--data '%s' " TINY " --out '%s'", data, r1) == 0, "%s", out_text);
    ck_assert_msg(strstr(out_text, "accuracy") != NULL, "%s", out_text);
    struct stat st;
    ck_assert_int_eq(stat(path(r1, "last.ckpt"), &st), 0);
    ck_assert_int_eq(stat(path(r1, "best.ckpt"), &st), 0);
    ck_assert_int_eq(count_lines(path(r1, "log.csv")), 2);      /* header + 1 epoch */
    ck_assert_int_eq(count_lines(path(r1, "test_per_class.csv")), 11);
    long n;
    char *cfg = slurp(path(r1, "config.txt"), &n);
    ck_assert_ptr_nonnull(strstr(cfg, "imagetrain --data "));
    ck_assert_ptr_nonnull(strstr(cfg, " --dataset cifar10 --val 0 --pad 4 "));
    free(cfg);
    /* Same seed and threads: the same bytes. */
    ck_assert_msg(run(imagetrain, "--data '%s' " TINY " --out '%s'", data, r2) == 0, "%s", out_text);
    assert_same_file(path(r1, "last.ckpt"), path(r2, "last.ckpt"));
    /* Another seed: another model. */
    char *r3 = path(tmpdir, "run3");
    ck_assert_int_eq(run(imagetrain, "--data '%s' " TINY " --seed 4 --out '%s'", data, r3), 0);
    long na, nb;
    char *x = slurp(path(r1, "last.ckpt"), &na), *y = slurp(path(r3, "last.ckpt"), &nb);
    ck_assert(na != nb || memcmp(x, y, (size_t)na) != 0);
    free(x);
    free(y);
}
END_TEST

START_TEST(test_imagetrain_resume)
{
    /* 2 epochs of 5 steps, stopped after 5 steps and resumed, equal 2 epochs straight (the
     * thread count is not saved in checkpoints, so it is given again). */
    char *data = path(fixtures, "image/cifar10");
    char *full = path(tmpdir, "full"), *part = path(tmpdir, "part");
    const char *a = "--epochs 2 --batch 10 --width 4 --threads 1 --progress plain --seed 5";
    ck_assert_msg(run(imagetrain, "--data '%s' %s --out '%s'", data, a, full) == 0, "%s", out_text);
    ck_assert_msg(run(imagetrain, "--data '%s' %s --max-steps 5 --out '%s'", data, a, part) == 0, "%s", out_text);
    ck_assert_int_eq(count_lines(path(part, "log.csv")), 2);
    ck_assert_msg(run(imagetrain, "--resume '%s/last.ckpt' --threads 1 --progress plain", part) == 0, "%s", out_text);
    ck_assert_int_eq(count_lines(path(part, "log.csv")), 3);
    assert_same_file(path(full, "last.ckpt"), path(part, "last.ckpt"));
}
END_TEST

START_TEST(test_imagetrain_cifar100_val)
{
    char *data = path(fixtures, "image/cifar100"), *r = path(tmpdir, "c100");
    ck_assert_msg(run(imagetrain, "--data '%s' --dataset cifar100 --val 5 " TINY " --batch 5 --out '%s'", data, r) == 0,
                  "%s", out_text);
    ck_assert_int_eq(count_lines(path(r, "test_per_class.csv")), 101);
    long n;
    char *log = slurp(path(r, "log.csv"), &n);
    ck_assert_ptr_null(strstr(log, "nan")); /* the validation split exists and is scored */
    free(log);
}
END_TEST

START_TEST(test_imagetrain_bad_input)
{
    char *r = path(tmpdir, "bad");
    ck_assert_int_eq(run(imagetrain, "--epochs 1 --out '%s'", r), 2);
    ck_assert_ptr_nonnull(strstr(out_text, "--data"));
    ck_assert_int_eq(run(imagetrain, "--data /nonexistent/cifar --out '%s'", r), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "/nonexistent/cifar"));
    ck_assert_int_eq(run(imagetrain, "--data '%s' --dataset svhn --out '%s'", path(fixtures, "image/cifar10"), r), 2);
    ck_assert_ptr_nonnull(strstr(out_text, "svhn"));
    ck_assert_int_eq(run(imagetrain, "--data '%s' --val 50 --out '%s'", path(fixtures, "image/cifar10"), r), 2);
    ck_assert_ptr_nonnull(strstr(out_text, "--val"));
    ck_assert_int_eq(run(imagetrain, "--data '%s' --bogus 1", path(fixtures, "image/cifar10")), 2);
    ck_assert_ptr_nonnull(strstr(out_text, "--bogus"));

    /* A truncated batch, then a label out of range, in a copy of the data. */
    char *d = path(tmpdir, "broken"), cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && truncate -s 5000 '%s/data_batch_4.bin'", d,
             path(fixtures, "image/cifar10"), d, d);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run(imagetrain, "--data '%s' " TINY " --out '%s'", d, r), 1);
    ck_assert_msg(strstr(out_text, "data_batch_4.bin") != NULL, "%s", out_text);
    snprintf(cmd, sizeof cmd, "cp '%s/data_batch_4.bin' '%s/' && printf '\\377' | dd of='%s/data_batch_1.bin' bs=1 seek=3073 conv=notrunc status=none",
             path(fixtures, "image/cifar10"), d, d);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run(imagetrain, "--data '%s' " TINY " --out '%s'", d, r), 1);
    ck_assert_msg(strstr(out_text, "data_batch_1.bin") && strstr(out_text, "label 255"), "%s", out_text);
    unlink(path(d, "test_batch.bin"));
    ck_assert_int_eq(run(imagetrain, "--data '%s' " TINY " --out '%s'", d, r), 1);
}
END_TEST

/* A 1 s, 16 kHz tone sweep written with libsndfile. */
static void write_wav(const char *p, double f0, double f1)
{
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *s = sf_open(p, SFM_WRITE, &info);
    ck_assert_ptr_nonnull(s);
    static float x[16000];
    double ph = 0;
    for (int i = 0; i < 16000; i++) {
        ph += 2 * M_PI * (f0 + (f1 - f0) * i / 16000.0) / 16000.0;
        x[i] = (float)(0.5 * sin(ph));
    }
    ck_assert_int_eq((int)sf_writef_float(s, x, 16000), 16000);
    sf_close(s);
}

START_TEST(test_preview_cli)
{
    char *png = path(tmpdir, "cifar.png");
    ck_assert_msg(run(speechtrain, "preview --cifar '%s' --pairs 2 --random 2 --scale 3 --out '%s'",
                      path(fixtures, "image/cifar10"), png) == 0, "%s", out_text);
    int w, h;
    free(read_png(png, &w, &h));
    ck_assert_int_eq(w, 6 + (2 + 4 + 2) * (32 * 3 + 6));
    ck_assert_int_eq(h, 6 + 2 * (32 * 3 + 22 + 6));

    /* Spectrograms: 32 mels x 32 frames per clip by default. */
    char *wa = path(tmpdir, "up.wav"), *wb = path(tmpdir, "down.wav"), *spng = path(tmpdir, "spec.png");
    write_wav(wa, 300, 3000);
    write_wav(wb, 3000, 300);
    ck_assert_msg(run(speechtrain, "preview --wav '%s' '%s' --out '%s'", wa, wb, spng) == 0, "%s", out_text);
    free(read_png(spng, &w, &h));
    ck_assert_int_eq(w, 6 + (2 + 4 + 3) * (32 * 4 + 6));
    ck_assert_int_eq(h, 6 + 1 * (32 * 4 + 22 + 6));

    /* Errors name the problem. */
    ck_assert_int_eq(run(speechtrain, "preview --cifar '%s'", path(fixtures, "image/cifar10")), 2);
    ck_assert_ptr_nonnull(strstr(out_text, "--out"));
    ck_assert_int_eq(run(speechtrain, "preview --wav '%s' /nonexistent/b.wav --out '%s'", wa, spng), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "/nonexistent/b.wav"));
    ck_assert_int_eq(run(speechtrain, "preview --cifar '%s' --out /nonexistent/x.png", path(fixtures, "image/cifar10")), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "/nonexistent/x.png"));
    ck_assert_int_eq(run(speechtrain, "preview --cifar '%s' --weights 1,1 --out '%s'", path(fixtures, "image/cifar10"), png), 2);
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    imagetrain = check_require_env("IMAGETRAIN");
    speechtrain = check_require_env("SPEECHTRAIN");
    if (!fixtures || !imagetrain || !speechtrain) return EXIT_FAILURE;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st_imagetrain_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("imagetrain");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_imagetrain_one_epoch_reproducible);
    tcase_add_test(tc, test_imagetrain_resume);
    tcase_add_test(tc, test_imagetrain_cifar100_val);
    tcase_add_test(tc, test_imagetrain_bad_input);
    tcase_add_test(tc, test_preview_cli);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    check_rm_tmpdir(tmpdir);
    return status;
}
