/* checkpoint.h: save and restore a model with its training state.
 *
 * File format (docs/model.md has the byte layout), little-endian:
 *   "STCKPT01" magic, u32 version (2), then sections: architecture + config, meta text,
 *   class names, epoch/step, parameters, BN running statistics, SGD momentum, and a trailing
 *   64-bit FNV-1a checksum of every byte before it. Version 1 files (which carried an unused
 *   list of generator states before the parameters) still load.
 * Written atomically (temp file + fsync + rename via common/atomicfile.h). The loader reads the
 * whole file, checks size, magic, version, checksum and every length before using it, so a
 * truncated, corrupted, foreign or wrong-shape file is an error with a message, never a crash.
 */
#ifndef ST_CHECKPOINT_H
#define ST_CHECKPOINT_H

#include "common/err.h"
#include "model/model.h"

#define CKPT_VERSION 2

/* What the caller stores beside the weights. All pointers may be NULL when counts are 0. */
typedef struct {
    const char *meta_text;            /* free-form "key=value\n" text (feature + mix settings) */
    int n_classes;                    /* number of names in class_names (0 = none stored) */
    const char *const *class_names;
    long epoch, step;
} ckpt_meta_t;

/* What the loader returns: owned copies, released by ckpt_info_free. */
typedef struct {
    model_config_t config;
    char *meta_text;                  /* "" when none was stored */
    int n_classes;
    char **class_names;
    long epoch, step;
} ckpt_info_t;

int ckpt_save(const char *path, const model_t *m, const ckpt_meta_t *meta, char *err);
/* Creates *m from the stored config (max_batch as for model_init) and fills its parameters,
 * BN running statistics and momentum. out may be NULL. On failure *m is NULL. */
int ckpt_load(const char *path, model_t **m, int max_batch, ckpt_info_t *out, char *err);
/* Loads into an existing model; fails (model untouched) if the stored config differs. */
int ckpt_load_into(const char *path, model_t *m, ckpt_info_t *out, char *err);
void ckpt_info_free(ckpt_info_t *info);

#endif
