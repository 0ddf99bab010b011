/* Tests for src/audio/netinput: a WAV file to the network input agrees with torchaudio's
 * log-mel of the same clip (scripts/gen_audio_fixtures.py, setting A = the defaults), a bad
 * file is an error naming it, and the one .wav name test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/netinput.h"
#include "check_main.h"

static const char *fixtures;

START_TEST(test_features_match_torchaudio)
{
    const char *clips[] = {"speech_yes", "tones", "noise"};
    feat_config_t c;
    feat_config_default(&c);   /* setting A of tests/fixtures/audio/settings.txt */
    char err[ST_ERR_LEN], path[1024];
    mel_t *m = mel_init(&c, err);
    ck_assert_msg(m != NULL, "%s", err);
    mel_work_t *w = mel_work_init(m, err);
    ck_assert_msg(w != NULL, "%s", err);
    float *clip = malloc((size_t)c.clip_samples * sizeof *clip);
    float *out = malloc((size_t)c.n_mels * mel_frames(m) * sizeof *out);
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/audio/clips/%s.wav", fixtures, clips[k]);
        ck_assert_msg(audio_features(m, w, path, clip, out, err) == 0, "%s", err);
        snprintf(path, sizeof path, "%s/audio/mel_A_%s.npy", fixtures, clips[k]);
        arr_t ref = arr_load(path);
        ck_assert_int_eq(ref.n, (size_t)c.n_mels * mel_frames(m));
        double worst = 0;
        for (size_t i = 0; i < ref.n; i++) worst = fmax(worst, fabs(out[i] * 80.0 - 40.0 - fmax(ref.d[i], -80.0)));
        ck_assert_msg(worst <= 0.01, "%s: max |dB diff| %.5f", clips[k], worst);
        free(ref.d);
    }
    snprintf(path, sizeof path, "%s/audio/bad/text.wav", fixtures);
    ck_assert_int_eq(audio_features(m, w, path, clip, out, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "text.wav"));
    free(clip), free(out);
    mel_work_free(w);
    mel_free(m);
}
END_TEST

START_TEST(test_is_wav)
{
    ck_assert(audio_is_wav("a.wav"));
    ck_assert(audio_is_wav("dir/clip_01.WAV"));
    ck_assert(audio_is_wav("x.Wav"));
    ck_assert(!audio_is_wav(".wav"));
    ck_assert(!audio_is_wav("a.wave"));
    ck_assert(!audio_is_wav("a.flac"));
    ck_assert(!audio_is_wav("wav"));
    ck_assert(!audio_is_wav(""));
}
END_TEST

int main(void)
{
    fixtures = check_fixtures_dir();
    Suite *s = suite_create("netinput");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_features_match_torchaudio);
    tcase_add_test(tc, test_is_wav);
    suite_add_tcase(s, tc);
    return check_run(s);
}
