/* Tests for the log-mel front end against torchaudio 0.13 MelSpectrogram (float64) followed
 * by power_to_db(ref=max, amin=1e-10) (scripts/gen_audio_fixtures.py), for three settings and
 * speech (espeak-ng), tones, silence, noise and a quiet clip. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio.h"
#include "audio/fft.h"
#include "audio/mel.h"
#include "audio/melstream.h"
#include "check_main.h"
#include "common/err.h"
#include "common/npy.h"

static const char *fixtures;
static const char *clips[] = {"speech_yes", "speech_stop", "tones", "silence", "noise", "quiet"};
#define NCLIPS 6

static char *fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/audio/%s", fixtures, name);
    return buf;
}

static float *load_npy(const char *name, int64_t *rows, int64_t *cols)
{
    arr_t a = arr_load(fixture(name));
    ck_assert_int_eq(a.ndim, 2);
    *rows = a.shape[0];
    *cols = a.shape[1];
    return a.d;
}

static int read_setting(const char *want, feat_config_t *c)
{
    FILE *f = fopen(fixture("settings.txt"), "r");
    ck_assert_ptr_nonnull(f);
    char name[16];
    int found = 0;
    while (fscanf(f, "%15s %d %d %d %d %d %lf %lf", name, &c->sample_rate, &c->clip_samples, &c->n_fft,
                  &c->hop, &c->n_mels, &c->fmin, &c->fmax) == 8)
        if (strcmp(name, want) == 0) {
            found = 1;
            break;
        }
    fclose(f);
    return found;
}

/* max over entries of |ours - max(ref, -80)| in dB, where ours is floored at -80. */
static double parity(const char *setting, const char *clip)
{
    feat_config_t c;
    ck_assert(read_setting(setting, &c));
    char err[ST_ERR_LEN], name[128];
    mel_t *m = mel_init(&c, err);
    mel_work_t *w = m ? mel_work_init(m, NULL) : NULL;
    ck_assert_msg(m != NULL, "%s", err);
    float *x = malloc((size_t)c.clip_samples * sizeof *x);
    snprintf(name, sizeof name, "clips/%s.wav", clip);
    int rc = audio_load_clip(fixture(name), c.sample_rate, c.clip_samples, x, err);
    ck_assert_msg(rc == 0, "%s", err);
    int64_t rows, cols;
    snprintf(name, sizeof name, "mel_%s_%s.npy", setting, clip);
    float *ref = load_npy(name, &rows, &cols);
    ck_assert_int_eq(rows, c.n_mels);
    ck_assert_int_eq(cols, mel_frames(m));
    size_t n = (size_t)rows * cols;
    float *db = malloc(n * sizeof *db), *net = malloc(n * sizeof *net);
    mel_compute_db(m, w, x, db);
    mel_compute(m, w, x, net);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(db[i] - fmax(ref[i], -80.0)));
        /* Network input is (dB + 40) / 80 of the same values. */
        ck_assert_float_eq_tol(net[i], (db[i] + 40.0f) / 80.0f, 1e-6);
        ck_assert(net[i] >= -0.5f && net[i] <= 0.5f);
    }
    free(db);
    free(net);
    free(ref);
    free(x);
    mel_work_free(w);
    mel_free(m);
    return worst;
}

START_TEST(test_parity_torchaudio)
{
    const char *settings[] = {"A", "B", "C"};
    double all = 0;
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < NCLIPS; k++) {
            double w = parity(settings[s], clips[k]);
            all = fmax(all, w);
            ck_assert_msg(w <= 0.01, "setting %s clip %s: max |dB diff| %.5f > 0.01", settings[s],
                          clips[k], w);
        }
    printf("mel parity: max |dB diff| vs torchaudio over 3 settings x %d clips: %.5f\n", NCLIPS, all);
}
END_TEST

START_TEST(test_power_relative)
{
    /* The mel power itself (before dB), setting A: relative error on bands above 1e-6 of the
     * clip's maximum. */
    feat_config_t c;
    feat_config_default(&c);
    char err[ST_ERR_LEN], name[128];
    mel_t *m = mel_init(&c, err);
    mel_work_t *w = m ? mel_work_init(m, NULL) : NULL;
    ck_assert_ptr_nonnull(m);
    float x[16000], out[32 * 32];
    for (int k = 0; k < NCLIPS; k++) {
        snprintf(name, sizeof name, "clips/%s.wav", clips[k]);
        ck_assert_int_eq(audio_load_clip(fixture(name), 16000, 16000, x, err), 0);
        int64_t r, cc;
        snprintf(name, sizeof name, "melpow_A_%s.npy", clips[k]);
        float *ref = load_npy(name, &r, &cc);
        mel_compute_power(m, w, x, out);
        float mx = 0;
        for (int i = 0; i < 1024; i++) mx = fmaxf(mx, ref[i]);
        for (int i = 0; i < 1024; i++) {
            if (ref[i] > 1e-6f * mx)
                ck_assert_msg(fabsf(out[i] - ref[i]) <= 2e-4f * ref[i], "%s %d: %g vs %g", clips[k], i,
                              out[i], ref[i]);
            else
                ck_assert(fabsf(out[i] - ref[i]) <= 2e-4f * 1e-6f * mx + 1e-12f);
        }
        free(ref);
    }
    mel_work_free(w);
    mel_free(m);
}
END_TEST

