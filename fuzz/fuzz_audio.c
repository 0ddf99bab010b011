/* libFuzzer target: the loader (libsndfile via memory, mono mixdown, libsamplerate) and the
 * log-mel front end on whatever decodes. Build and run with fuzz/run.sh. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/audio.h"
#include "audio/mel.h"
#include "common/err.h"

static mel_t *mel_default, *mel_small;
static mel_work_t *work_default, *work_small;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!mel_default) {
        feat_config_t c;
        feat_config_default(&c);
        mel_default = mel_init(&c, NULL);
        c.clip_samples = 4000, c.n_fft = 480, c.hop = 160, c.n_mels = 40, c.fmin = 20, c.fmax = 4000;
        mel_small = mel_init(&c, NULL);
        if (!mel_default || !mel_small) abort();
        work_default = mel_work_init(mel_default, NULL);
        work_small = mel_work_init(mel_small, NULL);
        if (!work_default || !work_small) abort();
    }
    /* The last byte picks the target rate, so the resampler sees hostile input too. */
    static const int rates[] = {16000, 16000, 8000, 44100};
    int rate = size ? rates[data[size - 1] & 3] : 16000;
    char err[ST_ERR_LEN];
    float *x;
    long n;
    if (audio_read_mem(data, size, "fuzz", rate, &x, &n, err) == 0) {
        static float clip[16000], out[40 * 101];
        audio_fix_length(x, n, clip, 16000);
        mel_compute(mel_default, work_default, clip, out);
        mel_compute(mel_small, work_small, clip, out);
        for (int i = 0; i < 32 * 32; i++)
            if (!(out[i] >= -0.5f && out[i] <= 0.5f)) abort(); /* must stay in range */
        free(x);
    }
    return 0;
}
