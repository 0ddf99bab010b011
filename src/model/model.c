/* model.c: PreAct-ResNet18 (FMix variant) built from the layers in layers.h.
 *
 * Memory plan (llm.c style): params, grads, momentum, BN running stats and activations are
 * one allocation each. Per block only the conv outputs h = conv1(a) and o (block output)
 * are kept for backward; a = ReLU(BN1(x)) and b = ReLU(BN2(h)) are recomputed from the saved
 * batch statistics when backward needs them (one cheap elementwise pass each), which halves
 * the activation memory. Backward runs through three gradient buffers (r: grad of the block
 * output/input, dh: grad of b then h in place, da: grad of a) and one scratch s for a/b. Only
 * r is memory of its own (in the forward it holds the block-0 input). The rest lies over the
 * activation storage (blk_layout): in the forward over blocks not yet
 * written, in the backward over the block being differentiated and those after it, which
 * nothing reads any more by then. The stem's conv output is not kept: the backward computes
 * it again (a 1-channel 3x3 conv, about 0.1% of a step).
 * The 3x3 stride-1 block convolutions use Winograd F(4x4, 3x3) unless the algorithm is set to
 * im2col (model_set_conv); both share one scratch buffer (m->col).
 */
#include "model/model.h"

#include "common/err.h"
#include "common/rng.h"
#include "model/layers.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BN_EPS MODEL_BN_EPS
#define BN_MOMENTUM 0.1f
/* Upper bound of the im2col buffer (floats) unless one image needs more: 16 Mi floats =
 * 64 MiB; big enough that the deep layers' GEMMs stay wide, small next to the activations. */
#ifndef COL_CAP_FLOATS
#define COL_CAP_FLOATS ((size_t)16 << 20)
#endif
/* Winograd transform buffers (V and M, floats each) unless one image or half of the
 * transformed weights need more (conv_wino.c): 1 Mi floats = 4 MiB each, so a chunk's V and
 * M stay in the 32 MiB L3 between the transforms and the GEMMs (F(4x4, 3x3), 0.5, 1, 2, 4 Mi
 * measured at batch 256: 1-2 Mi best, 0.5 Mi 2 % and 4 Mi 4 % slower). Which cap wins
 * depends on how busy the host is: with the box loaded 4 Mi was 6-8 % faster, on a quiet
 * box 1 Mi is 5-7 % faster (k = 64 batch 256, width 16 batch 64, and the whole demo-preset
 * training loop, old and new alternating); the benchmarks are for a quiet box. */
#ifndef WINO_CAP_FLOATS
#define WINO_CAP_FLOATS ((size_t)1 << 20)
#endif

enum { G_STEM, G_L1, G_L2, G_L3, G_L4, G_HEAD, N_GROUPS };

typedef struct {
    conv_dims_t d;   /* shape at the current batch size */
    size_t w;        /* weight offset in params: (cout, cin, k, k) */
} conv_t;

typedef struct {
    int C;
    size_t g, b;     /* gamma/beta offsets in params */
    size_t stat;     /* running mean offset in stats; running var follows */
    float *mean, *rstd;  /* saved batch statistics (in acts) */
} bn_t;

typedef struct {
    int cin, cout, stride, hin, win, ho, wo, has_sc;
    bn_t bn1, bn2;
    conv_t c1, c2, sc;
    float *h, *o;    /* (cout, N, ho, wo) saved activations */
} block_t;

struct model {
    model_config_t cfg;
    int max_batch;
    size_t nparams, nstats, nacts, act_max;
    size_t chunk_cap, col_size;  /* im2col chunking cap and buffer size (floats) */
    size_t wino_cap;             /* Winograd transform buffer cap (floats) */
    int conv_algo;               /* MODEL_CONV_* for the 3x3 stride-1 block convolutions */
    float *params, *grads, *momentum, *stats, *acts;
    conv_t c0;
    bn_t bn0;
    block_t blk[8];
    size_t lin_w, lin_b;
    int feat;        /* 8k: features into the linear layer */
    int hf, wf;      /* final spatial size */
    float *xin;      /* (in_ch, N, h, w) */
    /* act_max floats: the block-0 input (the stem's BN+ReLU) in the forward, dL/d(block
     * output) going down the blocks in the backward. */
    float *r;
    float *pooled, *dpooled, *logits, *dlogits;  /* (N, feat), (N, classes) */
    float *col;      /* convolution scratch */
    bn_reduce_t bn_sync;         /* fn != NULL: batch statistics summed over processes */
    int last_n, last_train;
    int prof;
    layer_time_t prof_t[N_GROUPS];
};

