/* mel.h: the log-mel front end (docs/reference.md §2).
 *
 * clip (clip_samples) -> centred STFT with reflect padding and a periodic Hann window
 * (KissFFT real FFT) -> power -> Slaney mel filterbank (applied as sparse triangles) ->
 * power_to_db(ref=max, amin=1e-10, top_db=80) -> (dB + 40) / 80, shape (n_mels, frames).
 *
 * A mel_t holds the window and the filterbank; it is built once and read by any number of
 * threads. The FFT plan and frame buffers are the caller's: a mel_work_t, one per thread
 * that computes at a time (as a KissFFT caller owns its cfg), so no call locks or allocates.
 *
 *     mel_t *m = mel_init(&fc, err);
 *     mel_work_t *w = mel_work_init(m, err);
 *     mel_compute(m, w, clip, out);
 *     mel_work_free(w);
 *     mel_free(m);
 */
#ifndef ST_MEL_H
#define ST_MEL_H

#include <stddef.h>

#include "common/err.h"

typedef struct {
    int sample_rate;    /* Hz, 16000 */
    int clip_samples;   /* samples per clip, 16000 */
    int n_fft;          /* FFT size = window length, 2048; even */
    int hop;            /* hop length, 512 */
    int n_mels;         /* mel bands = network input height, 32 */
    double fmin, fmax;  /* filterbank edges in Hz, 0 and 8000 */
} feat_config_t;

/* docs/reference.md §2 values: 16 kHz, 16000 samples, n_fft 2048, hop 512, 32 mels, 0-8000 Hz. */
void feat_config_default(feat_config_t *c);
/* Checks ranges and consistency; names the offending field in err. */
int feat_config_check(const feat_config_t *c, char *err);
/* Time frames for a configuration: 1 + clip_samples / hop (centred STFT). */
int feat_config_frames(const feat_config_t *c);
/* The settings as "feat.key=value\n" lines (a checkpoint's meta text stores them so). */
void feat_config_meta(const feat_config_t *c, char *buf, size_t len);
/* Reads them back from such text (a checkpoint's meta_text) and checks them; -1 with err
 * naming `name` (the checkpoint) when a key is missing or a value is out of range. */
int feat_config_from_meta(const char *meta, feat_config_t *c, const char *name, char *err);

typedef struct mel mel_t;
typedef struct mel_work mel_work_t;

mel_t *mel_init(const feat_config_t *c, char *err);
/* Scratch for one thread's calls on m (or on any mel_t of the same configuration), about
 * 4 * (clip_samples + 2 n_fft) bytes plus the FFT plan; NULL with err set when out of memory. */
mel_work_t *mel_work_init(const mel_t *m, char *err);
void mel_work_free(mel_work_t *w);
/* Time frames W (32 by default). */
int mel_frames(const mel_t *m);
/* The configuration the front end was built with. */
const feat_config_t *mel_config(const mel_t *m);
/* clip (clip_samples) -> out (n_mels, frames) network input (dB + 40) / 80, with w's scratch.
 * Non-finite input samples are treated as 0 so that the output is always finite. */
void mel_compute(const mel_t *m, mel_work_t *w, const float *clip, float *out);
/* Same, but writes the floored dB values (before the (dB+40)/80 scaling). */
void mel_compute_db(const mel_t *m, mel_work_t *w, const float *clip, float *out);
/* n clips (n, clip_samples) -> out (n, n_mels, frames), OpenMP over clips, each thread with
 * scratch of its own; -1 with err set when out of memory (out then undefined). */
int mel_compute_batch(const mel_t *m, const float *clips, int n, float *out, char *err);
/* The mel power spectrogram before dB, (n_mels, frames); for tests and tools. */
void mel_compute_power(const mel_t *m, mel_work_t *w, const float *clip, float *out);
/* Mel powers of one STFT frame: frame (n_fft samples, unwindowed) -> out[b * stride] for
 * b < n_mels, exactly as mel_compute_power computes each frame. */
void mel_frame(const mel_t *m, mel_work_t *w, const float *frame, float *out, size_t stride);
/* A window's mel powers (n_mels, frames) -> network input, in place: power_to_db with the
 * window's own maximum as ref, floor -80 dB, (dB + 40) / 80; as mel_compute does. */
void mel_power_to_input(const mel_t *m, float *s);
void mel_free(mel_t *m);

#endif
