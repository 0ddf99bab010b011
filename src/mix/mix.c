/* mix.c: the mixer context and mix_apply: draw perm, mode and parameters, then mix the
 * batch in place. Rows are visited along the cycles of perm so that every row still reads
 * its partner's original values while only a few rows (one per cycle, and in batch mode one
 * per thread's piece), not the whole batch, are copied. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/carve.h"
#include "mix/internal.h"
#include "mix/mix.h"

/* Pieces of a batch_pieces walk at most (their saved rows are allocated up front). */
#define MIX_MAX_PIECES 64

struct mix_ctx {
    mix_config_t c;
    int max_n, C, H, W, K;
    size_t plane, row;     /* H*W, C*H*W */
    char *block;           /* the one allocation the buffers below are carved from */
    int *perm;             /* (max_n) */
    unsigned char *done;   /* (max_n) visited flags for the cycle walk */
    int *row_mode;         /* (max_n) */
    double *row_lam;       /* (max_n) */
    mix_box_t *row_box;    /* (max_n) */
    uint64_t *row_seed;    /* (max_n) elem fmix: seed of each row's mask */
    float *save_x;         /* (C, H, W) elem mode: first row of the current cycle, or a
                            * ResizeMix row that is its own partner */
    float *save_y;         /* (K) */
    float *y_orig;         /* (max_n, K) batch mode: the labels before mixing */
    float *patch;          /* batch resizemix: (max_n, C, h, w) every row resized, pasted
                            * after all are done */
    float *saved;          /* batch mixup/cutmix/fmix: (max_n / 2 + MIX_MAX_PIECES, C, H, W)
                            * rows copied before mixing (see batch_pieces) */
    int *slot;             /* (max_n) row's index in saved[], or -1 */
    int *saved_row;        /* (max_n) the row in each slot of saved[] */
    int *order;            /* (max_n) rows in cycle order (batch mode's parallel walk) */
    int *cyc;              /* (max_n + 1) start of each cycle in order[] */
    float *mask;           /* (H, W) current fmix mask */
    int *rs_ix, *rs_iy;    /* (2*W), (2*H) resize source indices */
    float *rs_wx, *rs_wy;  /* (2*W), (2*H) resize weights */
    int rs_h, rs_w;        /* box size the tables are for (0: none yet) */
    mix_fmix_t *fmix;      /* NULL unless fmix can be drawn */
};

void mix_free(mix_ctx_t *m)
{
    if (!m) return;
    free(m->block);
    mix_fmix_free(m->fmix);
    free(m);
}

/* The buffers of m in one block at base (NULL: none yet); returns its size in bytes. */
static size_t carve_all(mix_ctx_t *m, char *base)
{
    const mix_config_t *c = &m->c;
    size_t n = (size_t)m->max_n, at = 0;
    int resize = 0, pieces = 0;
    for (int j = 0; j < c->ncand; j++) {
        resize |= c->cand[j] == MIX_RESIZEMIX && c->weights[MIX_RESIZEMIX] > 0.0;
        pieces |= c->cand[j] != MIX_RESIZEMIX && c->weights[c->cand[j]] > 0.0;
    }
    /* saved rows: at most one per cycle of two or more rows, plus one per piece; a row is
     * saved at most once */
    size_t nsaved = pieces && !c->elem ? n / 2 + MIX_MAX_PIECES : 1;
    if (nsaved > n) nsaved = n;
    m->perm = carve(base, &at, n * sizeof *m->perm);
    m->done = carve(base, &at, n);
    m->row_mode = carve(base, &at, n * sizeof *m->row_mode);
    m->row_lam = carve(base, &at, n * sizeof *m->row_lam);
    m->row_box = carve(base, &at, n * sizeof *m->row_box);
    m->row_seed = carve(base, &at, n * sizeof *m->row_seed);
    m->save_x = carve(base, &at, m->row * sizeof *m->save_x);
    m->save_y = carve(base, &at, (size_t)m->K * sizeof *m->save_y);
    m->y_orig = carve(base, &at, (c->elem ? 1 : n) * m->K * sizeof *m->y_orig);
    /* batch resizemix resizes every row before pasting: room for max_n patches */
    m->patch = carve(base, &at, (resize && !c->elem ? n : 1) * m->row * sizeof *m->patch);
    m->saved = carve(base, &at, nsaved * m->row * sizeof *m->saved);
    m->slot = carve(base, &at, n * sizeof *m->slot);
    m->saved_row = carve(base, &at, n * sizeof *m->saved_row);
    m->order = carve(base, &at, n * sizeof *m->order);
    m->cyc = carve(base, &at, (n + 1) * sizeof *m->cyc);
    m->mask = carve(base, &at, m->plane * sizeof *m->mask);
    m->rs_ix = carve(base, &at, 2 * (size_t)m->W * sizeof *m->rs_ix);
    m->rs_wx = carve(base, &at, 2 * (size_t)m->W * sizeof *m->rs_wx);
    m->rs_iy = carve(base, &at, 2 * (size_t)m->H * sizeof *m->rs_iy);
    m->rs_wy = carve(base, &at, 2 * (size_t)m->H * sizeof *m->rs_wy);
    return at;
}