static int out_size(int in, int k, int s, int pad) { return (in + 2 * pad - k) / s + 1; }

/* Scratch of block b, laid over the activation storage from its saved output o on (h and o
 * of block b, then of block b + 1, ..., then a tail; sizes at max_batch N):
 *   forward:  s (a, then b) right after o, over storage the later blocks have not written yet;
 *   backward: dh (dL/db, then dL/dh), da (dL/da), for block 0 the stem's conv output and
 *             BN+ReLU output computed again, then s: over o and everything after it, which
 *             nothing reads once the backward has reached block b.
 * The stem's own conv output lies in block 0's h during the forward (h is written later). */
typedef struct {
    size_t s_fwd, dh, da, stem, xa, s_bwd;  /* offsets (floats) from the block's o */
    size_t end;                             /* floats spanned, forward or backward */
} blklayout_t;

typedef struct {
    float *s, *dh, *da, *stem, *xa;
} blkbuf_t;

/* The one description of that layout; block 0's stem and xa are 0 (unused) elsewhere. */
static blklayout_t blk_layout(const block_t *B, int b, size_t N)
{
    const size_t in = N * B->cin * B->hin * B->win, out = N * B->cout * B->ho * B->wo;
    const size_t io = in > out ? in : out;  /* s holds a (input size), then b (output size) */
    blklayout_t l = {0};
    l.s_fwd = out;
    l.dh = 0;
    l.da = out;
    size_t p = l.da + in;
    if (b == 0) {
        l.stem = p;
        l.xa = p + in;
        p = l.xa + in;
    }
    l.s_bwd = p;
    l.end = p + io > l.s_fwd + io ? p + io : l.s_fwd + io;
    return l;
}

static float *blk_fwd_scratch(const block_t *B, int b, size_t N) { return B->o + blk_layout(B, b, N).s_fwd; }

static blkbuf_t blk_bwd_bufs(const block_t *B, int b, size_t N)
{
    const blklayout_t l = blk_layout(B, b, N);
    blkbuf_t u = {B->o + l.s_bwd, B->o + l.dh, B->o + l.da, NULL, NULL};
    if (b == 0) u.stem = B->o + l.stem, u.xa = B->o + l.xa;
    return u;
}

/* Assigns offsets in the order of the reference module's named_parameters(). */
static size_t take(size_t *cursor, size_t count)
{
    size_t at = *cursor;
    *cursor += count;
    return at;
}

static void bn_layout(bn_t *bn, int C, size_t *pc, size_t *sc)
{
    bn->C = C;
    bn->g = take(pc, C);
    bn->b = take(pc, C);
    bn->stat = take(sc, 2 * (size_t)C);
}

static void conv_layout(conv_t *c, int n, int cin, int h, int w, int cout, int k, int s, int pad,
                        size_t *pc)
{
    conv_dims(&c->d, n, cin, h, w, cout, k, s, pad);
    c->w = take(pc, (size_t)cout * cin * k * k);
}

static void *alloc_floats(size_t n)
{
    void *p = NULL;
    if (n == 0) n = 1;
    if (posix_memalign(&p, 64, n * sizeof(float)) != 0) return NULL;
    return p;
}

static void set_batch(model_t *m, int n)
{
    conv_dims_t *d = &m->c0.d;
    conv_dims(d, n, d->cin, d->h, d->w, d->cout, d->k, d->stride, d->pad);
    for (int b = 0; b < 8; b++) {
        block_t *B = &m->blk[b];
        conv_t *cs[3] = {&B->c1, &B->c2, &B->sc};
        for (int i = 0; i < 2 + B->has_sc; i++) {
            d = &cs[i]->d;
            conv_dims(d, n, d->cin, d->h, d->w, d->cout, d->k, d->stride, d->pad);
        }
    }
}

static void init_uniform(rng_t *r, float *p, size_t n, double bound)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)rng_range(r, -bound, bound);
}

static void init_params(model_t *m, uint64_t seed)
{
    rng_t r;
    rng_init(&r, seed);
    float *P = m->params;
    /* Walk the tensors in parameter order so the draw order is fixed. */
#define INIT_CONV(c) init_uniform(&r, P + (c).w, (size_t)(c).d.cout * (c).d.cin * (c).d.k * (c).d.k, \
                                  1.0 / sqrt((double)(c).d.cin * (c).d.k * (c).d.k))
