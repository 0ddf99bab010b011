/* classify.c: label clips with a trained checkpoint, through the installed speechtrain-audio
 * and speechtrain-model libraries.
 *
 *   cc classify.c $(pkg-config --cflags --libs speechtrain-audio speechtrain-model) -lm -o classify
 *   ./classify runs/demo/best.ckpt a.wav [b.wav ...]
 *
 * Prints "name,label,p" per clip: the name without its folder, the most likely class and its
 * softmax probability (as `speechtrain predict --scores` computes it). The front end is rebuilt
 * from the feature settings stored in the checkpoint.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <speechtrain/audio/netinput.h>
#include <speechtrain/model/checkpoint.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: classify CKPT A.wav [B.wav ...]\n");
        return 2;
    }
    char err[ST_ERR_LEN];
    model_t *m = NULL;
    ckpt_info_t info;
    if (ckpt_load(argv[1], &m, 1, &info, err)) return fprintf(stderr, "classify: %s\n", err), 1;
    feat_config_t fc;
    if (feat_config_from_meta(info.meta_text, &fc, argv[1], err)) return fprintf(stderr, "classify: %s\n", err), 1;
    const model_config_t *mc = model_config(m);
    if (info.n_classes != mc->classes) return fprintf(stderr, "classify: %s: no class names\n", argv[1]), 1;
    mel_t *mel = mel_init(&fc, err);
    mel_work_t *w = mel ? mel_work_init(mel, err) : NULL;   // this thread's FFT scratch
    if (!w) return fprintf(stderr, "classify: %s\n", err), 1;
    float *clip = malloc((size_t)fc.clip_samples * sizeof *clip);            // (clip_samples)
    float *x = malloc((size_t)fc.n_mels * mel_frames(mel) * sizeof *x);     // (1, n_mels, frames)
    if (!clip || !x) return fprintf(stderr, "classify: out of memory\n"), 1;
    int rc = 0;
    for (int a = 2; a < argc; a++) {
        if (audio_features(mel, w, argv[a], clip, x, err)) {
            fprintf(stderr, "classify: %s\n", err);
            rc = 1;
            continue;
        }
        model_forward(m, x, 1, 0);   // eval mode: BN running statistics
        const float *z = model_logits(m);
        int best = 0;
        for (int k = 1; k < mc->classes; k++)
            if (z[k] > z[best]) best = k;
        double sum = 0.0;
        for (int k = 0; k < mc->classes; k++) sum += exp((double)z[k] - z[best]);
        const char *slash = strrchr(argv[a], '/');
        printf("%s,%s,%.6f\n", slash ? slash + 1 : argv[a], info.class_names[best], 1.0 / sum);
    }
    free(clip), free(x);
    mel_work_free(w);
    mel_free(mel);
    model_free(m);
    ckpt_info_free(&info);
    return rc;
}