mix_ctx_t *mix_init(const mix_config_t *c, int max_n, int C, int H, int W, int K, char *err)
{
    if (mix_config_check(c, err)) return NULL;
    if (max_n < 1 || C < 1 || H < 1 || W < 1 || K < 1) {
        st_err(err, "mix_init: sizes must be >= 1 (max_n %d, C %d, H %d, W %d, K %d)", max_n, C,
               H, W, K);
        return NULL;
    }
    if ((size_t)H * W > (size_t)1 << 30 || (size_t)C * H * W > (size_t)1 << 31) {
        st_err(err, "mix_init: rows of %d x %d x %d are too large", C, H, W);
        return NULL;
    }
    mix_ctx_t *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->c = *c;
    m->max_n = max_n;
    m->C = C;
    m->H = H;
    m->W = W;
    m->K = K;
    m->plane = (size_t)H * W;
    m->row = (size_t)C * H * W;
    if (!(m->block = aligned_alloc(64, carve_all(m, NULL)))) goto oom;
    carve_all(m, m->block);
    for (int j = 0; j < c->ncand; j++)
        if (c->cand[j] == MIX_FMIX && c->weights[MIX_FMIX] > 0.0) {
            m->fmix = mix_fmix_init(H, W, c->fmix_decay, c->fmix_reference, err);
            if (!m->fmix) {
                mix_free(m);
                return NULL;
            }
        }
    return m;
oom:
    mix_free(m);
    st_err(err, "mix_init: out of memory for %d rows of %d x %d x %d", max_n, C, H, W);
    return NULL;
}

/* One mode with probability proportional to its weight (random.choices). */
static int draw_mode(const mix_config_t *c, rng_t *rng)
{
    double total = 0.0;
    for (int j = 0; j < c->ncand; j++) total += c->weights[c->cand[j]];
    double u = rng_uniform(rng) * total, acc = 0.0;
    int last = -1;
    for (int j = 0; j < c->ncand; j++) {
        double w = c->weights[c->cand[j]];
        if (w <= 0.0) continue;
        acc += w;
        last = c->cand[j];
        if (u < acc) return last;
    }
    return last; /* u rounded up to total */
}

/* lam and box of one mixed row (or batch) in mode md. For fmix the mask is drawn later
 * from *seed (batch mode: from rng right away, seed unused). */
static void draw_params(mix_ctx_t *m, rng_t *rng, int md, double *lam, mix_box_t *box)
{
    const mix_config_t *c = &m->c;
    double area = (double)m->H * m->W;
    *box = (mix_box_t){0, 0, 0, 0};
    switch (md) {
    case MIX_MIXUP:
    case MIX_FMIX:
        *lam = rng_beta(rng, c->alpha[md], c->alpha[md]);
        break;
    case MIX_CUTMIX:
        *box = mix_cutmix_box(rng, m->H, m->W, rng_beta(rng, c->alpha[md], c->alpha[md]));
        *lam = 1.0 - (double)box->h * box->w / area;
        break;
    default: /* MIX_RESIZEMIX */
        *box = mix_resizemix_box(rng, m->H, m->W, rng_range(rng, c->resize_lo, c->resize_hi));
        *lam = 1.0 - (double)box->h * box->w / area;
        break;
    }
}

/* xi <- lam-weighted mix with xp (xp may be xi) */
static void mixup_row(float *xi, const float *xp, float fa, float fb, size_t row)
{
    for (size_t j = 0; j < row; j++) xi[j] = fa * xi[j] + fb * xp[j];
}

/* xi <- xp where the mask (one plane, repeated over the C channels) is 0; xi != xp */
static void fmix_row(float *restrict xi, const float *restrict xp, const float *restrict mk,
                     size_t plane, int C)
{
    for (int c = 0; c < C; c++, xi += plane, xp += plane)
        for (size_t j = 0; j < plane; j++) xi[j] = mk[j] != 0.0f ? xi[j] : xp[j];
}