#define INIT_BN(bn) do { for (int i_ = 0; i_ < (bn).C; i_++) { P[(bn).g + i_] = 1.0f; P[(bn).b + i_] = 0.0f; \
        m->stats[(bn).stat + i_] = 0.0f; m->stats[(bn).stat + (bn).C + i_] = 1.0f; } } while (0)
    INIT_CONV(m->c0);
    INIT_BN(m->bn0);
    for (int b = 0; b < 8; b++) {
        block_t *B = &m->blk[b];
        INIT_BN(B->bn1);
        INIT_CONV(B->c1);
        INIT_BN(B->bn2);
        INIT_CONV(B->c2);
        if (B->has_sc) INIT_CONV(B->sc);
    }
    double bound = 1.0 / sqrt((double)m->feat);
    init_uniform(&r, P + m->lin_w, (size_t)m->cfg.classes * m->feat, bound);
    init_uniform(&r, P + m->lin_b, (size_t)m->cfg.classes, bound);
#undef INIT_CONV
#undef INIT_BN
}

model_t *model_init(const model_config_t *cfg, int max_batch, uint64_t seed, char *err)
{
    if (!cfg) { st_err(err, "model_init: no config"); return NULL; }
    if (cfg->in_ch < 1 || cfg->in_ch > 4096) { st_err(err, "model: in_ch %d out of range 1..4096", cfg->in_ch); return NULL; }
    if (cfg->classes < 1 || cfg->classes > 100000) { st_err(err, "model: classes %d out of range 1..100000", cfg->classes); return NULL; }
    if (cfg->width < 1 || cfg->width > 1024) { st_err(err, "model: width %d out of range 1..1024", cfg->width); return NULL; }
    if (cfg->h < 8 || cfg->w < 8 || cfg->h > 4096 || cfg->w > 4096) {
        st_err(err, "model: input %dx%d out of range (8..4096 each)", cfg->h, cfg->w);
        return NULL;
    }
    if (max_batch < 1 || max_batch > 65536) { st_err(err, "model: max_batch %d out of range 1..65536", max_batch); return NULL; }

    model_t *m = calloc(1, sizeof *m);
    if (!m) { st_err(err, "model: out of memory"); return NULL; }
    m->cfg = *cfg;
    m->max_batch = max_batch;
    const int N = max_batch, k = cfg->width;
    size_t pc = 0, sc = 0;

    conv_layout(&m->c0, N, cfg->in_ch, cfg->h, cfg->w, k, 3, 1, 1, &pc);
    bn_layout(&m->bn0, k, &pc, &sc);
    size_t act_max = (size_t)(cfg->in_ch > k ? cfg->in_ch : k) * cfg->h * cfg->w;
    int cin = k, h = cfg->h, w = cfg->w;
    for (int b = 0; b < 8; b++) {
        block_t *B = &m->blk[b];
        int stage = b / 2, planes = k << stage;
        int stride = (b % 2 == 0 && stage > 0) ? 2 : 1;
        B->cin = cin;
        B->cout = planes;
        B->stride = stride;
        B->hin = h;
        B->win = w;
        B->ho = out_size(h, 3, stride, 1);
        B->wo = out_size(w, 3, stride, 1);
        B->has_sc = stride != 1 || cin != planes;
        bn_layout(&B->bn1, cin, &pc, &sc);
        conv_layout(&B->c1, N, cin, h, w, planes, 3, stride, 1, &pc);
        bn_layout(&B->bn2, planes, &pc, &sc);
        conv_layout(&B->c2, N, planes, B->ho, B->wo, planes, 3, 1, 1, &pc);
        if (B->has_sc) conv_layout(&B->sc, N, cin, h, w, planes, 1, stride, 0, &pc);
        cin = planes;
        h = B->ho;
        w = B->wo;
        size_t sz = (size_t)planes * h * w;
        if (sz > act_max) act_max = sz;
    }
    m->feat = cin;
    m->hf = h;
    m->wf = w;
    m->lin_w = take(&pc, (size_t)cfg->classes * cin);
    m->lin_b = take(&pc, (size_t)cfg->classes);
    m->nparams = pc;
    m->nstats = sc;
    act_max *= N;
    m->act_max = act_max;

    /* Column buffer. The chunking cap depends on the config only (never on max_batch or
     * threads), so a given batch size always splits the same way and a model restored from
     * a checkpoint with another max_batch continues bit for bit. */
    size_t one = 0;
    const conv_t *convs[25];
    int ncv = 0;
    convs[ncv++] = &m->c0;
    for (int b = 0; b < 8; b++) {
        convs[ncv++] = &m->blk[b].c1;
        convs[ncv++] = &m->blk[b].c2;
        if (m->blk[b].has_sc) convs[ncv++] = &m->blk[b].sc;
    }
    for (int i = 0; i < ncv; i++) {
        const conv_dims_t *d = &convs[i]->d;
        size_t per = (size_t)d->cin * d->k * d->k * d->ho * d->wo;
        if (per > one) one = per;
    }
    m->chunk_cap = one > COL_CAP_FLOATS ? one : COL_CAP_FLOATS;
    m->col_size = 0;
    for (int i = 0; i < ncv; i++) {
        const conv_dims_t *d = &convs[i]->d;
        size_t per = (size_t)d->cin * d->k * d->k * d->ho * d->wo;
        size_t imgs = m->chunk_cap / per;
        if (imgs > (size_t)N) imgs = (size_t)N;
        if (per * imgs > m->col_size) m->col_size = per * imgs;
    }
    /* The Winograd convolutions share that scratch (never in use at the same time). */
    m->wino_cap = WINO_CAP_FLOATS;
    for (int i = 1; i < ncv; i++) {
        if (!conv_wino_ok(&convs[i]->d)) continue;
        size_t ws = conv_wino_ws_size(&convs[i]->d, m->wino_cap);
        if (ws > m->col_size) m->col_size = ws;
    }
    m->conv_algo = MODEL_CONV_WINOGRAD;

    /* Activations: carve one allocation. */
    size_t na = 0;
    const size_t nx = (size_t)cfg->in_ch * N * cfg->h * cfg->w;
    size_t o_xin = take(&na, nx);
    size_t o_r = take(&na, act_max);
    size_t o_h[8], o_o[8], o_bn[17];
    for (int b = 0; b < 8; b++) {
        size_t sz = (size_t)m->blk[b].cout * N * m->blk[b].ho * m->blk[b].wo;
        o_h[b] = take(&na, sz);
        o_o[b] = take(&na, sz);
    }
    /* Block scratch (blk_layout) runs past the last block's o into a tail; block 0's also
     * holds the stem's dL/dx at dh at the end of the backward. */
    size_t tail = 0;
    for (int b = 0; b < 8; b++) {
        size_t need = blk_layout(&m->blk[b], b, N).end;
        if (b == 0 && nx > need) need = nx;
        if (need > na - o_o[b] + tail) tail = need - (na - o_o[b]);
    }
    take(&na, tail);
    bn_t *bns[17];
    bns[0] = &m->bn0;
    for (int b = 0; b < 8; b++) {
        bns[1 + 2 * b] = &m->blk[b].bn1;
        bns[2 + 2 * b] = &m->blk[b].bn2;
    }
    for (int i = 0; i < 17; i++) o_bn[i] = take(&na, 2 * (size_t)bns[i]->C);
    size_t o_pool = take(&na, (size_t)N * m->feat);
    size_t o_dpool = take(&na, (size_t)N * m->feat);
    size_t o_log = take(&na, (size_t)N * cfg->classes);
    size_t o_dlog = take(&na, (size_t)N * cfg->classes);
    size_t o_col = take(&na, m->col_size);
    m->nacts = na;

    /* A shape from a hostile or mistaken checkpoint (a 4096 x 4096 input, say) can ask for
     * terabytes: refuse what this machine could never hold, naming the cause, rather than
     * hand the allocator a size it may abort on. */
    double need = 4.0 * (3.0 * (double)m->nparams + (double)m->nstats + (double)m->nacts);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0 && need > (double)pages * (double)page) {
        st_err(err, "model: %.1f GiB needed (input %dx%d, width %d, batch %d), more than this machine's %.1f GiB of memory",
               need / 1073741824.0, cfg->h, cfg->w, cfg->width, max_batch, (double)pages * page / 1073741824.0);
        model_free(m);
        return NULL;
    }
    m->params = alloc_floats(m->nparams);
    m->grads = alloc_floats(m->nparams);
    m->momentum = alloc_floats(m->nparams);
    m->stats = alloc_floats(m->nstats);
    m->acts = alloc_floats(m->nacts);
    if (!m->params || !m->grads || !m->momentum || !m->stats || !m->acts) {
        st_err(err, "model: out of memory (%zu parameters, %.0f MiB of activations at batch %d)",
               m->nparams, m->nacts * 4.0 / 1048576.0, max_batch);
        model_free(m);
        return NULL;
    }
    float *A = m->acts;
    m->xin = A + o_xin;
    m->r = A + o_r;
    for (int b = 0; b < 8; b++) {
        m->blk[b].h = A + o_h[b];
        m->blk[b].o = A + o_o[b];
    }
    for (int i = 0; i < 17; i++) {
        bns[i]->mean = A + o_bn[i];
        bns[i]->rstd = A + o_bn[i] + bns[i]->C;
    }
    m->pooled = A + o_pool;
    m->dpooled = A + o_dpool;
    m->logits = A + o_log;
    m->dlogits = A + o_dlog;
    m->col = A + o_col;
    /* Touch everything once so the first step does not pay the page faults. */
    memset(m->acts, 0, m->nacts * sizeof(float));
    memset(m->grads, 0, m->nparams * sizeof(float));
    memset(m->momentum, 0, m->nparams * sizeof(float));
    init_params(m, seed);
    return m;
}

