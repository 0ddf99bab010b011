/* netinput.h: a sound file to the network's input, the one path every command takes (training
 * data goes through the dataset's cache to the same mel_compute). */
#ifndef ST_AUDIO_NETINPUT_H
#define ST_AUDIO_NETINPUT_H

#include "audio/mel.h"
#include "common/err.h"

/* Decodes path at mel's sample rate, fixes it to its clip length (zero-pad or cut) and writes
 * the log-mel input, (n_mels, mel_frames(mel)) floats, into out. w and clip (clip_samples
 * floats) are the calling thread's scratch, so threads share one mel_t. -1 with err naming
 * the file. */
int audio_features(const mel_t *mel, mel_work_t *w, const char *path, float *clip, float *out, char *err);
/* Same, and *samples = the decoded length before the fix (to tell a longer clip from one that
 * fits the window). */
int audio_features_len(const mel_t *mel, mel_work_t *w, const char *path, float *clip, float *out, long *samples,
                       char *err);

/* 1 when a file name ends in ".wav" (any case) after at least one character. */
int audio_is_wav(const char *name);

#endif
