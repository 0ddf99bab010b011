/* train.h: the training and evaluation loop shared by `speechtrain` and `imagetrain`.
 *
 * A program describes its data as a train_data_t (shape, classes, and three callbacks) and
 * its settings as a train_config_t (train_config_default, then the program's flags, then
 * train_config_finish); train_run then does the rest: run directory, log.csv, best/last
 * checkpoints, resume, clean stop, NaN stop and the final test-split report. Progress goes
 * to the config's event callback.
 *
 * Reproducibility: every random choice derives from (seed, epoch, step): the data source
 * gets the epoch for its order and augmentation, the mixer gets rng_derive(seed, MIX, step).
 * A run resumed from any checkpoint therefore continues bit for bit like the uninterrupted
 * run with the same seed and thread count.
 *
 * Data parallel (several processes under mpirun, dist.h): every rank runs the same loop on
 * the same order; rank r decodes and trains on its contiguous slice of every global batch
 * (c->batch stays the global size), mixing is done over the whole batch, gradients are
 * summed over the ranks once per step, and BatchNorm statistics are the whole batch's unless
 * c->local_bn. Validation and test passes are sharded with their counts summed. Rank 0 alone
 * writes the run folder and sends events; checkpoints do not depend on the rank count.
 */
#ifndef ST_TRAIN_H
#define ST_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "common/err.h"
#include "mix/mix.h"
#include "model/model.h"

/* Splits, as the data source's `split` argument. */
enum { TRAIN_SPLIT_TRAIN = 0, TRAIN_SPLIT_VAL = 1, TRAIN_SPLIT_TEST = 2 };

/* A labelled data source; speechtrain wraps the Speech Commands dataset, imagetrain CIFAR. */
typedef struct {
    void *ctx;
    int c, h, w;                       /* input shape of one sample */
    int n_classes;
    const char *const *class_names;    /* n_classes names */
    /* Number of items in a split (0 when the split is absent). */
    int (*count)(void *ctx, int split);
    /* order <- the items of `split` for `epoch`, len = count(split): a permutation (or a
     * balanced draw); must depend only on the data source's seed, split and epoch. */
    void (*order)(void *ctx, int split, long epoch, int *order, int len);
    /* x (n, c, h, w) and labels (n) of items idx[0..n); augment only when asked; any
     * randomness derives from (seed, epoch, item) so the result is thread-count free. */
    void (*batch)(void *ctx, int split, const int *idx, int n, long epoch, int augment,
                  float *x, int *labels);
    /* "key=value\n" lines saved in checkpoints (feature and data settings); eval/predict
     * compare them to refuse a checkpoint made for other settings. May be NULL. */
    const char *meta;
} train_data_t;

/* What the loop reports as it goes; the program decides how to show it (the library
 * prints nothing). Fields not named for a kind are 0. */
typedef enum {
    TRAIN_EV_EPOCH_BEGIN,  /* epoch of epochs starts, or resumes after `step` of `steps` */
    TRAIN_EV_STEP,         /* `step` of `steps` done; loss, acc: the epoch's running means */
    TRAIN_EV_EPOCH_END,    /* the epoch's log.csv row: lr, loss, acc, val_*, seconds, samples_per_s */
    TRAIN_EV_STOPPED,      /* stopped early (--max-steps or *stop) after `step` of epoch (0: at its
                            * end); path: the checkpoint to resume from */
    TRAIN_EV_TEST,         /* the test split on best.ckpt (of best_epoch): report, path = prefix of
                            * the report files */
} train_event_kind_t;

struct eval_report;
typedef struct {
    train_event_kind_t kind;
    long epoch;            /* 1-based */
    int epochs;
    long step, steps;      /* steps of this epoch done, steps per epoch */
    long total_step, total_steps;   /* the same over the whole run */
    double lr, loss, acc, val_loss, val_acc, seconds, samples_per_s;
    long best_epoch;
    const struct eval_report *report;
    const char *path;
} train_event_t;

typedef void (*train_event_fn)(void *ctx, const train_event_t *ev);

typedef struct {
    int epochs;            /* training epochs (the cosine schedule spans them all) */
    int batch;             /* mini-batch size */
    int eval_batch;        /* batch size for validation/test passes */
    int width;             /* model width multiplier k (64 = the paper's ResNet18) */
    int threads;           /* threads the program set (recorded in config.txt; results are
                            * bit-identical only for the same count) */
    double lr, wd, momentum;
    long warmup;           /* linear warm-up steps before the cosine schedule */
    uint64_t seed;
    mix_config_t mix;      /* filled from candidates/weights by train_config_finish */
    int no_mix;            /* train on plain one-hot targets */
    double label_smoothing;
    int augment;           /* pass augment=1 to the data source for training batches */
    int local_bn;          /* data parallel: BatchNorm statistics of each rank's own rows
                            * (PyTorch DDP without SyncBN) instead of the whole batch's */
    long ckpt_every;       /* also write last.ckpt every this many steps (0 = each epoch only) */
    long max_steps;        /* stop (as after Ctrl-C) after this many steps in total; 0 = no limit */
    const char *out_dir;   /* run directory (created if missing); see train_run_dir */
    const char *resume;    /* checkpoint to continue from, or NULL */
    const char *prog;      /* command shown in config.txt, e.g. "speechtrain train" */
    /* The run's arguments (the program's own, then the shared training flags) in canonical
     * form, one per line: stored in config.txt and in checkpoints, so that a run can be
     * repeated or resumed (train_resume_args). */
    const char *args;
    /* Strings behind `mix`, as given. */
    char candidates[128], weights[128];
    int weights_given; /* --weights was given: it must match the candidates, never rewritten */
    /* Where progress goes (may be NULL), and a flag that, once non-zero, stops the run
     * cleanly after the current step (a signal handler sets it; may be NULL). */
    train_event_fn on_event;
    void *event_ctx;
    const volatile sig_atomic_t *stop;
} train_config_t;