void model_free(model_t *m)
{
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->momentum);
    free(m->stats);
    free(m->acts);
    free(m->bn_sync.buf);
    free(m);
}

int model_set_bn_reduce(model_t *m, model_reduce_fn fn, void *ctx)
{
    free(m->bn_sync.buf);
    m->bn_sync = (bn_reduce_t){0};
    if (!fn) return 0;
    /* the widest BN layer has 8k channels */
    if (!(m->bn_sync.buf = malloc((16 * (size_t)m->cfg.width + 1) * sizeof *m->bn_sync.buf))) return -1;
    m->bn_sync.fn = fn, m->bn_sync.ctx = ctx;
    return 0;
}

size_t model_param_count(const model_config_t *c)
{
    if (!c || c->in_ch < 1 || c->classes < 1 || c->width < 1) return 0;
    size_t k = (size_t)c->width, n = k * c->in_ch * 9 + 2 * k, cin = k;
    for (int b = 0; b < 8; b++) {
        size_t planes = k << (b / 2);
        int stride = (b % 2 == 0 && b > 0) ? 2 : 1;
        n += 2 * cin + planes * cin * 9 + 2 * planes + planes * planes * 9;
        if (stride != 1 || cin != planes) n += planes * cin;
        cin = planes;
    }
    return n + (size_t)c->classes * cin + (size_t)c->classes;
}

