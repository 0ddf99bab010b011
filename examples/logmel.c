/* logmel.c: the network input of a sound file, through the installed speechtrain-audio library.
 *
 *   cc logmel.c $(pkg-config --cflags --libs speechtrain-audio) -o logmel
 *   ./logmel IN.wav OUT.f32
 *
 * Decodes IN (any format libsndfile reads, resampled to 16 kHz, cut or padded to 1 s) and
 * writes the log-mel input with the default feature settings, (n_mels, frames) = (32, 32)
 * raw little-endian float32, the same values `speechtrain features` stores in its .npy.
 */
#include <stdio.h>
#include <stdlib.h>

#include <speechtrain/audio/netinput.h>
#include <speechtrain/version.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: logmel IN.wav OUT.f32   (speechtrain %s)\n", SPEECHTRAIN_VERSION);
        return 2;
    }
    char err[ST_ERR_LEN];
    feat_config_t fc;
    feat_config_default(&fc);
    mel_t *mel = mel_init(&fc, err);
    mel_work_t *w = mel ? mel_work_init(mel, err) : NULL;   // this thread's FFT scratch
    if (!w) return fprintf(stderr, "logmel: %s\n", err), 1;
    size_t hw = (size_t)fc.n_mels * mel_frames(mel);
    float *clip = malloc((size_t)fc.clip_samples * sizeof *clip);   // (clip_samples)
    float *x = malloc(hw * sizeof *x);                              // (n_mels, frames)
    if (!clip || !x) return fprintf(stderr, "logmel: out of memory\n"), 1;
    if (audio_features(mel, w, argv[1], clip, x, err)) return fprintf(stderr, "logmel: %s\n", err), 1;
    FILE *o = fopen(argv[2], "wb");
    int bad = !o || fwrite(x, sizeof *x, hw, o) != hw;
    if (o && fclose(o)) bad = 1;
    if (bad) return fprintf(stderr, "logmel: %s: cannot write\n", argv[2]), 1;
    printf("%s: %d x %d\n", argv[1], fc.n_mels, mel_frames(mel));
    free(clip), free(x);
    mel_work_free(w);
    mel_free(mel);
    return 0;
}