/* d <- s on the box lines of a row (every channel) */
static void copy_box(float *d, const float *s, mix_box_t bx, int C, int W, size_t plane)
{
    for (int c = 0; c < C; c++)
        for (int y = bx.y0; y < bx.y0 + bx.h; y++) {
            size_t o = c * plane + (size_t)y * W + bx.x0;
            mix_copy_run(d + o, s + o, (size_t)bx.w);
        }
}

/* The resize tables for a box of b.h x b.w (kept while the box size repeats). */
static void resize_tables_for(mix_ctx_t *m, mix_box_t b)
{
    if (b.h == m->rs_h && b.w == m->rs_w) return;
    mix_resize_tables(b.h, b.w, m->H, m->W, m->rs_ix, m->rs_wx, m->rs_iy, m->rs_wy);
    m->rs_h = b.h;
    m->rs_w = b.w;
}

/* xi <- row i mixed with its partner's original values xp (xp may be xi). */
static void mix_row(mix_ctx_t *m, int md, double lam, mix_box_t b, float *xi, const float *xp)
{
    size_t row = m->row, plane = m->plane;
    int C = m->C, H = m->H, W = m->W;
    switch (md) {
    case MIX_MIXUP: /* float weights as PyTorch's lam * x + (1 - lam) * x[perm] */
        mixup_row(xi, xp, (float)lam, (float)(1.0 - lam), row);
        break;
    case MIX_CUTMIX:
        if (xi != xp) copy_box(xi, xp, b, C, W, plane);
        break;
    case MIX_RESIZEMIX:
        if (b.h == 0) break;
        resize_tables_for(m, b);
        if (xp == xi) { /* the patch would overwrite its own source */
            memcpy(m->save_x, xi, row * sizeof *xi);
            xp = m->save_x;
        }
        mix_resize_apply(xi + (size_t)b.y0 * W + b.x0, (size_t)W, plane, b.h, b.w, xp, C, H, W,
                         m->rs_ix, m->rs_wx, m->rs_iy, m->rs_wy);
        break;
    case MIX_FMIX:
        if (xi != xp) fmix_row(xi, xp, m->mask, plane, C);
        break;
    default:
        break;
    }
}

/* ---- batch mode: one mode and lam/box/mask for all rows, mixed on OpenMP threads ----
 * Every random draw is made before the threads start, and every row is computed from the
 * original values of itself and its partner alone (batch_pieces, batch_resizemix), so the
 * bytes do not depend on the thread count. */

/* Floats of work per thread below which a batch is mixed on fewer threads: a parallel
 * region costs microseconds. */
#define MIX_PAR_MIN ((size_t)1 << 15)

static int threads_for(size_t work)
{
#ifdef _OPENMP
    size_t cap = work / MIX_PAR_MIN;
    int t = omp_get_max_threads();
    if (cap < 1) return 1;
    return (size_t)t < cap ? t : (int)cap;
#else
    (void)work;
    return 1;
#endif
}

/* order[] <- the rows of perm's cycles one cycle after another, each starting at its
 * smallest row; cyc[q] the start of cycle q in order[], cyc[ncyc] = n. Returns ncyc. */
static int list_cycles(mix_ctx_t *m, int n)
{
    int k = 0, nc = 0;
    memset(m->done, 0, (size_t)n);
    for (int s = 0; s < n; s++) {
        if (m->done[s]) continue;
        m->cyc[nc++] = k;
        int i = s;
        do {
            m->order[k++] = i;
            m->done[i] = 1;
            i = m->perm[i];
        } while (i != s);
    }
    m->cyc[nc] = k;
    return nc;
}

/* Mixup, CutMix or FMix, batch mode, on threads, whole rows at a time. The rows in cycle
 * order (order[]) are cut into np pieces; within a piece rows go along their cycle, so a
 * row's partner (the next row of the cycle) is still unwritten when it is read, except for
 * two kinds of partners, which are copied to saved[] (CutMix: their box only) before any
 * row is written: the first row of every cycle (read by the cycle's last row) and the
 * first row of every piece that starts inside a cycle (read from the piece before). Whole
 * rows per thread stream better than every thread taking a slice of every row (measured
 * 1.3x on 256x1x32x32 Mixup). */
