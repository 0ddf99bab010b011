/* sc_corrupt.c: corrupted evaluation batches of a Speech Commands split (sc_batch_corrupt). */
#include "audio/corrupt.h"
#include "audio/speechcommands.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define TAG_CORRUPT 0xc0ffe7a9ULL

int sc_batch_corrupt(const sc_dataset_t *d, int split, const int *idx, int n, int kind, int severity,
                     uint64_t seed, float *x, int *labels, char *err)
{
    const mel_t *mel = sc_mel(d);
    const feat_config_t *fc = mel_config(mel);
    const int L = fc->clip_samples;
    const size_t hw = (size_t)fc->n_mels * mel_frames(mel);
    long nn;
    const float *noise = sc_noise(d, &nn);
    int failed = 0;
    char first[ST_ERR_LEN] = "";
#pragma omp parallel
    {
        float *clip = malloc((size_t)L * sizeof *clip);
        mel_work_t *w = mel_work_init(mel, NULL);
        char e[ST_ERR_LEN];
#pragma omp for schedule(dynamic, 2)
        for (int j = 0; j < n; j++) {
            if (labels) labels[j] = sc_label(d, split, idx[j]);
            int bad = !clip || !w;
            if (!bad) {
                rng_t r;
                rng_derive(&r, seed ^ (TAG_CORRUPT + (uint64_t)kind), (uint64_t)severity, (uint64_t)idx[j]);
                sc_waveform(d, split, idx[j], 0, clip);
                bad = corrupt_apply(kind, severity, clip, L, fc->sample_rate, noise, nn, &r, e) != 0;
                if (!bad) mel_compute(mel, w, clip, x + j * hw);
            }
            if (bad) {
                memset(x + j * hw, 0, hw * sizeof *x);
#pragma omp critical(sc_corrupt_err)
                if (!failed++) snprintf(first, sizeof first, "%s", clip && w ? e : "out of memory");
            }
        }
        mel_work_free(w);
        free(clip);
    }
    if (failed) return st_err(err, "%s", first);
    return 0;
}