const model_config_t *model_config(const model_t *m) { return &m->cfg; }
int model_max_batch(const model_t *m) { return m->max_batch; }
size_t model_num_params(const model_t *m) { return m->nparams; }
float *model_params(model_t *m) { return m->params; }
float *model_grads(model_t *m) { return m->grads; }
float *model_momentum(model_t *m) { return m->momentum; }
float *model_bn_stats(model_t *m) { return m->stats; }
size_t model_num_bn_stats(const model_t *m) { return m->nstats; }
const float *model_logits(const model_t *m) { return m->logits; }

static layer_time_t *timer(model_t *m, int g) { return m->prof ? &m->prof_t[g] : NULL; }

void model_set_conv(model_t *m, int algo)
{
    m->conv_algo = algo == MODEL_CONV_IM2COL ? MODEL_CONV_IM2COL : MODEL_CONV_WINOGRAD;
}
int model_get_conv(const model_t *m) { return m->conv_algo; }

/* Winograd for the 3x3 stride-1 convolutions of the blocks; the stem (in_ch 1..3 channels:
 * K = 9..27, too thin for Winograd's per-frequency GEMMs) and the strided and 1x1 ones use
 * im2col. */
static int use_wino(const model_t *m, const conv_t *c)
{
    return m->conv_algo == MODEL_CONV_WINOGRAD && c != &m->c0 && conv_wino_ok(&c->d);
}

static void conv_fwd(model_t *m, conv_t *c, float *out, const float *in, int accumulate,
                     layer_time_t *t)
{
    if (use_wino(m, c))
        conv_wino_forward(out, in, m->params + c->w, &c->d, m->col, m->wino_cap, accumulate, t);
    else
        conv_forward(out, in, m->params + c->w, &c->d, m->col, m->chunk_cap, accumulate, t);
}