static void batch_pieces(mix_ctx_t *m, int md, double lam, mix_box_t bx, float *x, int n)
{
    size_t row = m->row, plane = m->plane;
    int C = m->C, W = m->W;
    float fa = (float)lam, fb = (float)(1.0 - lam); /* as PyTorch's lam*x + (1-lam)*x[perm] */
    int ncyc = list_cycles(m, n);
    int np = threads_for(md == MIX_CUTMIX ? (size_t)n * C * bx.h * bx.w : (size_t)n * row);
    if (np > MIX_MAX_PIECES) np = MIX_MAX_PIECES;
    enum { NOT_SAVED = -1, TO_SAVE = -2 };
    int nsave = 0;
    for (int i = 0; i < n; i++) m->slot[i] = NOT_SAVED;
    for (int q = 0; q < ncyc; q++)
        if (m->cyc[q + 1] - m->cyc[q] > 1) m->slot[m->order[m->cyc[q]]] = TO_SAVE;
    for (int t = 1, q = 0; t < np; t++) {
        int k = (int)((long)n * t / np);
        while (m->cyc[q + 1] <= k) q++;
        if (k > m->cyc[q]) m->slot[m->order[k]] = TO_SAVE; /* not the start of its cycle */
    }
    for (int k = 0; k < n; k++)
        if (m->slot[m->order[k]] == TO_SAVE) {
            m->saved_row[nsave] = m->order[k];
            m->slot[m->order[k]] = nsave++;
        }
#pragma omp parallel num_threads(np)
    {
#pragma omp for schedule(static)
        for (int j = 0; j < nsave; j++) {
            if (md == MIX_CUTMIX)
                copy_box(m->saved + j * row, x + m->saved_row[j] * row, bx, C, W, plane);
            else
                memcpy(m->saved + j * row, x + m->saved_row[j] * row, row * sizeof *x);
        }
#pragma omp for schedule(static)
        for (int t = 0; t < np; t++)
            for (int k = (int)((long)n * t / np); k < (int)((long)n * (t + 1) / np); k++) {
                int i = m->order[k], p = m->perm[i];
                const float *xp = m->slot[p] >= 0 ? m->saved + m->slot[p] * row : x + p * row;
                if (md == MIX_MIXUP)
                    mixup_row(x + i * row, xp, fa, fb, row); /* p == i still rounds */
                else if (p == i)
                    continue;
                else if (md == MIX_CUTMIX)
                    copy_box(x + i * row, xp, bx, C, W, plane);
                else
                    fmix_row(x + i * row, xp, m->mask, plane, C);
            }
    }
}

/* ResizeMix: every row resized into patch[] first (reads only the original batch), then
 * row i gets the patch of perm[i] pasted into its box. */
static void batch_resizemix(mix_ctx_t *m, mix_box_t b, float *x, int n)
{
    int C = m->C, H = m->H, W = m->W;
    size_t row = m->row, plane = m->plane, ps = (size_t)C * b.h * b.w;
    resize_tables_for(m, b);
    int nt = threads_for((size_t)n * row);
    (void)nt;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (int j = 0; j < n; j++)
            mix_resize_apply(m->patch + j * ps, (size_t)b.w, (size_t)b.h * b.w, b.h, b.w,
                             x + j * row, C, H, W, m->rs_ix, m->rs_wx, m->rs_iy, m->rs_wy);
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++) {
            const float *pt = m->patch + m->perm[i] * ps;
            for (int c = 0; c < C; c++)
                for (int y = 0; y < b.h; y++)
                    mix_copy_run(x + i * row + c * plane + (size_t)(b.y0 + y) * W + b.x0,
                                 pt + ((size_t)c * b.h + y) * b.w, (size_t)b.w);
        }
    }
}

/* x (n rows) mixed in mode md with one lam / box / mask (m->mask) for the whole batch */
static void batch_mix(mix_ctx_t *m, int md, double lam, mix_box_t bx, float *x, int n)
{
    if ((md == MIX_CUTMIX || md == MIX_RESIZEMIX) && bx.h == 0) return;
    if (md == MIX_RESIZEMIX)
        batch_resizemix(m, bx, x, n);
    else
        batch_pieces(m, md, lam, bx, x, n);
}

static inline void mix_label(int K, double lam, float *yi, const float *yp)
{
    float a = (float)lam, b = (float)(1.0 - lam);
    for (int k = 0; k < K; k++) yi[k] = a * yi[k] + b * yp[k];
}

static void fill_report(mix_ctx_t *m, int n, int batch_mode, mix_report_t *rep)
{
    if (!rep) return;
    rep->n = n;
    rep->perm = m->perm;
    rep->row_mode = m->row_mode;
    rep->row_lam = m->row_lam;
    rep->row_box = m->row_box;
    if (batch_mode) {
        rep->mode = m->row_mode[0];
        rep->lam = m->row_lam[0];
        rep->box = m->row_box[0];
        return;
    }
    double s = 0.0;
    int same = 1;
    for (int i = 0; i < n; i++) {
        s += m->row_lam[i];
        same &= m->row_mode[i] == m->row_mode[0];
    }
    rep->mode = same ? m->row_mode[0] : MIX_PER_ROW;
    rep->lam = s / n;
    rep->box = (mix_box_t){0, 0, 0, 0};
}

