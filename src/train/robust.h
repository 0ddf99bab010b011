/* robust.h: robustness evaluation of a trained model (the RandomMix paper's Table 4, for any
 * data source): clean error, FGSM error, corruption error (with the mCE of Hendrycks &
 * Dietterich against a baseline) and occlusion error.
 *
 *   clean       1 - accuracy of train_evaluate (the same pass `eval` makes)
 *   fgsm        x_adv = clamp(x + eps * sign(dCE(f(x), y)/dx), lo, hi), model in eval mode
 *               (BN with running statistics); sign(0) = 0; one gradient per batch, one forward
 *               per eps; eps = 0 gives exactly the clean error
 *   corruption  the data source's own corruptions (robust_data_t.batch_corrupt), each at
 *               n_severities; "mean" = mean error over all of them; "mce" = mean over
 *               corruptions of sum_s err(model) / sum_s err(baseline)
 *   occlusion   per sample, random blocks of (H/4) x (W/4) (at least 1 x 1) at uniform
 *               positions inside the input, filled with `fill` in every channel until exactly
 *               round(share * H * W) cells are covered (the last block fills in raster order
 *               up to that count)
 * Every random draw comes from rng_derive(seed ^ tag, setting, item index), so a report
 * depends on (model, data, seed) only, never on the thread count or batch size.
 */
#ifndef ST_TRAIN_ROBUST_H
#define ST_TRAIN_ROBUST_H

#include <stdint.h>
#include <stdio.h>

#include "common/rng.h"
#include "train/train.h"

typedef struct {
    const train_data_t *d;
    int n_corruptions, n_severities;     /* 0 corruptions: none are measured */
    const char *const *corruption_names; /* e.g. "noise_snr" */
    /* x (n, c, h, w) and labels of items idx of split with corruption k (0-based) at
     * severity s (1-based) applied; randomness from (seed, k, s, item) only. 0 or -1 + err. */
    int (*batch_corrupt)(void *ctx, int split, const int *idx, int n, int k, int s, uint64_t seed,
                         float *x, int *labels, char *err);
} robust_data_t;

#define ROBUST_MAX_SETTINGS 32

typedef struct {
    double eps[ROBUST_MAX_SETTINGS];  /* FGSM epsilons, network-input units */
    int n_eps;
    double occl[ROBUST_MAX_SETTINGS]; /* occlusion shares in [0, 1] */
    int n_occl;
    double fill;                      /* occlusion fill value */
    double lo, hi;                    /* valid input range FGSM clamps to */
    int corruptions;                  /* 1: measure the data source's corruptions */
    uint64_t seed;
    int batch;
} robust_config_t;

/* Defaults: eps 0.01, 0.03, 0.1; occlusion 0.1, 0.25, 0.5; fill -0.5 (the log-mel floor);
 * range [-0.5, 0.5]; corruptions on; seed 0; batch 256. */
void robust_config_default(robust_config_t *c);

typedef struct {
    char kind[16];     /* clean, fgsm, corruption, occlusion */
    char setting[48];  /* "", eps, share, "name:severity", "mean", "mce" */
    double error;      /* in [0, 1]; mce is a ratio (1 = as robust as the baseline) */
} robust_row_t;

typedef struct {
    robust_row_t *rows;
    int n, cap;
} robust_report_t;

void robust_report_free(robust_report_t *r);
/* Error of a row (kind, setting), or NAN when absent. */
double robust_report_get(const robust_report_t *r, const char *kind, const char *setting);

/* Runs every configured measurement on `split`, appending rows to r (initialise it to {0}).
 * 0, or -1 with err. */
int robust_evaluate(model_t *m, const robust_data_t *rd, int split, const robust_config_t *c,
                    robust_report_t *r, char *err);
/* Appends the "mce" row from the corruption rows of r and of baseline (same corruptions).
 * Corruptions whose baseline error sum is 0 are left out; -1 with err when none is left. */
int robust_add_mce(robust_report_t *r, const robust_report_t *baseline, char *err);

/* CSV with header kind,setting,error, one row per measurement, written atomically. */
int robust_report_write_csv(const robust_report_t *r, const char *path, char *err);
/* Reads such a CSV back (e.g. a baseline's report). */
int robust_report_read_csv(robust_report_t *r, const char *path, char *err);
/* One-screen summary: clean, fgsm per eps, corruptions as a name x severity table with
 * their means, occlusion per share. */
void robust_report_print(const robust_report_t *r, FILE *f);

/* mask (H, W) <- 1 where the occlusion of share covers, 0 elsewhere (the rule above). */
void robust_occlusion_mask(unsigned char *mask, int H, int W, double share, rng_t *r);

#endif
