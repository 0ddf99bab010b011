/* Tests for src/audio decoding and augmentation: formats decoded by torchaudio (sox_io, not
 * libsndfile), resampled tones, bad files, and np.interp for the speed change. Fixtures come
 * from scripts/gen_audio_fixtures.py. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio/audio.h"
#include "audio/augment.h"
#include "check_main.h"
#include "common/err.h"
#include "common/npy.h"
#include "common/rng.h"

static const char *fixtures;

static char *fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/audio/%s", fixtures, name);
    return buf;
}

static float *load_npy(const char *name, long *n)
{
    arr_t a = arr_load(fixture(name));
    *n = (long)a.n;
    return a.d;
}

/* Our decode of fixture file f must match torchaudio's within tol (absolute). */
static void check_format(const char *file, const char *npy, double tol)
{
    char err[ST_ERR_LEN], path[1024];
    snprintf(path, sizeof path, "%s", fixture(file));
    float *x;
    long n, m;
    int rc = audio_read(path, 16000, &x, &n, err);
    ck_assert_msg(rc == 0, "%s", err);
    float *ref = load_npy(npy, &m);
    ck_assert_int_eq(n, m);
    double worst = 0;
    for (long i = 0; i < n; i++) worst = fmax(worst, fabs((double)x[i] - ref[i]));
    ck_assert_msg(worst <= tol, "%s: max |diff| %g > %g", file, worst, tol);
    free(x);
    free(ref);
}

START_TEST(test_formats_match_torchaudio)
{
    /* Integer PCM normalises by 2^(bits-1) in both libraries: exact up to float rounding. */
    check_format("formats/s16.wav", "formats/fmt_s16_wav.npy", 1e-7);
    check_format("formats/s24.wav", "formats/fmt_s24_wav.npy", 1e-7);
    check_format("formats/f32.wav", "formats/fmt_f32_wav.npy", 0);
    check_format("formats/u8.wav", "formats/fmt_u8_wav.npy", 1e-7);
    check_format("formats/s16.flac", "formats/fmt_s16_flac.npy", 1e-7);
    /* Stereo: the mean of the two channels. */
    check_format("formats/stereo_s16.wav", "formats/fmt_stereo_s16_wav.npy", 1e-7);
}
END_TEST

/* Amplitude of a sine of frequency f in x by least squares on sin/cos, plus the residual rms. */
static void sine_fit(const float *x, long n, double f, double sr, double *amp, double *resid)
{
    double ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
    for (long i = 0; i < n; i++) {
        double s = sin(2 * M_PI * f * i / sr), c = cos(2 * M_PI * f * i / sr);
        ss += s * s, sc += s * c, cc += c * c, xs += x[i] * s, xc += x[i] * c;
    }
    double det = ss * cc - sc * sc, a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
    *amp = sqrt(a * a + b * b);
    double r = 0;
    for (long i = 0; i < n; i++) {
        double e = x[i] - a * sin(2 * M_PI * f * i / sr) - b * cos(2 * M_PI * f * i / sr);
        r += e * e;
    }
    *resid = sqrt(r / n);
}

START_TEST(test_resampled_tone)
{
    /* sox synth 1 kHz at volume 0.5 for 0.5 s at 8000/22050/44100 Hz. After conversion to
     * 16 kHz: 8000 samples, a 1 kHz sine of amplitude 0.5 (16-bit quantised), nothing else.
     * The fit skips the filter's edge transients (first and last 200 samples). */
    const int rates[] = {8000, 22050, 44100};
    for (int k = 0; k < 3; k++) {
        char name[64], err[ST_ERR_LEN];
        snprintf(name, sizeof name, "rate/tone_%d.wav", rates[k]);
        float *x;
        long n;
        int rc = audio_read(fixture(name), 16000, &x, &n, err);
        ck_assert_msg(rc == 0, "%s", err);
        ck_assert_msg(labs(n - 8000) <= 1, "%s: %ld samples", name, n);
        double amp, resid;
        sine_fit(x + 200, n - 400, 1000.0, 16000.0, &amp, &resid);
        ck_assert_msg(fabs(amp - 0.5) < 0.005, "%s: amplitude %g", name, amp);
        ck_assert_msg(resid < 0.5 * 1e-3, "%s: residual rms %g (> -60 dB)", name, resid);
        free(x);
    }
}
END_TEST

START_TEST(test_clip_pad_and_truncate)
{
    char err[ST_ERR_LEN];
    long m;
    float *ref = load_npy("formats/fmt_s16_wav.npy", &m); /* 4000 samples */
    float out[6000];
    int rc = audio_load_clip(fixture("formats/s16.wav"), 16000, 6000, out, err);
    ck_assert_msg(rc == 0, "%s", err);
    for (int i = 0; i < 4000; i++) ck_assert_float_eq_tol(out[i], ref[i], 1e-7);
    for (int i = 4000; i < 6000; i++) ck_assert_float_eq(out[i], 0.0f);
    rc = audio_load_clip(fixture("formats/s16.wav"), 16000, 1000, out, err);
    ck_assert_msg(rc == 0, "%s", err);
    for (int i = 0; i < 1000; i++) ck_assert_float_eq_tol(out[i], ref[i], 1e-7);
    free(ref);
}
END_TEST