int mix_apply(mix_ctx_t *m, rng_t *rng, float *x, float *y, int n, mix_report_t *rep, char *err)
{
    if (!m || !rng || !x) return st_err(err, "mix_apply: NULL context, generator or batch");
    if (n < 1 || n > m->max_n)
        return st_err(err, "mix_apply: batch of %d rows; this mixer takes 1 to %d", n, m->max_n);
    const mix_config_t *c = &m->c;
    int batch = !c->elem;

    /* 1. draws, all from rng in a fixed order: [coin] perm, then per batch or per row
     *    [coin] mode params (batch fmix: its mask; elem fmix: a seed for its mask) */
    int any = 0;
    if (batch) {
        if (c->prob < 1.0 && !(rng_uniform(rng) < c->prob)) {
            for (int i = 0; i < n; i++) {
                m->perm[i] = i;
                m->row_mode[i] = MIX_NONE;
                m->row_lam[i] = 1.0;
                m->row_box[i] = (mix_box_t){0, 0, 0, 0};
            }
            fill_report(m, n, 1, rep);
            return 0;
        }
        rng_permutation(rng, m->perm, n);
        int md = draw_mode(c, rng);
        double lam;
        mix_box_t box;
        draw_params(m, rng, md, &lam, &box);
        if (md == MIX_FMIX) mix_fmix_mask(m->fmix, rng, lam, m->mask, NULL);
        for (int i = 0; i < n; i++) {
            m->row_mode[i] = md;
            m->row_lam[i] = lam;
            m->row_box[i] = box;
        }
        any = 1;
    } else {
        rng_permutation(rng, m->perm, n);
        for (int i = 0; i < n; i++) {
            m->row_box[i] = (mix_box_t){0, 0, 0, 0};
            if (c->prob < 1.0 && !(rng_uniform(rng) < c->prob)) {
                m->row_mode[i] = MIX_NONE;
                m->row_lam[i] = 1.0;
                continue;
            }
            int md = draw_mode(c, rng);
            m->row_mode[i] = md;
            draw_params(m, rng, md, &m->row_lam[i], &m->row_box[i]);
            if (md == MIX_FMIX) m->row_seed[i] = rng_u64(rng);
            any = 1;
        }
    }
    if (!any) {
        for (int i = 0; i < n; i++) m->perm[i] = i;
        fill_report(m, n, batch, rep);
        return 0;
    }

    /* 2. mix. Batch mode: the rows on OpenMP threads, then the labels from a copy (they
     *    are small). Elem mode: row by row along the cycles of perm, so that every row
     *    still reads its partner's original values while only one row (not the whole
     *    batch) is copied. */
    size_t row = m->row;
    int K = m->K;
    if (batch) {
        batch_mix(m, m->row_mode[0], m->row_lam[0], m->row_box[0], x, n);
        if (y) {
            memcpy(m->y_orig, y, (size_t)n * K * sizeof *y);
            for (int i = 0; i < n; i++)
                mix_label(K, m->row_lam[0], y + (size_t)i * K, m->y_orig + (size_t)m->perm[i] * K);
        }
        fill_report(m, n, batch, rep);
        return 0;
    }
    int ncyc = list_cycles(m, n);
    for (int q = 0; q < ncyc; q++) {
        int s = m->order[m->cyc[q]], cyc = m->cyc[q + 1] - m->cyc[q] > 1;
        if (cyc) {
            memcpy(m->save_x, x + s * row, row * sizeof *x);
            if (y) memcpy(m->save_y, y + (size_t)s * K, (size_t)K * sizeof *y);
        }
        for (int k = m->cyc[q]; k < m->cyc[q + 1]; k++) {
            int i = m->order[k], p = m->perm[i], md = m->row_mode[i];
            if (md == MIX_NONE) continue;
            const float *xp = p == s && cyc ? m->save_x : x + p * row;
            const float *yp = y ? (p == s && cyc ? m->save_y : y + (size_t)p * K) : NULL;
            if (md == MIX_FMIX) {
                rng_t r;
                rng_init(&r, m->row_seed[i]);
                mix_fmix_mask(m->fmix, &r, m->row_lam[i], m->mask, NULL);
            }
            mix_row(m, md, m->row_lam[i], m->row_box[i], x + i * row, xp);
            if (y) mix_label(K, m->row_lam[i], y + (size_t)i * K, yp);
        }
    }
    fill_report(m, n, batch, rep);
    return 0;
}