START_TEST(test_defaults_and_shape)
{
    feat_config_t c;
    feat_config_default(&c);
    ck_assert_int_eq(c.sample_rate, 16000);
    ck_assert_int_eq(c.clip_samples, 16000);
    ck_assert_int_eq(c.n_fft, 2048);
    ck_assert_int_eq(c.hop, 512);
    ck_assert_int_eq(c.n_mels, 32);
    ck_assert(c.fmin == 0.0 && c.fmax == 8000.0);
    ck_assert_int_eq(feat_config_frames(&c), 32);
    c.n_fft = 480;
    c.hop = 160;
    c.n_mels = 40;
    ck_assert_int_eq(feat_config_frames(&c), 101);
}
END_TEST

START_TEST(test_silence_is_zero_db)
{
    feat_config_t c;
    feat_config_default(&c);
    mel_t *m = mel_init(&c, NULL);
    mel_work_t *w = m ? mel_work_init(m, NULL) : NULL;
    static float x[16000], out[1024];
    memset(x, 0, sizeof x);
    mel_compute_db(m, w, x, out);
    for (int i = 0; i < 1024; i++) ck_assert_float_eq(out[i], 0.0f);
    /* Non-finite samples are treated as zeros: output stays finite and equals the zero clip. */
    x[100] = NAN;
    x[9000] = INFINITY;
    mel_compute_db(m, w, x, out);
    for (int i = 0; i < 1024; i++) ck_assert_float_eq(out[i], 0.0f);
    mel_work_free(w);
    mel_free(m);
}
END_TEST

static void expect_bad(feat_config_t c, const char *field)
{
    char err[ST_ERR_LEN] = "";
    ck_assert_int_eq(feat_config_check(&c, err), -1);
    ck_assert_msg(strstr(err, field) != NULL, "'%s' not in: %s", field, err);
    ck_assert_ptr_null(mel_init(&c, err));
}

START_TEST(test_config_check)
{
    feat_config_t d, c;
    feat_config_default(&d);
    ck_assert_int_eq(feat_config_check(&d, NULL), 0);
    c = d, c.n_fft = 2047, expect_bad(c, "n_fft");
    c = d, c.n_fft = 0, expect_bad(c, "n_fft");
    c = d, c.clip_samples = 1000, expect_bad(c, "n_fft");
    c = d, c.hop = 0, expect_bad(c, "hop");
    c = d, c.n_mels = 0, expect_bad(c, "n_mels");
    c = d, c.n_mels = 5000, expect_bad(c, "n_mels");
    c = d, c.fmax = 9000, expect_bad(c, "fmax");
    c = d, c.fmin = 8000, expect_bad(c, "fmin");
    c = d, c.fmin = NAN, expect_bad(c, "fmin");
    c = d, c.sample_rate = 0, expect_bad(c, "sample rate");
    c = d, c.clip_samples = -5, expect_bad(c, "clip length");
}
END_TEST

START_TEST(test_threads_same_bytes)
{
    /* mel_compute from many threads at once (shared mel_t) equals the serial result. */
    feat_config_t c;
    feat_config_default(&c);
    mel_t *m = mel_init(&c, NULL);
    mel_work_t *w = m ? mel_work_init(m, NULL) : NULL;
    const int n = 24;
    float *x = malloc((size_t)n * 16000 * sizeof *x);
    float *a = malloc((size_t)n * 1024 * sizeof *a), *b = malloc((size_t)n * 1024 * sizeof *b);
    for (int i = 0; i < n * 16000; i++) x[i] = (float)sin(i * 0.001 * (1 + i / 16000)) * 0.3f;
    for (int i = 0; i < n; i++) mel_compute(m, w, x + (size_t)i * 16000, a + (size_t)i * 1024);
    omp_set_num_threads(4);
    ck_assert_int_eq(mel_compute_batch(m, x, n, b, NULL), 0);
    ck_assert_int_eq(memcmp(a, b, (size_t)n * 1024 * sizeof *a), 0);
    free(x);
    free(a);
    free(b);
    mel_work_free(w);
    mel_free(m);
}
END_TEST


/* ---- the running spectrogram ---- */

typedef struct {
    const mel_t *m;
    const float *x;
    long n;
    long step, count;
    int hw;
} stream_check_t;