/* dwt: where the weight gradient goes, or NULL when none is needed. */
static void conv_bwd_w(model_t *m, conv_t *c, float *din, float *dwt, const float *dout,
                       const float *in, int accumulate, layer_time_t *t)
{
    if (use_wino(m, c))
        conv_wino_backward(din, dwt, dout, in, m->params + c->w, &c->d, m->col, m->wino_cap,
                           accumulate, t);
    else
        conv_backward(din, dwt, dout, in, m->params + c->w, &c->d, m->col, m->chunk_cap,
                      accumulate, t);
}

static void bn_fwd(model_t *m, bn_t *bn, float *out, const float *in, size_t M, int train, int g)
{
    double t0 = m->prof ? omp_get_wtime() : 0;
    float *P = m->params, *S = m->stats + bn->stat;
    if (train && m->bn_sync.fn)
        bnrelu_forward_reduced(out, in, P + bn->g, P + bn->b, bn->mean, bn->rstd, S, S + bn->C, bn->C, M,
                               BN_MOMENTUM, BN_EPS, &m->bn_sync);
    else
        bnrelu_forward(out, in, P + bn->g, P + bn->b, bn->mean, bn->rstd, S, S + bn->C, bn->C, M,
                       train, BN_MOMENTUM, BN_EPS);
    if (m->prof) m->prof_t[g].bn += omp_get_wtime() - t0;
}

static void bn_redo(model_t *m, bn_t *bn, float *out, const float *in, size_t M, int g)
{
    double t0 = m->prof ? omp_get_wtime() : 0;
    bnrelu_apply(out, in, m->params + bn->g, m->params + bn->b, bn->mean, bn->rstd, bn->C, M);
    if (m->prof) m->prof_t[g].bn += omp_get_wtime() - t0;
}

static void bn_bwd(model_t *m, bn_t *bn, float *din, const float *dout, const float *in,
                   const float *out, size_t M, int accumulate, int g)
{
    double t0 = m->prof ? omp_get_wtime() : 0;
    if (m->bn_sync.fn)
        bnrelu_backward_reduced(din, m->grads + bn->g, m->grads + bn->b, dout, in, out, m->params + bn->g,
                                bn->mean, bn->rstd, bn->C, M, accumulate, &m->bn_sync);
    else
        bnrelu_backward(din, m->grads + bn->g, m->grads + bn->b, dout, in, out, m->params + bn->g,
                        bn->mean, bn->rstd, bn->C, M, accumulate);
    if (m->prof) m->prof_t[g].bn += omp_get_wtime() - t0;
}

int model_forward(model_t *m, const float *x, int n, int train)
{
    if (!m || !x || n < 1 || n > m->max_batch) return -1;
    set_batch(m, n);
    m->last_n = n;
    m->last_train = train != 0;
    const model_config_t *c = &m->cfg;
    const size_t hw = (size_t)c->h * c->w;
    float *P = m->params;

    double t0 = m->prof ? omp_get_wtime() : 0;
    /* (n, in_ch, h, w) -> (in_ch, n, h, w) */
#pragma omp parallel for collapse(2) schedule(static)
    for (int ch = 0; ch < c->in_ch; ch++)
        for (int i = 0; i < n; i++)
            memcpy(m->xin + ((size_t)ch * n + i) * hw, x + ((size_t)i * c->in_ch + ch) * hw,
                   hw * sizeof(float));
    if (m->prof) m->prof_t[G_STEM].other += omp_get_wtime() - t0;

    float *stem = m->blk[0].h;  /* free until block 0's conv1 */
    conv_fwd(m, &m->c0, stem, m->xin, 0, timer(m, G_STEM));
    bn_fwd(m, &m->bn0, m->r, stem, (size_t)n * hw, train, G_STEM);
    const float *xb = m->r;
    for (int b = 0; b < 8; b++) {
        block_t *B = &m->blk[b];
        int g = G_L1 + b / 2;
        layer_time_t *t = timer(m, g);
        size_t min = (size_t)n * B->hin * B->win, mout = (size_t)n * B->ho * B->wo;
        float *s = blk_fwd_scratch(B, b, (size_t)m->max_batch);
        bn_fwd(m, &B->bn1, s, xb, min, train, g);  /* s = a */
        if (B->has_sc) {
            conv_fwd(m, &B->sc, B->o, s, 0, t);
        } else {
            double t1 = t ? omp_get_wtime() : 0;
            memcpy(B->o, xb, (size_t)B->cout * mout * sizeof(float));
            if (t) t->other += omp_get_wtime() - t1;
        }
        conv_fwd(m, &B->c1, B->h, s, 0, t);
        bn_fwd(m, &B->bn2, s, B->h, mout, train, g);  /* s = b */
        conv_fwd(m, &B->c2, B->o, s, 1, t);
        xb = B->o;
    }
    double t1 = m->prof ? omp_get_wtime() : 0;
    avgpool_forward(m->pooled, xb, m->feat, n, m->hf * m->wf);
    linear_forward(m->logits, m->pooled, P + m->lin_w, P + m->lin_b, n, m->feat, c->classes);
    if (m->prof) m->prof_t[G_HEAD].other += omp_get_wtime() - t1;
    return 0;
}

