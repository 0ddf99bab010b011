/* train.h: the training and evaluation loop shared by `speechtrain` and `imagetrain`.
 *
 * A program describes its data as a train_data_t (shape, classes, and three callbacks) and
 * its settings as a train_config_t (filled by train_config_default and the shared flag
 * parser in train/options.h); train_run then does the rest: run directory, log.csv,
 * best/last checkpoints, resume, Ctrl-C, NaN stop, progress display and the final
 * test-split report.
 *
 * Reproducibility: every random choice derives from (seed, epoch, step): the data source
 * gets the epoch for its order and augmentation, the mixer gets rng_derive(seed, MIX, step).
 * A run resumed from any checkpoint therefore continues bit for bit like the uninterrupted
 * run with the same seed and thread count.
 */
#ifndef ST_TRAIN_H
#define ST_TRAIN_H

#include <stddef.h>
#include <stdint.h>
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

/* Progress display: auto (bar on a terminal, plain lines otherwise), bar, plain. */
enum { TRAIN_PROGRESS_AUTO = 0, TRAIN_PROGRESS_BAR = 1, TRAIN_PROGRESS_PLAIN = 2 };

typedef struct {
    int epochs;            /* training epochs (the cosine schedule spans them all) */
    int batch;             /* mini-batch size */
    int eval_batch;        /* batch size for validation/test passes */
    int width;             /* model width multiplier k (64 = the paper's ResNet18) */
    int threads;           /* OpenMP/BLAS threads; 0 = all cores */
    double lr, wd, momentum;
    long warmup;           /* linear warm-up steps before the cosine schedule */
    uint64_t seed;
    mix_config_t mix;      /* filled from the mixing flags by train_config_finish */
    int no_mix;            /* train on plain one-hot targets */
    double label_smoothing;
    int augment;           /* pass augment=1 to the data source for training batches */
    long ckpt_every;       /* also write last.ckpt every this many steps (0 = each epoch only) */
    long max_steps;        /* stop (as after Ctrl-C) after this many steps in total; 0 = no limit */
    const char *out_dir;   /* run directory (created if missing); NULL: runs/latest, or the
                            * resumed checkpoint's folder */
    const char *resume;    /* checkpoint to continue from, or NULL */
    int quiet;             /* no progress display or epoch lines; only the one-line final summary */
    int progress;          /* TRAIN_PROGRESS_* */
    const char *prog;      /* command shown in config.txt, e.g. "speechtrain train" */
    /* The program's own flags (data, features) in canonical form, one argument per line;
     * stored in config.txt and in checkpoints so that a run can be repeated / resumed. */
    const char *prog_args;
    /* Strings behind `mix` (kept so config.txt shows them as given). */
    char candidates[128], weights[128];
} train_config_t;

void train_config_default(train_config_t *c);

/* Trains as configured; returns 0 when training finished or stopped cleanly (*stopped, if
 * not NULL, is then 0 for finished, 1 for --max-steps, 2 for Ctrl-C/SIGTERM), -1 with err on failure
 * (including a loss that became NaN/Inf: the last good checkpoint stays). Writes into
 * out_dir: config.txt, log.csv, last.ckpt, best.ckpt, and after the last epoch
 * test_report.txt, test_per_class.csv, test_confusion.csv (when there is a test split). */
int train_run(const train_config_t *c, const train_data_t *d, int *stopped, char *err);

/* Result of evaluating a model on one split. */
typedef struct {
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

/* Runs the model (eval mode) over the whole split in batches of `batch`, in item order. */
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
 * shared ones), one per line, into *args (malloc'd): parse them before the command line
 * to resume or repeat that run. Also usable on best.ckpt. */
int train_checkpoint_args(const char *ckpt, char **args, char *err);
/* Copies the value of the first "key=value" line of meta into buf; -1 when absent. */
int train_meta_get(const char *meta, const char *key, char *buf, size_t len);
/* Threads: n > 0 as given, else all cores; sets OpenMP and the model's BLAS. Returns it. */
int train_set_threads(int n);
/* Creates a directory and its parents (mkdir -p); -1 with err naming it on failure. */
int train_mkdirs(const char *dir, char *err);

#endif
