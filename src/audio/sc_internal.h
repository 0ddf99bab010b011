/* sc_internal.h: shared between the Speech Commands files; not a public header. */
#ifndef ST_SC_INTERNAL_H
#define ST_SC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* One sound file found by the scan: a word clip or a background-noise file. */
typedef struct {
    char *rel;          /* path relative to DIR */
    int label;          /* class index; -1 for background noise */
    long long size;     /* bytes, and modification time: the cache key */
    long long mtime_ns;
} sc_file_t;

typedef struct {
    sc_file_t *words;   /* sorted by rel */
    int nwords;
    sc_file_t *noise;   /* the .wav files in _background_noise_, sorted */
    int nnoise;
    char **val, **test; /* sorted list entries, or NULL when the lists are missing */
    int nval, ntest;
    int have_lists;
} sc_scan_t;

int sc_scan(const char *dir, sc_scan_t *s, char *err);
void sc_scan_free(sc_scan_t *s);
/* 1 when rel appears in the sorted list. */
int sc_list_has(char *const *list, int n, const char *rel);
/* 64-bit digest of everything decoding depends on: rate, clip length and every file's
 * path, size and modification time. */
uint64_t sc_scan_key(const sc_scan_t *s, int sample_rate, int clip_samples);

/* Decoded audio: word clips as int16 with one scale per clip, noise as float. */
typedef struct {
    int nitems, clip;        /* word clips, samples per clip */
    const int16_t *pcm;      /* (nitems, clip) */
    const float *scale;      /* (nitems) sample = pcm * scale */
    const uint8_t *bad;      /* (nitems) 1 = the file failed to decode */
    long nnoise;             /* concatenated background noise samples */
    const float *noise;      /* (nnoise) */
    char **msgs;             /* (nitems + noise files) error line per bad file, else NULL */
    int nmsgs;
    int noise_bad;           /* background files that failed */
    void *map;               /* mmap'd cache, or NULL */
    size_t map_len;
    void *owned[4];          /* malloc'd arrays when not mapped */
} sc_audio_t;

/* Cache file: 0 and *a filled when path holds a valid cache for key; -1 otherwise, with err
 * empty when there is no cache for key (none, stale, another format) and set when the file
 * is damaged (checksum, non-finite samples, malformed records). */
int sc_cache_load(const char *path, uint64_t key, int nitems, int nnoise_files, int clip,
                  sc_audio_t *a, char *err);
/* Writes a cache atomically; -1 with err on failure (the caller goes on without one). */
int sc_cache_save(const char *path, uint64_t key, int nnoise_files, const sc_audio_t *a, char *err);
void sc_audio_free(sc_audio_t *a);

#endif