float model_loss(model_t *m, const float *y, int n)
{
    if (n != m->last_n) return NAN;
    return softmax_ce(m->dlogits, m->logits, y, n, m->cfg.classes);
}

void model_zero_grad(model_t *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

static void bn_bwd_eval(model_t *m, bn_t *bn, float *din, const float *dout, const float *out,
                        size_t M, int accumulate, int g)
{
    double t0 = m->prof ? omp_get_wtime() : 0;
    bnrelu_backward_eval(din, dout, out, m->params + bn->g, bn->rstd, bn->C, M, accumulate);
    if (m->prof) m->prof_t[g].bn += omp_get_wtime() - t0;
}

/* Backward through the last forward from m->dlogits. Train mode (eval = 0) adds every
 * parameter gradient. Eval mode (BN with running statistics) computes no parameter
 * gradient and leaves dL/dx, channel-major (in_ch, n, h, w), in m->blk[0].o (block 0's
 * dh, dead storage by then). */
static void backward(model_t *m, int n, int eval)
{
    const model_config_t *c = &m->cfg;
    float *P = m->params, *G = eval ? NULL : m->grads;
    double t0 = m->prof ? omp_get_wtime() : 0;
    linear_backward(m->dpooled, eval ? NULL : G + m->lin_w, eval ? NULL : G + m->lin_b,
                    m->dlogits, m->pooled, P + m->lin_w, n, m->feat, c->classes, 0);
    avgpool_backward(m->r, m->dpooled, m->feat, n, m->hf * m->wf, 0);
    if (m->prof) m->prof_t[G_HEAD].other += omp_get_wtime() - t0;

#define WGRAD(cv) (eval ? NULL : G + (cv).w)
    const size_t hw = (size_t)c->h * c->w;
    blkbuf_t u = {0};
    for (int b = 7; b >= 0; b--) {
        block_t *B = &m->blk[b];
        int g = G_L1 + b / 2;
        layer_time_t *t = timer(m, g);
        size_t min = (size_t)n * B->hin * B->win, mout = (size_t)n * B->ho * B->wo;
        u = blk_bwd_bufs(B, b, (size_t)m->max_batch);
        float *s = u.s, *dh = u.dh, *da = u.da;
        if (b == 0) {  /* the stem's output and block 0's input again, as the forward made them */
            conv_fwd(m, &m->c0, u.stem, m->xin, 0, timer(m, G_STEM));
            bn_redo(m, &m->bn0, u.xa, u.stem, (size_t)n * hw, G_STEM);
        }
        const float *xb = b > 0 ? m->blk[b - 1].o : u.xa;
        /* r = dL/do */
        bn_redo(m, &B->bn2, s, B->h, mout, g);  /* s = b */
        conv_bwd_w(m, &B->c2, dh, WGRAD(B->c2), m->r, s, 0, t);
        if (eval) bn_bwd_eval(m, &B->bn2, dh, dh, s, mout, 0, g);
        else bn_bwd(m, &B->bn2, dh, dh, B->h, s, mout, 0, g);  /* dh = dL/dh */
        bn_redo(m, &B->bn1, s, xb, min, g);  /* s = a */
        conv_bwd_w(m, &B->c1, da, WGRAD(B->c1), dh, s, 0, t);
        if (B->has_sc) conv_bwd_w(m, &B->sc, da, WGRAD(B->sc), m->r, s, 1, t);
        /* da = dL/da; r becomes dL/dx (identity shortcut: dL/do plus the BN path). */
        if (eval) bn_bwd_eval(m, &B->bn1, m->r, da, s, min, !B->has_sc, g);
        else bn_bwd(m, &B->bn1, m->r, da, xb, s, min, !B->has_sc, g);
    }
    if (eval) bn_bwd_eval(m, &m->bn0, m->r, m->r, u.xa, (size_t)n * hw, 0, G_STEM);
    else bn_bwd(m, &m->bn0, m->r, m->r, u.stem, u.xa, (size_t)n * hw, 0, G_STEM);
    /* The data gradient of the stem is only needed for input gradients. */
    conv_bwd_w(m, &m->c0, eval ? u.dh : NULL, WGRAD(m->c0), m->r, m->xin, 0, timer(m, G_STEM));
#undef WGRAD
    m->last_n = 0;  /* the saved activations are scratch now: one backward per forward */
}

void model_backward(model_t *m, int n)
{
    if (n != m->last_n || n < 1 || !m->last_train) return;
    backward(m, n, 0);
}

int model_input_grad(model_t *m, int n, float *dx)
{
    if (!m || !dx || n != m->last_n || n < 1 || m->last_train) return -1;
    backward(m, n, 1);
    const model_config_t *c = &m->cfg;
    const size_t hw = (size_t)c->h * c->w;
    /* (in_ch, n, h, w) -> (n, in_ch, h, w) */
#pragma omp parallel for collapse(2) schedule(static)
    for (int ch = 0; ch < c->in_ch; ch++)
        for (int i = 0; i < n; i++)
            memcpy(dx + ((size_t)i * c->in_ch + ch) * hw, m->blk[0].o + ((size_t)ch * n + i) * hw,
                   hw * sizeof(float));
    return 0;
}

void model_set_threads(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

double model_forward_flops(const model_t *m)
{
    double f = 0;
    const conv_dims_t *ds[25];
    int nd = 0;
    ds[nd++] = &m->c0.d;
    for (int b = 0; b < 8; b++) {
        ds[nd++] = &m->blk[b].c1.d;
        ds[nd++] = &m->blk[b].c2.d;
        if (m->blk[b].has_sc) ds[nd++] = &m->blk[b].sc.d;
    }
    for (int i = 0; i < nd; i++)
        f += 2.0 * ds[i]->cout * ds[i]->cin * ds[i]->k * ds[i]->k * ds[i]->ho * ds[i]->wo;
    return f + 2.0 * m->feat * m->cfg.classes;
}

double model_gemm_flops(const model_t *m)
{
    double f = 0;
    const conv_t *cs[25];
    int nc = 0;
    cs[nc++] = &m->c0;
    for (int b = 0; b < 8; b++) {
        cs[nc++] = &m->blk[b].c1;
        cs[nc++] = &m->blk[b].c2;
        if (m->blk[b].has_sc) cs[nc++] = &m->blk[b].sc;
    }
    for (int i = 0; i < nc; i++) {
        const conv_dims_t *d = &cs[i]->d;
        if (use_wino(m, cs[i]))
            f += 2.0 * 36 * d->cout * d->cin * ((d->h + 3) / 4) * ((d->w + 3) / 4);
        else
            f += 2.0 * d->cout * d->cin * d->k * d->k * d->ho * d->wo;
    }
    return f + 2.0 * m->feat * m->cfg.classes;
}

static const char *prof_names[N_GROUPS * 5] = {
    "stem.gemm", "stem.im2col", "stem.col2im", "stem.bn", "stem.other",
    "layer1.gemm", "layer1.im2col", "layer1.col2im", "layer1.bn", "layer1.other",
    "layer2.gemm", "layer2.im2col", "layer2.col2im", "layer2.bn", "layer2.other",
    "layer3.gemm", "layer3.im2col", "layer3.col2im", "layer3.bn", "layer3.other",
    "layer4.gemm", "layer4.im2col", "layer4.col2im", "layer4.bn", "layer4.other",
    "head.gemm", "head.im2col", "head.col2im", "head.bn", "head.other",
};

void model_profile_enable(model_t *m, int on) { m->prof = on != 0; }
void model_profile_reset(model_t *m) { memset(m->prof_t, 0, sizeof m->prof_t); }

int model_profile_get(const model_t *m, const char **names, double *seconds, int max)
{
    int total = N_GROUPS * 5;
    for (int i = 0; i < total && i < max; i++) {
        const layer_time_t *t = &m->prof_t[i / 5];
        const double v[5] = {t->gemm, t->im2col, t->col2im, t->bn, t->other};
        if (names) names[i] = prof_names[i];
        if (seconds) seconds[i] = v[i % 5];
    }
    return total;
}
