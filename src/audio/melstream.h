/* melstream.h: network inputs of sliding windows over audio of any length, from one running
 * spectrogram (bounded memory: one window of samples plus one chunk).
 *
 * Window w starts at sample w * hop_frames * hop and is clip_samples long; its input is what
 * mel_compute gives for that cut (zero-padded past the end of the audio). The frames that lie
 * wholly inside a window are frames of the stream's own spectrogram and are computed once,
 * shared by every window that contains them; the few edge frames that reach into the window's
 * reflect padding (n_fft/2 samples each side: 2 + 2 of 32 by default) are computed per window,
 * and every window is scaled to dB against its own maximum. Non-finite samples count as 0.
 * (mel_compute also rescales clips louder than 1e4; the stream does not: decoded audio is
 * within [-1, 1].)
 */
#ifndef ST_MELSTREAM_H
#define ST_MELSTREAM_H

#include "audio/mel.h"

typedef struct mel_stream mel_stream_t;

/* Called with each window's input (n_mels, frames) and its index; a non-zero return stops
 * mel_stream_push / mel_stream_finish, which then return that value. */
typedef int (*mel_window_fn)(void *ctx, long index, const float *input);

/* hop_frames >= 1: windows advance by hop_frames STFT hops. m must outlive the stream. */
mel_stream_t *mel_stream_init(const mel_t *m, int hop_frames, char *err);
/* Appends n samples and emits every window that is now complete. */
int mel_stream_push(mel_stream_t *s, const float *x, long n, mel_window_fn fn, void *ctx);
/* End of audio: emits the remaining windows, zero-padded, until one reaches the last sample
 * (at least one window in all, even for empty audio). */
int mel_stream_finish(mel_stream_t *s, mel_window_fn fn, void *ctx);
/* Samples between window starts (hop_frames * hop). */
long mel_stream_step(const mel_stream_t *s);
void mel_stream_free(mel_stream_t *s);

#endif