/* Every window must be mel_compute of the same cut, zero-padded past the end. */
static int check_window(void *ctx, long index, const float *input)
{
    stream_check_t *c = ctx;
    ck_assert_int_eq(index, c->count);
    const int L = mel_config(c->m)->clip_samples;
    float *clip = malloc((size_t)L * sizeof *clip), *want = malloc((size_t)c->hw * sizeof *want);
    long start = index * c->step;
    audio_fix_length(c->x + start, c->n - start > 0 ? c->n - start : 0, clip, L);
    mel_work_t *w = mel_work_init(c->m, NULL);
    ck_assert_ptr_nonnull(w);
    mel_compute(c->m, w, clip, want);
    mel_work_free(w);
    for (int i = 0; i < c->hw; i++)
        ck_assert_msg(input[i] == want[i], "window %ld value %d: %.9g, mel_compute of the cut %.9g", index, i,
                      (double)input[i], (double)want[i]);
    free(clip), free(want);
    c->count++;
    return 0;
}

/* The FFT wrapper on either backend: arrays at any float offset give the bytes of aligned
 * ones (FFTW runs a plan on other arrays only at the planned alignment, else copies), and
 * the unnormalised inverse of the forward is n * x. */
START_TEST(test_fft_offsets_and_round_trip)
{
    const int n = 480, nb = n / 2 + 1; /* a setting of the parity test; not a power of two */
    float *x = malloc((n + 1) * sizeof *x), *back = malloc((n + 1) * sizeof *back);
    fft_cpx_t *a = malloc((nb + 1) * sizeof *a), *b = malloc((nb + 1) * sizeof *b);
    fft_real_t *fw = fft_real_init(n, 0), *inv = fft_real_init(n, 1);
    ck_assert(x && back && a && b && fw && inv);
    ck_assert_ptr_null(fft_real_init(7, 0));
    for (int i = 0; i <= n; i++) x[i] = (float)sin(0.37 * i * i) + 0.25f;
    memmove(x + 1, x, n * sizeof *x);
    fft_real_forward(fw, x + 1, a);
    memmove(x, x + 1, n * sizeof *x);
    fft_real_forward(fw, x, b + 1);
    ck_assert(memcmp(a, b + 1, nb * sizeof *a) == 0);
    fft_real_inverse(inv, a, back + 1);
    for (int i = 0; i < n; i++) ck_assert_float_eq_tol(back[i + 1] / n, x[i], 1e-5);
    fft_real_free(fw);
    fft_real_free(inv);
    free(x), free(back), free(a), free(b);
}
END_TEST

START_TEST(test_stream_equals_window_by_window)
{
    char err[ST_ERR_LEN];
    feat_config_t fc;
    feat_config_default(&fc);
    mel_t *m = mel_init(&fc, err);
    ck_assert_msg(m != NULL, "%s", err);
    const long n = 52817; /* 3.3 s: not a whole number of hops */
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t st = 12345;
    for (long i = 0; i < n; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        float noise = (float)((st >> 40) / 16777216.0 - 0.5);
        /* loud and quiet stretches, so that windows have different maxima */
        x[i] = noise * (i % 20000 < 6000 ? 0.8f : 0.01f) + 0.3f * (float)sin(i * 0.05);
    }
    const int hops[] = {1, 3, 7, 40};
    for (int h = 0; h < 4; h++) {
        mel_stream_t *s = mel_stream_init(m, hops[h], err);
        ck_assert_msg(s != NULL, "%s", err);
        stream_check_t c = {.m = m, .x = x, .n = n, .step = mel_stream_step(s), .hw = fc.n_mels * mel_frames(m)};
        ck_assert_int_eq(c.step, hops[h] * fc.hop);
        for (long i = 0; i < n;) { /* odd chunk sizes */
            long k = 1 + (i * 7919) % 3001;
            if (k > n - i) k = n - i;
            ck_assert_int_eq(mel_stream_push(s, x + i, k, check_window, &c), 0);
            i += k;
        }
        ck_assert_int_eq(mel_stream_finish(s, check_window, &c), 0);
        /* windows until one reaches the last sample */
        long want = 1;
        while ((want - 1) * c.step + fc.clip_samples < n) want++;
        ck_assert_int_eq(c.count, want);
        mel_stream_free(s);
    }
    /* Shorter than one window: one zero-padded window. */
    mel_stream_t *s = mel_stream_init(m, 3, err);
    stream_check_t c = {.m = m, .x = x, .n = 5000, .step = mel_stream_step(s), .hw = fc.n_mels * mel_frames(m)};
    ck_assert_int_eq(mel_stream_push(s, x, 5000, check_window, &c), 0);
    ck_assert_int_eq(c.count, 0);
    ck_assert_int_eq(mel_stream_finish(s, check_window, &c), 0);
    ck_assert_int_eq(c.count, 1);
    mel_stream_free(s);
    ck_assert_ptr_null(mel_stream_init(m, 0, err));
    free(x);
    mel_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_parity_torchaudio);
    tcase_add_test(tc, test_stream_equals_window_by_window);
    tcase_add_test(tc, test_fft_offsets_and_round_trip);
    tcase_add_test(tc, test_power_relative);
    tcase_add_test(tc, test_defaults_and_shape);
    tcase_add_test(tc, test_silence_is_zero_db);
    tcase_add_test(tc, test_config_check);
    tcase_add_test(tc, test_threads_same_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fixtures = check_fixtures_dir();
    return check_run(suite());
}
