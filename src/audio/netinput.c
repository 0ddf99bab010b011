/* netinput.c: sound file -> network input. */
#include "audio/netinput.h"

#include <string.h>
#include <strings.h>

#include "audio/audio.h"

int audio_features(const mel_t *mel, const char *path, float *clip, float *out, char *err)
{
    const feat_config_t *fc = mel_config(mel);
    if (audio_load_clip(path, fc->sample_rate, fc->clip_samples, clip, err)) return -1;
    mel_compute(mel, clip, out);
    return 0;
}

int audio_is_wav(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".wav") == 0;
}
