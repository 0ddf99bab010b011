/* speechcommands.h: the Speech Commands dataset (docs/reference.md §3).
 *
 * sc_open scans DIR in the v0.01/v0.02 layout (DIR/<word>/<file>.wav,
 * DIR/_background_noise_/<file>.wav, optional validation_list.txt / testing_list.txt), splits
 * it (by the lists, or by TensorFlow's sha1 rule when both lists are missing), maps words
 * to the 12 Kaggle classes, adds silence items made from background-noise windows, and
 * decodes every clip once (in parallel) into 16-bit storage kept in memory or in a cache
 * file next to the data that is rebuilt when the data changes. Folders whose names start
 * with '_' or '.' are not words.
 *
 * Items of a split: the word clips sorted by path, then the silence items.
 * sc_batch turns items into network inputs (n, 1, n_mels, frames) on all OpenMP threads;
 * training items are augmented (when enabled) from rng_derive(seed, epoch, index), so the
 * bytes depend only on (seed, epoch, index), never on the thread count.
 */
#ifndef ST_SPEECHCOMMANDS_H
#define ST_SPEECHCOMMANDS_H

#include <stdint.h>
#include <stdio.h>

#include "audio/augment.h"
#include "audio/mel.h"

#define SC_NCLASSES 12
#define SC_SILENCE 10
#define SC_UNKNOWN 11

/* yes no up down left right on off stop go silence unknown */
extern const char *const sc_class_names[SC_NCLASSES];

enum { SC_TRAIN, SC_VALIDATION, SC_TEST, SC_NSPLITS };
extern const char *const sc_split_names[SC_NSPLITS];   /* training validation testing */

typedef struct {
    int strict;            /* a bad file is fatal (default: skip it, count it, report it) */
    int balance;           /* sc_epoch_order draws classes equally often on the training split */
    int augment;           /* training augmentation on (the aug switches below apply) */
    aug_config_t aug;      /* which transforms and their ranges (docs/reference.md §3) */
    double silence_frac;   /* silence items per split = floor(frac * word items), 0.1 */
    int use_cache;         /* keep decoded audio in a cache file (default 1) */
    const char *cache_path;/* NULL: DIR/.speechtrain-cache-<rate>-<samples>.bin */
    uint64_t seed;         /* shuffling, training silence and augmentation */
    /* Classes. keywords: NULL = the 12 Kaggle classes; "all" = every word folder is a class
     * (sorted, no unknown class); "a,b,c" = those folders, then silence and unknown.
     * no_silence / no_unknown drop those classes (clips of other words are then left out).
     * classes (n_classes names, e.g. from a checkpoint) overrides keywords: the names
     * "silence" and "unknown" are those classes, every other name a word folder. */
    const char *keywords;
    int no_silence, no_unknown;
    const char *const *classes;
    int n_classes;
    FILE *log;             /* where the report and skipped-file lines go; NULL: nowhere */
} sc_options_t;

void sc_options_default(sc_options_t *o);

typedef struct sc_dataset sc_dataset_t;

/* Scans, splits, decodes (or loads the cache) and reports counts per split and class.
 * fc gives the sample rate and clip length used for decoding and the front end. */
sc_dataset_t *sc_open(const char *dir, const feat_config_t *fc, const sc_options_t *o, char *err);

/* The classes of this dataset (SC_MAX_CLASSES at most); the 12 Kaggle ones by default. */
#define SC_MAX_CLASSES 1024
int sc_nclasses(const sc_dataset_t *d);
const char *const *sc_classes(const sc_dataset_t *d);

int sc_count(const sc_dataset_t *d, int split);
int sc_label(const sc_dataset_t *d, int split, int i);
/* Path relative to DIR ("yes/abc_nohash_0.wav"); NULL for silence items. */
const char *sc_path(const sc_dataset_t *d, int split, int i);
/* Bad files skipped while opening. */
int sc_skipped(const sc_dataset_t *d);
/* Items of class k in a split. */
int sc_class_count(const sc_dataset_t *d, int split, int k);
/* Network input height and width (n_mels, frames). */
int sc_height(const sc_dataset_t *d);
int sc_width(const sc_dataset_t *d);
/* 1 when the decoded audio came from an existing cache file (no WAV was decoded). */
int sc_cache_hit(const sc_dataset_t *d);

/* The waveform (clip_samples) of item i before the front end, augmented like sc_batch
 * does for the training split. */
void sc_waveform(const sc_dataset_t *d, int split, int i, long epoch, float *clip);
/* The concatenated background noise (*len samples; NULL when there is none) and the front
 * end the dataset uses. */
const float *sc_noise(const sc_dataset_t *d, long *len);
const mel_t *sc_mel(const sc_dataset_t *d);
/* Network inputs x (n, 1, H, W) and labels for items idx[0..n-1] of split. */
void sc_batch(const sc_dataset_t *d, int split, const int *idx, int n, long epoch, float *x,
              int *labels);
/* order[0..len-1]: for training, concatenated shuffles of 0..count-1 seeded by (seed, epoch),
 * or, with balance on, class-balanced draws with replacement (a class uniformly, then an
 * item of it uniformly); for validation/test, 0..count-1 repeated. */
void sc_epoch_order(const sc_dataset_t *d, int split, long epoch, int *order, int len);
void sc_free(sc_dataset_t *d);

/* Like sc_batch for an evaluation split, with waveform corruption `kind` at `severity`
 * (audio/corrupt.h) applied to each clip before the front end; the corruption's randomness
 * comes from rng_derive(seed ^ kind tag, severity, item), so the bytes do not depend on
 * the thread count (sc_corrupt.c). -1 with err on failure (missing background noise). */
int sc_batch_corrupt(const sc_dataset_t *d, int split, const int *idx, int n, int kind, int severity,
                     uint64_t seed, float *x, int *labels, char *err);

/* The split TensorFlow's sha1 rule assigns to a file name (base name or path):
 * SC_TRAIN, SC_VALIDATION (p < 10) or SC_TEST (p < 20). Uses percentages 10/10. */
int sc_hash_split(const char *name);
/* Class of a word folder name: its index for the 10 commands, else SC_UNKNOWN. */
int sc_word_class(const char *word);

#endif
