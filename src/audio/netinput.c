/* netinput.c: sound file -> network input. */
#include "audio/netinput.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audio/audio.h"

int audio_features_len(const mel_t *mel, mel_work_t *w, const char *path, float *clip, float *out, long *samples,
                       char *err)
{
    const feat_config_t *fc = mel_config(mel);
    float *x = NULL;
    long n = 0;
    if (audio_read(path, fc->sample_rate, &x, &n, err)) return -1;
    audio_fix_length(x, n, clip, fc->clip_samples);
    free(x);
    if (samples) *samples = n;
    mel_compute(mel, w, clip, out);
    return 0;
}

int audio_features(const mel_t *mel, mel_work_t *w, const char *path, float *clip, float *out, char *err)
{
    return audio_features_len(mel, w, path, clip, out, NULL, err);
}

int audio_is_wav(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".wav") == 0;
}
