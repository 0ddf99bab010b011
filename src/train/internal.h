/* internal.h: the run folder's files, shared by the parts of src/train. */
#ifndef ST_TRAIN_INTERNAL_H
#define ST_TRAIN_INTERNAL_H

#include "train/train.h"

/* The epoch's running sums and the best validation accuracy: the loop state a checkpoint
 * carries beyond the model, so a resumed epoch reports what the uninterrupted one would. */
typedef struct {
    double best_acc;               /* best validation accuracy so far (-1: none yet) */
    double loss_sum, acc_sum;      /* sums over the current epoch's samples so far */
    long seen;                     /* samples of the current epoch so far */
    char run_id[17];               /* hex id shared by every checkpoint of one run ("": none) */
} train_state_t;

/* A new run's id: a hash of its saved arguments, so the same run repeated has the same bytes. */
void run_id_new(train_state_t *st, const char *args);
/* On resume, when an epoch has ended, the run's best.ckpt must be in the run folder: if it is
 * missing there but its twin of the same run lies beside the resumed checkpoint, it is copied
 * in; one of another run, or none, is an error now rather than after the last epoch. */
int run_best_check(const char *best, const char *resume, const train_state_t *st, char *err);
/* Fails unless the loaded checkpoint's meta carries this run's id (an id-less one passes). */
int run_id_check(const char *ckpt, const char *meta, const train_state_t *st, char *err);

/* last.ckpt / best.ckpt: the model, the data's meta lines, the state and the run's args. */
int run_save_ckpt(const char *path, const model_t *m, const train_data_t *d, const train_state_t *st,
                  const char *args, long epoch, long step, char *err);
/* The state saved by run_save_ckpt (fields absent from meta keep their values). */
void run_state_from_meta(const char *meta, train_state_t *st);
/* Every key=value line of `want` must appear with the same value in `have`. */
int run_meta_compare(const char *want, const char *have, const char *ckpt, char *err);
/* config.txt: the command that repeats the run. */
int run_write_config(const char *dir, const char *prog, const char *args, int threads, char *err);
/* Atomically replaces path with text. */
int run_write_text(const char *path, const char *text, char *err);

/* log.csv kept in memory and rewritten atomically after each epoch, so it is never half
 * written; on resume, rows of epochs after the checkpoint are dropped (they are redone). */
typedef struct {
    char *text;
    size_t len, cap;
} run_log_t;
int run_log_add(run_log_t *l, const char *row, char *err);
/* The header, then the rows of epochs 1..keep_epochs of an existing log (if any). */
int run_log_load(run_log_t *l, const char *path, long keep_epochs, char *err);

/* The step's global batch, for the ranks of a data-parallel run (dist.h) or one process: on
 * entry x (B, chw) and lab (B) hold this rank's rows [lo, lo + nl) of dist_slice(B); on
 * return y (B, K) and x hold those rows one-hot (with smooth) and, with a mixer, mixed with
 * rng_derive(seed, mix stream, gstep) over the whole batch. Mixing first gathers every
 * rank's rows so that partners come from all of them: each rank's rows are then exactly
 * what one process would make of the whole batch. */
int train_global_batch(mix_ctx_t *mix, uint64_t seed, long gstep, float *x, int *lab, float *y, int B,
                       size_t chw, int K, float smooth, char *err);

#endif
