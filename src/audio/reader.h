/* reader.h: decoding a sound file (or raw 16-bit PCM from a descriptor) block by block into
 * mono float samples at a target rate, so that recordings of any length use bounded memory.
 * Channels are averaged; other rates are converted with libsamplerate
 * (SRC_SINC_MEDIUM_QUALITY, streaming). Errors name the file. */
#ifndef ST_READER_H
#define ST_READER_H

typedef struct audio_reader audio_reader_t;

/* Anything libsndfile reads. */
audio_reader_t *audio_reader_open(const char *path, int target_rate, char *err);
/* Raw little-endian signed 16-bit PCM at rate Hz with channels interleaved (e.g. arecord
 * -f S16_LE); name is used in messages. The descriptor is not closed. */
audio_reader_t *audio_reader_open_pcm16(int fd, const char *name, int rate, int channels, int target_rate,
                                        char *err);
/* Up to max (>= 4096) samples into out; 0 at the end, -1 with err on a read error. Blocks on a pipe
 * until some samples arrive. */
long audio_reader_read(audio_reader_t *r, float *out, long max, char *err);
void audio_reader_close(audio_reader_t *r);

#endif
