/* mix.h: batch mixing for training (Mixup, CutMix, ResizeMix, FMix and RandomMix).
 *
 * Works on any float batch x (N, C, H, W) with soft labels y (N, K); H and W need not be
 * equal (spectrograms: H = mel bands, W = frames). After mixing, row i is
 *     x~_i = M_i * x_i + (1 - M_i) * x_perm(i),   y~_i = lam_i * y_i + (1 - lam_i) * y_perm(i)
 * where perm is one random permutation per batch and lam_i the share of row i that still
 * comes from x_i. RandomMix draws one mode per batch (or per row, `elem`) from the
 * candidates with probability proportional to their weights. See docs/mix.md.
 *
 * All randomness comes from the caller's rng_t: the same seed gives the same bytes.
 * Functions that can fail return 0 / -1 and write a one-line message into err[ST_ERR_LEN]
 * (err may be NULL). No function prints, exits or aborts. This header depends only on
 * src/common (rng.h, err.h).
 *
 * Typical use:
 *     mix_config_t c; mix_config_default(&c);
 *     if (mix_config_parse(&c, "mixup,cutmix,resizemix,fmix", "1,1,1,1", err)) ...
 *     mix_ctx_t *m = mix_init(&c, 256, 1, 32, 32, 12, err);
 *     mix_onehot(y, labels, n, 12, 0.0f);
 *     mix_apply(m, &rng, x, y, n, &rep, err);
 *     mix_free(m);
 */
#ifndef ST_MIX_H
#define ST_MIX_H

#include <stddef.h>

#include "common/err.h"
#include "common/rng.h"

typedef enum { MIX_MIXUP, MIX_CUTMIX, MIX_RESIZEMIX, MIX_FMIX, MIX_NMODES } mix_mode_t;

/* Report values for `mode` besides the mix_mode_t ones. */
#define MIX_NONE (-1)    /* left unmixed (probability 1 - prob) */
#define MIX_PER_ROW (-2) /* elem mode: rows used different modes; see row_mode */

typedef struct {
    /* Candidates, in the order the user gave them (weights are drawn over this order). */
    int ncand;
    int cand[MIX_NMODES];
    /* Relative probability of each mode, indexed by mix_mode_t; >= 0, finite, and > 0 in
     * total over the candidates. A mode that is not a candidate or has weight 0 is never
     * chosen. */
    double weights[MIX_NMODES];
    /* lam ~ Beta(alpha, alpha) per mode (mixup, cutmix, fmix; resizemix ignores it). > 0. */
    double alpha[MIX_NMODES];
    double prob;               /* mix a batch (elem: a row) with this probability, [0, 1] */
    int elem;                  /* 1: each row draws its own lam, box/mask and mode */
    double resize_lo, resize_hi; /* resizemix side ratio tau ~ U(lo, hi), 0 < lo <= hi <= 1 */
    double fmix_decay;         /* fmix spectrum decay power, > 0 (3 in the paper) */
    int fmix_reference;        /* 1: the FMix repository's band-like masks, 0: isotropic */
} mix_config_t;

/* The paper's speech setting: candidates mixup,cutmix,resizemix,fmix, weights 1, alpha 1,
 * prob 1, batch-wise, tau ~ U(0.1, 0.8), fmix decay 3, isotropic fmix masks. */
void mix_config_default(mix_config_t *c);

/* Sets the candidates from "mixup,cutmix,resizemix,fmix" (any order, no repeats) and/or the
 * weights from "1,1,1,1" (one per candidate, in the candidates' order). Either string may
 * be NULL to keep the current value; new candidates without weights get weight 1 each.
 * c is unchanged on error; the message can be shown to a CLI user as it is. */
int mix_config_parse(mix_config_t *c, const char *candidates, const char *weights, char *err);

/* Sets one option from text, for command lines. Keys:
 *   "alpha"          "1" (every mode) or "mixup=0.2,fmix=1" (named modes)
 *   "prob"           "0.5"
 *   "elem"           "0" / "1"
 *   "resize"         "0.1,0.8"  (resizemix tau range)
 *   "fmix-decay"     "3"
 *   "fmix-reference" "0" / "1"
 *   "candidates", "weights"  as mix_config_parse
 * c is unchanged on error. */
int mix_config_set(mix_config_t *c, const char *key, const char *value, char *err);

/* Checks every field; 0 when the configuration is usable. */
int mix_config_check(const mix_config_t *c, char *err);

