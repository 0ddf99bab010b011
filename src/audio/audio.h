/* audio.h: decoding sound files into mono float samples at a target rate.
 *
 * Anything libsndfile reads (WAV 8/16/24/32-bit PCM and float, FLAC, AIFF, ...) is
 * decoded, multi-channel audio is averaged to mono, and other rates are converted with
 * libsamplerate (SRC_SINC_MEDIUM_QUALITY). Bad input (unreadable, not audio, zero frames,
 * truncated data, NaN/Inf samples) is an error whose message names the file and the
 * reason. All functions are thread-safe (no shared state).
 */
#ifndef ST_AUDIO_H
#define ST_AUDIO_H

#include <stddef.h>

#include "common/err.h"

/* Longest input accepted, in frames at the file's own rate (about 3 hours at 48 kHz):
 * bounds memory for hostile headers. */
#define AUDIO_MAX_FRAMES (1L << 29)

/* Reads the whole file: *samples (malloc'd, *n of them, mono at target_rate). */
int audio_read(const char *path, int target_rate, float **samples, long *n, char *err);

/* Same as audio_read for a file image held in memory; name is used in messages only. */
int audio_read_mem(const void *data, size_t size, const char *name, int target_rate,
                   float **samples, long *n, char *err);

/* Reads the file and fixes it to clip_samples: zero-pad at the end, or truncate. */
int audio_load_clip(const char *path, int target_rate, int clip_samples, float *out, char *err);

/* Copies n samples into out (clip_samples long), zero-padding or truncating at the end. */
void audio_fix_length(const float *in, long n, float *out, int clip_samples);

/* Converts mono audio from in_rate to out_rate (libsamplerate); *out is malloc'd. */
int audio_resample(const float *in, long n, int in_rate, int out_rate, float **out, long *nout,
                   char *err);

#endif