static void check_bad(const char *file, const char *reason)
{
    char err[ST_ERR_LEN] = "";
    float *x = (float *)1;
    long n = 7;
    int rc = audio_read(fixture(file), 16000, &x, &n, err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(x);
    ck_assert_int_eq(n, 0);
    ck_assert_msg(strstr(err, file) != NULL, "message does not name the file: %s", err);
    ck_assert_msg(strstr(err, reason) != NULL, "message lacks '%s': %s", reason, err);
}

START_TEST(test_bad_files)
{
    check_bad("bad/truncated.wav", "truncated");
    check_bad("bad/empty.wav", "cannot read as audio");
    check_bad("bad/text.wav", "cannot read as audio");
    check_bad("bad/header_only.wav", "no audio frames");
    check_bad("bad/nan.wav", "NaN");
    check_bad("bad/inf.wav", "frame 500");
    check_bad("bad/does_not_exist.wav", "cannot open: No such file");
    check_bad("bad", "is a directory");
    /* The in-memory reader gives the same verdicts. */
    FILE *f = fopen(fixture("bad/truncated.wav"), "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char buf[65536];
    size_t sz = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char err[ST_ERR_LEN];
    float *x;
    long n;
    ck_assert_int_eq(audio_read_mem(buf, sz, "mem.wav", 16000, &x, &n, err), -1);
    ck_assert_msg(strstr(err, "mem.wav: truncated"), "%s", err);
    ck_assert_int_eq(audio_read_mem(buf, 0, "zero.wav", 16000, &x, &n, err), -1);
}
END_TEST

/* The bytes of a fixture file (at most cap). */
static size_t read_fixture(const char *name, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(fixture(name), "rb");
    ck_assert_ptr_nonnull(f);
    size_t sz = fread(buf, 1, cap, f);
    fclose(f);
    return sz;
}

/* What the WAV data chunk's declared size does (docs/audio.md): more than the file holds is
 * truncation, less reads only the declared frames, 0 has no frames, 0xFFFFFFFF (a streaming
 * writer's placeholder) reads to the end. s16.wav is mono 16-bit at 16 kHz. */
START_TEST(test_data_chunk_sizes)
{
    static unsigned char buf[65536];
    size_t sz = read_fixture("formats/s16.wav", buf, sizeof buf);
    ck_assert_int_eq(buf[22] | buf[23] << 8, 1);                     /* channels */
    ck_assert_int_eq(buf[24] | buf[25] << 8 | buf[26] << 16, 16000); /* rate */
    unsigned char *d = NULL;
    for (size_t i = 12; !d && i + 8 <= sz; i++)
        if (!memcmp(buf + i, "data", 4)) d = buf + i;
    ck_assert_ptr_nonnull(d);
    const size_t body = sz - (size_t)(d + 8 - buf);
    const struct { uint32_t declared; long frames; const char *err; } cases[] = {
        {(uint32_t)body, (long)body / 2, NULL},
        {(uint32_t)body + 1000, 0, "truncated"},
        {1000, 500, NULL},
        {0, 0, "no audio frames"},
        {0xFFFFFFFFu, (long)body / 2, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(d + 4, &cases[k].declared, 4);
        char err[ST_ERR_LEN] = "";
        float *x = NULL;
        long n = 0;
        int rc = audio_read_mem(buf, sz, "chunk.wav", 16000, &x, &n, err);
        if (cases[k].err) {
            ck_assert_msg(rc == -1 && strstr(err, cases[k].err), "declared %u: rc %d, %s", cases[k].declared, rc, err);
        } else {
            ck_assert_msg(rc == 0, "declared %u: %s", cases[k].declared, err);
            ck_assert_int_eq(n, cases[k].frames);
            free(x);
        }
    }
}
END_TEST

/* An 88-byte FLAC (found by fuzz/run.sh audio, kept in fuzz/corpus/audio) whose header
 * promises 268439456 frames: decoding must cost what decodes, not a 1 GB buffer up front.
 * A child with 256 MB of data segment tries it (skipped under ASan, whose shadow memory the
 * limit would break, and valgrind, whose allocator the limit does not reach). */
START_TEST(test_header_frames_do_not_allocate)
{
#ifndef __SANITIZE_ADDRESS__
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/../../fuzz/corpus/audio/regress-oom-59185c3cb1f7", fixtures);
    static unsigned char buf[256];
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s missing", path);
    size_t sz = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_eq(sz, 88);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit rl = {256u << 20, 256u << 20};
        setrlimit(RLIMIT_DATA, &rl);
        char err[ST_ERR_LEN];
        float *x;
        long n;
        int rc = audio_read_mem(buf, sz, "hostile.flac", 16000, &x, &n, err);
        _exit(rc == -1 && strstr(err, "truncated") ? 0 : strstr(err, "out of memory") ? 2 : 1);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d (2: out of memory)", st);
#endif
}
END_TEST

START_TEST(test_mem_equals_file)
{
    static unsigned char buf[65536];
    size_t sz = read_fixture("formats/s24.wav", buf, sizeof buf);
    char err[ST_ERR_LEN];
    float *a, *b;
    long na, nb;
    ck_assert_int_eq(audio_read_mem(buf, sz, "s24", 16000, &a, &na, err), 0);
    ck_assert_int_eq(audio_read(fixture("formats/s24.wav"), 16000, &b, &nb, err), 0);
    ck_assert_int_eq(na, nb);
    ck_assert_int_eq(memcmp(a, b, (size_t)na * sizeof *a), 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_speed_matches_np_interp)
{
    long n, m;
    float *in = load_npy("speed_in.npy", &n);
    FILE *f = fopen(fixture("speed_scales.txt"), "r");
    ck_assert_ptr_nonnull(f);
    double scale;
    int k = 0;
    float *out = malloc((size_t)n * sizeof *out);
    while (fscanf(f, "%lf", &scale) == 1) {
        char name[64];
        snprintf(name, sizeof name, "speed_%d.npy", k++);
        float *ref = load_npy(name, &m);
        ck_assert_int_eq(m, n);
        aug_speed(in, (int)n, scale, out);
        for (long i = 0; i < n; i++)
            ck_assert_msg(fabsf(out[i] - ref[i]) <= 1e-6f, "scale %g i %ld: %g vs %g", scale, i,
                          out[i], ref[i]);
        free(ref);
    }
    ck_assert_int_eq(k, 5);
    fclose(f);
    free(out);
    free(in);
}
END_TEST

START_TEST(test_shift)
{
    float x[10], y[10];
    for (int i = 0; i < 10; i++) x[i] = (float)(i + 1);
    memcpy(y, x, sizeof x);
    aug_shift(y, 10, 3);
    for (int i = 0; i < 10; i++) ck_assert_float_eq(y[i], i < 3 ? 0.0f : x[i - 3]);
    memcpy(y, x, sizeof x);
    aug_shift(y, 10, -4);
    for (int i = 0; i < 10; i++) ck_assert_float_eq(y[i], i >= 6 ? 0.0f : x[i + 4]);
    memcpy(y, x, sizeof x);
    aug_shift(y, 10, 12);
    for (int i = 0; i < 10; i++) ck_assert_float_eq(y[i], 0.0f);
}
END_TEST

START_TEST(test_augment_statistics)
{
    /* With only the amplitude transform on, a constant clip becomes either unchanged (half
     * the time) or scaled by U(0.7, 1.1): check the firing rate and the range. */
    aug_config_t a;
    aug_config_default(&a);
    a.speed = a.shift = a.noise = 0;
    int fired = 0, trials = 4000;
    float x[64], work[64];
    double lo = 9, hi = 0;
    for (int t = 0; t < trials; t++) {
        rng_t r;
        rng_derive(&r, 5, 0, (uint64_t)t);
        for (int i = 0; i < 64; i++) x[i] = 1.0f;
        aug_apply(&a, &r, x, 64, 16000, NULL, 0, work);
        if (x[0] != 1.0f) {
            fired++;
            lo = fmin(lo, x[0]);
            hi = fmax(hi, x[0]);
        }
        for (int i = 1; i < 64; i++) ck_assert_float_eq(x[i], x[0]);
    }
    /* Binomial(4000, 0.5): sd 31.6, 4 sd bound. */
    ck_assert_int_lt(abs(fired - trials / 2), 127);
    ck_assert(lo >= 0.7 - 1e-6 && lo < 0.71);
    ck_assert(hi < 1.1 + 1e-6 && hi > 1.09);
    /* Noise: with only noise on and a zero clip, the result is noise*p with p < 0.45. */
    aug_config_default(&a);
    a.amplitude = a.speed = a.shift = 0;
    float noise[256];
    for (int i = 0; i < 256; i++) noise[i] = 1.0f;
    fired = 0;
    for (int t = 0; t < 1000; t++) {
        rng_t r;
        rng_derive(&r, 9, 1, (uint64_t)t);
        memset(x, 0, sizeof x);
        aug_apply(&a, &r, x, 64, 16000, noise, 256, work);
        ck_assert(x[0] >= 0.0f && x[0] < 0.45f);
        fired += x[0] > 0.0f;
    }
    ck_assert_int_lt(abs(fired - 500), 64);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("audio");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_formats_match_torchaudio);
    tcase_add_test(tc, test_resampled_tone);
    tcase_add_test(tc, test_clip_pad_and_truncate);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_data_chunk_sizes);
    tcase_add_test(tc, test_header_frames_do_not_allocate);
    tcase_add_test(tc, test_mem_equals_file);
    tcase_add_test(tc, test_speed_matches_np_interp);
    tcase_add_test(tc, test_shift);
    tcase_add_test(tc, test_augment_statistics);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fixtures = check_fixtures_dir();
    return check_run(suite());
}