/* "mixup", "cutmix", "resizemix", "fmix"; "none" for MIX_NONE, "per-row" for MIX_PER_ROW,
 * "?" otherwise. */
const char *mix_mode_name(int mode);
/* The mode for a name (case-insensitive), or -1. */
int mix_mode_from_name(const char *name);

/* A box of rows [y0, y0+h) and columns [x0, x0+w); h = w = 0 when there is none. */
typedef struct {
    int y0, x0, h, w;
} mix_box_t;

/* What mix_apply did. The arrays point into the context and stay valid until the next
 * mix_apply or mix_free. The per-row arrays are filled in batch mode too (all rows alike). */
typedef struct {
    int n;                    /* rows in the batch */
    int mode;                 /* mix_mode_t, MIX_NONE, or MIX_PER_ROW (elem) */
    double lam;               /* batch mode: lam of every row; elem: mean of row_lam */
    mix_box_t box;            /* batch mode: cutmix/resizemix box */
    const int *perm;          /* (n) partner of each row (identity when unmixed) */
    const int *row_mode;      /* (n) mode of each row, MIX_NONE when left alone */
    const double *row_lam;    /* (n) label weight of x_i: cutmix/resizemix the real box
                               * share, mixup/fmix the Beta draw (fmix: within 1 pixel) */
    const mix_box_t *row_box; /* (n) cutmix/resizemix box of each row */
} mix_report_t;

typedef struct mix_ctx mix_ctx_t;

/* A mixer for batches of up to max_n rows of shape (C, H, W) with K classes. The config is
 * copied and checked. Returns NULL with err set on bad arguments or out of memory. */
mix_ctx_t *mix_init(const mix_config_t *c, int max_n, int C, int H, int W, int K, char *err);

/* Mixes x (n, C, H, W) and y (n, K) in place; 1 <= n <= max_n. y may be NULL when the
 * caller mixes labels itself from the report. rep may be NULL. Not thread-safe per ctx.
 * Batch mode mixes on OpenMP threads after all draws; the bytes do not depend on the
 * thread count. Any x works; a 64-byte aligned one (as PyTorch's allocator gives) with
 * rows of whole 64-byte lines is the fast case (rows that split cache lines cost ~30%). */
int mix_apply(mix_ctx_t *ctx, rng_t *rng, float *x, float *y, int n, mix_report_t *rep,
              char *err);

void mix_free(mix_ctx_t *ctx);

/* y (n, K) <- one-hot of labels with label smoothing: every entry smoothing/K, plus
 * 1 - smoothing on the label. Returns -1 (y untouched) when a label is outside [0, K),
 * n < 0, K < 1 or smoothing is outside [0, 1]. */
int mix_onehot(float *y, const int *labels, int n, int K, float smoothing);

/* ---- lower-level pieces (used by mix_apply, the tests and the benchmark) ---- */

/* dst (C, oh, ow) <- bilinear resize of src (C, H, W), align_corners=False, as PyTorch's
 * F.interpolate(src, size=(oh, ow), mode='bilinear'). All sizes >= 1. */
void mix_resize_bilinear(float *dst, int oh, int ow, const float *src, int C, int H, int W);

/* CutMix box for a Beta draw lam0: side int(H*sqrt(1-lam0)) x int(W*sqrt(1-lam0)), centre
 * uniform over the pixels, edges (centre -/+ side/2) clipped to the image. */
mix_box_t mix_cutmix_box(rng_t *rng, int H, int W, double lam0);
/* ResizeMix box for side ratio tau: int(H*tau) x int(W*tau) at a uniform position inside. */
mix_box_t mix_resizemix_box(rng_t *rng, int H, int W, double tau);

/* FMix mask generator for one H x W shape (KissFFT plans and buffers). */
typedef struct mix_fmix mix_fmix_t;
mix_fmix_t *mix_fmix_init(int H, int W, double decay, int reference, char *err);
/* mask (H, W) <- 1 on the k largest pixels of a random low-frequency grey image, 0
 * elsewhere, k = ceil(lam*H*W) or floor(lam*H*W) with probability 1/2 each. grey (H, W),
 * if not NULL, receives the grey image (unnormalised). Returns k. lam in [0, 1]. */
int mix_fmix_mask(mix_fmix_t *f, rng_t *rng, double lam, float *mask, float *grey);
void mix_fmix_free(mix_fmix_t *f);

#endif