void train_config_default(train_config_t *c);
/* Checks ranges and builds c->mix from candidates/weights; call once after setting them. */
int train_config_finish(train_config_t *c, char *err);

/* ---- one run, in parts: what train_run does, for callers that need the pieces (a data
 * parallel rank, a robustness pass, an experiment runner) ---- */
typedef struct train_session train_session_t;

/* Creates the run folder, writes config.txt, builds the model (fresh, or from c->resume
 * after checking it fits the data and its settings) and the buffers. c and d must outlive
 * the session. */
int train_open(train_session_t **s, const train_config_t *c, const train_data_t *d, char *err);
/* 1 while epochs remain to train, 0 when the run is complete. */
int train_pending(const train_session_t *s);
/* One training step of the current epoch (the epoch's order is drawn before its first
 * step). Returns 1 after a step, 0 when the epoch has no steps left, -1 with err (a loss that
 * became NaN/Inf included; the last good checkpoint stays). */
int train_step(train_session_t *s, char *err);
/* Writes last.ckpt as of now (mid-epoch: the epoch resumes at the next step). */
int train_checkpoint(train_session_t *s, char *err);
/* After the epoch's last step: validation, the log.csv row, last.ckpt and (when validation
 * accuracy improved, or without a validation split) best.ckpt; moves to the next epoch. */
int train_end_epoch(train_session_t *s, char *err);
/* The final report: best.ckpt on the test split into <out>/test_*; no-op without one. */
int train_report(train_session_t *s, char *err);
/* The model being trained (for callers that evaluate or export it). */
model_t *train_model(train_session_t *s);
void train_close(train_session_t *s);

/* Trains as configured: open, steps, end of each epoch, report. Returns 0 when training
 * finished or stopped cleanly (*stopped, if not NULL, is then 0 for finished, 1 for
 * --max-steps, 2 for *c->stop), -1 with err on failure. Writes into out_dir: config.txt,
 * log.csv, last.ckpt, best.ckpt, and after the last epoch test_report.txt,
 * test_per_class.csv, test_confusion.csv (when there is a test split). */
int train_run(const train_config_t *c, const train_data_t *d, int *stopped, char *err);

/* Result of evaluating a model on one split. */
typedef struct eval_report {
    int n_classes;
    long total, correct;
    double loss;           /* mean cross-entropy against the hard labels */
    long *confusion;       /* (n_classes, n_classes): row = true class, column = predicted */
} eval_report_t;

int eval_report_init(eval_report_t *r, int n_classes, char *err);
void eval_report_free(eval_report_t *r);
double eval_report_accuracy(const eval_report_t *r);
/* Accuracy of class k (correct / items of class k); NAN when the class has no items. */
double eval_report_class_accuracy(const eval_report_t *r, int k);

/* Runs the model (eval mode) over the whole split in batches of `batch`, in item order; an
 * empty split is an error. In a data-parallel run every rank calls it: each runs its
 * dist_slice of the split and all get the summed report. */
int train_evaluate(model_t *m, const train_data_t *d, int split, int batch, eval_report_t *r,
                   char *err);

/* Writes <prefix>_report.txt (overall and per-class accuracy, loss), <prefix>_per_class.csv
 * (class,items,correct,accuracy) and <prefix>_confusion.csv (header row of predicted class
 * names, one row per true class), each atomically. E.g. prefix "runs/demo/test". */
int eval_report_write(const eval_report_t *r, const char *const *class_names,
                      const char *prefix, char *err);
/* The same summary as _report.txt, to a stream. */
void eval_report_print(const eval_report_t *r, const char *const *class_names, FILE *f);

/* ---- helpers for programs ---- */

/* The arguments a checkpoint written by train_run was made with (program flags, then the
 * shared ones): *args (text_lines_free) and *n. Parse them before the command line to
 * resume or repeat that run. train_meta_args does the same from a loaded checkpoint's meta
 * text, so a command that already loaded it does not read it again. */
int train_resume_args(const char *ckpt, char ***args, int *n, char *err);
int train_meta_args(const char *meta, char ***args, int *n, char *err);
/* The run folder: out when given, else the folder of the checkpoint resumed from, else
 * fallback. buf (len bytes) holds the result when it is derived. */
const char *train_run_dir(const char *out, const char *resume, const char *fallback, char *buf, size_t len);
/* Threads: n > 0 as given, else all cores; sets OpenMP and the model's BLAS. Returns it. */
int train_set_threads(int n);
/* Creates a directory and its parents (mkdir -p); -1 with err naming it on failure. */
int train_mkdirs(const char *dir, char *err);

#endif
