/* conv_wino.c: 3x3, stride 1, pad 1 convolution by Winograd F(4x4, 3x3) (Lavin & Gray 2016).
 *
 * Each 4x4 block of output pixels ("tile") is computed from the 6x6 input patch around it as
 *   y = A^T [ (G g G^T) .* (B^T d B) ] A
 * with g the 3x3 kernel. Over channels the elementwise product becomes 36 independent GEMMs,
 * one per frequency f = 6*i + j of the 6x6 transform domain:
 *   M[f] (cout x T) = U[f] (cout x cin) . V[f] (cin x T)      T = tiles in the chunk
 * 36 cin cout multiply-adds per 16 outputs instead of 144 cin cout (4x fewer GEMM FLOPs than
 * direct, 1.78x fewer than F(2x2, 3x3)), and V holds 36/16 = 2.25 values per input pixel.
 *
 * Interpolation points 0, 2, -2, 1/2, -1/2 and infinity instead of Lavin & Gray's 0, 1, -1,
 * 2, -2, infinity: the transforms cost the same operations (rows pair up as s +- t either
 * way), and the float32 error is smaller. Simulated against float64 on the model's layer
 * shapes (64..512 channels, 32x32..4x4), the worst forward error relative to the parity
 * tolerance (1e-4 |ref| + 1e-4 rms) is 2-2.5x smaller (0.12-0.24 instead of 0.29-0.59) and
 * the gradients' 1.5-2x smaller; 0, +-1, +-1/2 is no better than the standard points.
 *   B^T = [ 1   0    -17/4   0    1  0 ]       G = [  1      0      0    ]
 *         [ 0  -1/2  -1/4    2    1  0 ]           [  1/30   1/15   2/15 ]
 *         [ 0   1/2  -1/4   -2    1  0 ]           [  1/30  -1/15   2/15 ]
 *         [ 0  -2    -4      1/2  1  0 ]           [ -8/15  -4/15  -2/15 ]
 *         [ 0   2    -4     -1/2  1  0 ]           [ -8/15   4/15  -2/15 ]
 *         [ 0   1     0    -17/4  0  1 ]           [  0      0      1    ]
 *   A^T = [ 1  1   1   1     1     0 ]
 *         [ 0  2  -2   1/2  -1/2   0 ]
 *         [ 0  4   4   1/4   1/4   0 ]
 *         [ 0  8  -8   1/8  -1/8   1 ]
 * The constants of B and A are powers of two and 17/4 (exact in float); the thirtieths and
 * fifteenths sit in G, i.e. in the weight transforms.
 *
 * Backward (exact transposes of the forward, no approximation beyond float rounding):
 *   dM[f] = A dy A^T of each output-gradient tile (4x4 -> 6x6)
 *   dU[f] (cout x cin) += dM[f] (cout x T) . V[f]^T      dW += G^T dU G   (6x6 -> 3x3)
 *   dV[f] (cin x T) = U[f]^T (cin x cout) . dM[f]         dx += B dV B^T over the overlapping
 *                                                           6x6 patches
 * Buffers, frequency-major so each GEMM operand is one contiguous matrix:
 *   V: [36][cin][T]   M / dM: [36][cout][T]   U, dU: [36][cout][cin]
 * Tiles of a chunk are ordered (image, tile row, tile column); tiles cover ceil(H/4) x ceil(W/4)
 * blocks, reading zeros past the border, so odd and small sizes (a 4x4 image is one tile) are
 * exact too. The data transforms work on blocks of up to TB consecutive tiles of one channel
 * (a whole number of images, or part of one image's tiles when it has more than TB): each
 * tile's values are gathered into one lane of [36][TB] buffers, the 2-D transform runs as
 * 1-D passes vectorised over the lanes, and the results go to 36 contiguous runs of V or dM
 * (or back onto the image). The input patches are read from, and dx's overlapping patches are
 * summed in, zero-padded copies of the block's images (in the M or dM buffer, free at that
 * time), so no tile needs bounds checks; a block owns its images' planes, so the sums need no
 * atomics. Chunking (images per chunk) depends only on the shapes and the cap, never on the
 * thread count, so results are reproducible bit for bit for a given batch and thread count.
 * Threads: each convolution is one OpenMP parallel region. The transforms are work-shared
 * loops (orphaned `omp for`, so they must run inside that region), and the 36 per-frequency
 * products of a chunk are shared out whole: each thread runs its frequencies single-threaded,
 * on OpenBLAS's sgemm (its OpenMP build runs one thread when called inside a parallel region;
 * tests/model/test_blas_region.c checks it) or on the kernels of wgemm.h
 * (conv_wino_own_products says which). At small widths the products are small (16 x 16 x
 * tiles at width 16), and one region with a barrier between phases costs far less than a
 * region per product; each product's bytes do not depend on the thread count either.
 */
#include "model/layers.h"
#include "model/wgemm.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NF 36  /* frequencies: the 6x6 transform domain */
#define TB 64  /* tiles per block in the data transforms: the vector lanes of their passes */

int conv_wino_ok(const conv_dims_t *d) { return d->k == 3 && d->stride == 1 && d->pad == 1; }

/* Who multiplies the per-frequency products. Our kernels (wgemm.h) read the operands in place
 * but are plain vector code: measured against OpenBLAS 0.3.21 on one AVX-512 CPU (2-core AMD
 * EPYC, cpu family 26; docs/model.md), they were 1.1-1.4x faster than its AVX2 (Haswell)
 * kernel, which an OPENBLAS_CORETYPE setting imposed there, and 2-13% slower than its own
 * AVX-512 kernels; built for AVX2 they tied with it at width 16 and were 8-18% slower at
 * k = 64.
 * So they are used only by an AVX-512 build while OpenBLAS runs a kernel without AVX-512. */
static int products_own = -1;   /* -1: that rule; 0: sgemm; 1: ours */

void conv_wino_set_products(int own) { products_own = own < 0 ? -1 : !!own; }

int conv_wino_own_products(void)
{
    if (products_own >= 0) return products_own;
#ifdef __AVX512F__
    static const char *const wide[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    const char *core = openblas_get_corename();
    if (!core) return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (!strncasecmp(core, wide[i], strlen(wide[i]))) return 0;
    return 1;
#else
    return 0;
#endif
}

static size_t wino_tiles(const conv_dims_t *d)
{
    return (size_t)((d->h + 3) / 4) * (size_t)((d->w + 3) / 4);
}

static size_t wino_per_image(const conv_dims_t *d)
{
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    return NF * cmax * wino_tiles(d);
}

/* Floats per transform buffer (V, and M or dM): the cap, raised to half the size of U when
 * that is more, and to one image. Every chunk re-reads U (and in backward reads and writes
 * dU), 36 x cin x cout floats: at 512 channels and 4x4 images (one tile each) a 1 Mi cap
 * gives chunks of 52 tiles, whose GEMMs are thin and whose five passes over U and dU cost
 * more memory traffic than V and M; half of U makes it 256 tiles, one chunk at batch 256
 * (measured: layer4's GEMMs 17 % faster, layer3's 5 %, the others unchanged). */
static size_t wino_buf(const conv_dims_t *d, size_t cap)
{
    size_t per = wino_per_image(d), half_u = NF * (size_t)d->cin * d->cout / 2;
    size_t b = cap > half_u ? cap : half_u;
    return b > per ? b : per;
}

int conv_wino_chunk(const conv_dims_t *d, size_t cap)
{
    size_t c = wino_buf(d, cap) / wino_per_image(d);
    if (c > (size_t)d->n) c = (size_t)d->n;
    size_t chunks = ((size_t)d->n + c - 1) / c;
    return (int)(((size_t)d->n + chunks - 1) / chunks);
}

size_t conv_wino_ws_size(const conv_dims_t *d, size_t cap)
{
    return 2 * wino_buf(d, cap) + 2 * NF * (size_t)d->cout * d->cin;
}

/* The 1-D transforms over lanes 0..n-1 of six (or four) rows x, x + xs, x + 2 xs, ...,
 * written to the rows d, d + ds, ...: the columns of a block of tiles' 6x6 (4x4) values when
 * the rows are a column's elements, its rows when they are a row's. The rows never overlap
 * (ivdep: GCC would otherwise want 15 run-time alias checks when a stride is not constant
 * and give up vectorising). */

/* d = B^T x (6 -> 6) */
static inline void pass_bt(float *restrict d, size_t ds, const float *restrict x, size_t xs, int n)
{
#pragma GCC ivdep
    for (size_t l = 0; l < (size_t)n; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l],
              x4 = x[4 * xs + l], x5 = x[5 * xs + l];
        float s = x4 - 0.25f * x2, t = 2.0f * x3 - 0.5f * x1;
        float u = x4 - 4.0f * x2, v = 0.5f * x3 - 2.0f * x1;
        d[l] = x0 - 4.25f * x2 + x4;
        d[ds + l] = s + t;
        d[2 * ds + l] = s - t;
        d[3 * ds + l] = u + v;
        d[4 * ds + l] = u - v;
        d[5 * ds + l] = x1 - 4.25f * x3 + x5;
    }
}

/* d = B x (6 -> 6), the transpose of pass_bt */
static inline void pass_b(float *restrict d, size_t ds, const float *restrict x, size_t xs, int n)
{
#pragma GCC ivdep
    for (size_t l = 0; l < (size_t)n; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l],
              x4 = x[4 * xs + l], x5 = x[5 * xs + l];
        d[l] = x0;
        d[ds + l] = 0.5f * (x2 - x1) + 2.0f * (x4 - x3) + x5;
        d[2 * ds + l] = -4.25f * x0 - 0.25f * (x1 + x2) - 4.0f * (x3 + x4);
        d[3 * ds + l] = 2.0f * (x1 - x2) + 0.5f * (x3 - x4) - 4.25f * x5;
        d[4 * ds + l] = x0 + x1 + x2 + x3 + x4;
        d[5 * ds + l] = x5;
    }
}

/* d = A^T x (6 -> 4) */
static inline void pass_at(float *restrict d, size_t ds, const float *restrict x, size_t xs, int n)
{
#pragma GCC ivdep
    for (size_t l = 0; l < (size_t)n; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l],
              x4 = x[4 * xs + l], x5 = x[5 * xs + l];
        float a = x1 + x2, b = x1 - x2, c = x3 + x4, e = x3 - x4;
        d[l] = x0 + a + c;
        d[ds + l] = 2.0f * b + 0.5f * e;
        d[2 * ds + l] = 4.0f * a + 0.25f * c;
        d[3 * ds + l] = 8.0f * b + 0.125f * e + x5;
    }
}

/* d = A x (4 -> 6), the transpose of pass_at */
static inline void pass_a(float *restrict d, size_t ds, const float *restrict x, size_t xs, int n)
{
#pragma GCC ivdep
    for (size_t l = 0; l < (size_t)n; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l];
        float p = x0 + 4.0f * x2, q = 2.0f * x1 + 8.0f * x3;
        float r = x0 + 0.25f * x2, s = 0.5f * x1 + 0.125f * x3;
        d[l] = x0;
        d[ds + l] = p + q;
        d[2 * ds + l] = p - q;
        d[3 * ds + l] = r + s;
        d[4 * ds + l] = r - s;
        d[5 * ds + l] = x3;
    }
}

/* Kernels per block in the weight transforms: gathered into [9][WB] so the arithmetic runs
 * over WB consecutive input channels (vectorised) and each frequency is stored contiguously. */
#define WB 16

/* U[f][co][ci] = (G g G^T)[f] for every kernel g = wt[co][ci]. */
static void wt_transform(float *U, const float *wt, int cout, int cin)
{
    const size_t fs = (size_t)cout * cin;
#pragma omp for schedule(static)
    for (int co = 0; co < cout; co++) {
        for (int c0 = 0; c0 < cin; c0 += WB) {
            const int nb = cin - c0 < WB ? cin - c0 : WB;
            float g[9][WB], t[6][3][WB], u[NF][WB];
            const float *src = wt + ((size_t)co * cin + c0) * 9;
            for (int l = 0; l < nb; l++)
                for (int k = 0; k < 9; k++) g[k][l] = src[l * 9 + k];
            for (int l = nb; l < WB; l++)
                for (int k = 0; k < 9; k++) g[k][l] = 0.0f;
            /* t = G g (columns), then u = t G^T (rows); G x for x = (x0, x1, x2):
             * x0, p + q, p - q, r - s, r + s, x2 with p = x0/30 + 2 x2/15, q = x1/15,
             * r = -8 x0/15 - 2 x2/15, s = 4 x1/15. */
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < WB; l++) {
                    float x0 = g[j][l], x1 = g[3 + j][l], x2 = g[6 + j][l];
                    float p = x0 * (1.0f / 30) + x2 * (2.0f / 15), q = x1 * (1.0f / 15);
                    float r = x0 * (-8.0f / 15) + x2 * (-2.0f / 15), s = x1 * (4.0f / 15);
                    t[0][j][l] = x0;
                    t[1][j][l] = p + q;
                    t[2][j][l] = p - q;
                    t[3][j][l] = r - s;
                    t[4][j][l] = r + s;
                    t[5][j][l] = x2;
                }
            for (int i = 0; i < 6; i++)
                for (int l = 0; l < WB; l++) {
                    float x0 = t[i][0][l], x1 = t[i][1][l], x2 = t[i][2][l];
                    float p = x0 * (1.0f / 30) + x2 * (2.0f / 15), q = x1 * (1.0f / 15);
                    float r = x0 * (-8.0f / 15) + x2 * (-2.0f / 15), s = x1 * (4.0f / 15);
                    u[6 * i + 0][l] = x0;
                    u[6 * i + 1][l] = p + q;
                    u[6 * i + 2][l] = p - q;
                    u[6 * i + 3][l] = r - s;
                    u[6 * i + 4][l] = r + s;
                    u[6 * i + 5][l] = x2;
                }
            float *dst = U + (size_t)co * cin + c0;
            /* a full block: constant-size copies (inlined, no library call) */
            if (nb == WB)
                for (int f = 0; f < NF; f++) memcpy(dst + f * fs, u[f], sizeof u[f]);
            else
                for (int f = 0; f < NF; f++) memcpy(dst + f * fs, u[f], sizeof(float) * nb);
        }
    }
}

/* dwt[co][ci] += G^T dU[.][co][ci] G. G^T x for x = (x0..x5): x0 + (x1 + x2)/30 -
 * 8 (x3 + x4)/15, (x1 - x2)/15 - 4 (x3 - x4)/15, 2 (x1 + x2)/15 - 2 (x3 + x4)/15 + x5. */
static void wt_grad_transform(float *dwt, const float *dU, int cout, int cin)
{
    const size_t fs = (size_t)cout * cin;
#pragma omp for schedule(static)
    for (int co = 0; co < cout; co++) {
        for (int c0 = 0; c0 < cin; c0 += WB) {
            const int nb = cin - c0 < WB ? cin - c0 : WB;
            float x[NF][WB], t[3][6][WB], g[9][WB];
            const float *src = dU + (size_t)co * cin + c0;
            if (nb == WB)
                for (int f = 0; f < NF; f++) memcpy(x[f], src + f * fs, sizeof x[f]);
            else
                for (int f = 0; f < NF; f++) {
                    memcpy(x[f], src + f * fs, sizeof(float) * nb);
                    for (int l = nb; l < WB; l++) x[f][l] = 0.0f;
                }
            for (int j = 0; j < 6; j++)
                for (int l = 0; l < WB; l++) {
                    float a = x[6 + j][l] + x[12 + j][l], b = x[6 + j][l] - x[12 + j][l];
                    float c = x[18 + j][l] + x[24 + j][l], e = x[18 + j][l] - x[24 + j][l];
                    t[0][j][l] = x[j][l] + a * (1.0f / 30) - c * (8.0f / 15);
                    t[1][j][l] = b * (1.0f / 15) - e * (4.0f / 15);
                    t[2][j][l] = (a - c) * (2.0f / 15) + x[30 + j][l];
                }
            for (int i = 0; i < 3; i++)
                for (int l = 0; l < WB; l++) {
                    float a = t[i][1][l] + t[i][2][l], b = t[i][1][l] - t[i][2][l];
                    float c = t[i][3][l] + t[i][4][l], e = t[i][3][l] - t[i][4][l];
                    g[3 * i + 0][l] = t[i][0][l] + a * (1.0f / 30) - c * (8.0f / 15);
                    g[3 * i + 1][l] = b * (1.0f / 15) - e * (4.0f / 15);
                    g[3 * i + 2][l] = (a - c) * (2.0f / 15) + t[i][5][l];
                }
            float *dst = dwt + ((size_t)co * cin + c0) * 9;
            for (int l = 0; l < nb; l++)
                for (int k = 0; k < 9; k++) dst[l * 9 + k] += g[k][l];
        }
    }
}

/* The data transforms run over "blocks": up to TB consecutive tiles of one channel of the
 * chunk. A block holds whole images (TB / tiles-per-image of them) or, when an image has more
 * than TB tiles, one image whose tiles are then taken TB at a time; so each (channel, image)
 * plane belongs to exactly one block, i.e. to one thread. The input transform and its
 * transpose work on zero-padded copies of the block's images, (4 th + 2) x (4 tw + 2) floats
 * each, in a scratch buffer laid out like the chunk (C, nc, padded plane); those are at most
 * 36 floats per tile, so a transform buffer holds them. */
typedef struct {
    int H, W, th, tw, PW;  /* PW: padded row length */
    size_t tpi, T;         /* tiles per image, tiles in the chunk */
    size_t plane, pplane;  /* H*W, padded plane */
    int per, nblk;         /* images per block, blocks per channel */
} tiling_t;

static tiling_t tiling(int H, int W, int nc)
{
    tiling_t g;
    g.H = H;
    g.W = W;
    g.th = (H + 3) / 4;
    g.tw = (W + 3) / 4;
    g.PW = 4 * g.tw + 2;
    g.tpi = (size_t)g.th * g.tw;
    g.T = (size_t)nc * g.tpi;
    g.plane = (size_t)H * W;
    g.pplane = (size_t)(4 * g.th + 2) * g.PW;
    g.per = g.tpi >= TB ? 1 : (int)(TB / g.tpi);
    g.nblk = (nc + g.per - 1) / g.per;
    return g;
}

/* A tile of the chunk: its image (in the chunk) and the top-left pixel of its 4x4 output
 * block (= the top-left of its 6x6 patch in the padded image). Tiles are visited in order, so
 * the position is stepped rather than divided out. */
typedef struct {
    int i, y, x;
} pos_t;

static pos_t pos_at(const tiling_t *g, size_t t)
{
    size_t r = t % g->tpi;
    pos_t p = {(int)(t / g->tpi), 4 * (int)(r / (size_t)g->tw), 4 * (int)(r % (size_t)g->tw)};
    return p;
}

static void pos_next(pos_t *p, const tiling_t *g)
{
    p->x += 4;
    if (p->x < g->W) return;
    p->x = 0;
    p->y += 4;
    if (p->y < g->H) return;
    p->y = 0;
    p->i++;
}

/* Block b of a chunk: its images i0..i1-1 and their tiles t0..te-1 (tile numbers in the chunk). */
typedef struct {
    int i0, i1;
    size_t t0, te;
} block_t;

/* One data transform over a chunk, images n0..n0+nc-1 of the N in src's or dst's (C, N, H, W):
 * the arrays it reads and writes (one of them in the transform domain, [f][c][t] with fs
 * floats per frequency), pad for the transforms that need padded images, and whether it adds
 * onto dst. */
typedef struct {
    tiling_t g;
    size_t fs;
    int N, n0, nc, accumulate;
    float *dst, *pad;
    const float *src;
} xform_t;

typedef void (*block_fn)(const xform_t *x, int c, block_t k);

/* Runs fn on every (channel, block) of the chunk, work-shared over the enclosing region. */
static void xform_run(block_fn fn, float *dst, float *pad, const float *src, int C, int N,
                      int H, int W, int n0, int nc, int accumulate)
{
    xform_t x = {.g = tiling(H, W, nc), .N = N, .n0 = n0, .nc = nc, .accumulate = accumulate,
                 .dst = dst, .pad = pad, .src = src};
    x.fs = (size_t)C * x.g.T;
#pragma omp for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < x.g.nblk; b++) {
            block_t k = {b * x.g.per, (b + 1) * x.g.per < nc ? (b + 1) * x.g.per : nc, 0, 0};
            k.t0 = (size_t)k.i0 * x.g.tpi;
            k.te = (size_t)k.i1 * x.g.tpi;
            fn(&x, c, k);
        }
    }
}

/* Tiles in the group starting at tile t0 of a block that ends at te. */
static inline int group_len(size_t t0, size_t te) { return te - t0 < TB ? (int)(te - t0) : TB; }

/* V[f][c][t] = (B^T d B)[f] for the 6x6 input patch of each tile of in (C, N, H, W); the patch
 * of the tile at output pixel (y, x) is rows y-1..y+4, columns x-1..x+4, zeros outside the
 * image. pad: scratch for the padded images (C x nc of them). */
static void in_block(const xform_t *x, int c, block_t k)
{
    const tiling_t *g = &x->g;
    const int H = g->H, W = g->W;
    float X[NF * TB], Y[NF * TB];
    float *pc = x->pad + (size_t)c * x->nc * g->pplane;
    for (int i = k.i0; i < k.i1; i++) {
        const float *src = x->src + ((size_t)c * x->N + x->n0 + i) * g->plane;
        float *dst = pc + (size_t)i * g->pplane;
        memset(dst, 0, sizeof(float) * (g->PW + 1));
        for (int y = 0; y < H; y++) {
            float *row = dst + (size_t)(y + 1) * g->PW + 1;
            memcpy(row, src + (size_t)y * W, sizeof(float) * W);
            memset(row + W, 0, sizeof(float) * (g->PW - W));  /* and the next row's left */
        }
        memset(dst + (size_t)(H + 1) * g->PW + 1, 0,
               sizeof(float) * (g->pplane - (size_t)(H + 1) * g->PW - 1));
    }
    for (size_t t0 = k.t0; t0 < k.te; t0 += TB) {
        const int n = group_len(t0, k.te);
        pos_t q = pos_at(g, t0);
        for (int l = 0; l < n; l++, pos_next(&q, g)) {
            const float *p = pc + (size_t)q.i * g->pplane + (size_t)q.y * g->PW + q.x;
            for (int r = 0; r < 6; r++, p += g->PW)
                for (int s = 0; s < 6; s++) X[(6 * r + s) * TB + l] = p[s];
        }
        for (int s = 0; s < 6; s++)  /* columns */
            pass_bt(Y + s * TB, 6 * TB, X + s * TB, 6 * TB, n);
        float *dst = x->dst + (size_t)c * g->T + t0;
        for (int a = 0; a < 6; a++)  /* rows, into V */
            pass_bt(dst + 6 * a * x->fs, x->fs, Y + 6 * a * TB, TB, n);
    }
}

/* dM[f][c][t] = (A dy A^T)[f] for the 4x4 output-gradient block of each tile of dout
 * (C, N, H, W), zeros past the border. */
static void grad_block(const xform_t *x, int c, block_t k)
{
    const tiling_t *g = &x->g;
    const int H = g->H, W = g->W;
    float X[16 * TB], Y[24 * TB];
    const float *src = x->src + ((size_t)c * x->N + x->n0) * g->plane;
    for (size_t t0 = k.t0; t0 < k.te; t0 += TB) {
        const int n = group_len(t0, k.te);
        pos_t q = pos_at(g, t0);
        for (int l = 0; l < n; l++, pos_next(&q, g)) {
            const float *row = src + (size_t)q.i * g->plane + (size_t)q.y * W + q.x;
            const int nr = H - q.y < 4 ? H - q.y : 4, ns = W - q.x < 4 ? W - q.x : 4;
            if (nr == 4 && ns == 4) {
                for (int r = 0; r < 4; r++, row += W)
                    for (int s = 0; s < 4; s++) X[(4 * r + s) * TB + l] = row[s];
                continue;
            }
            for (int j = 0; j < 16; j++) X[j * TB + l] = 0.0f;
            for (int r = 0; r < nr; r++, row += W)
                for (int s = 0; s < ns; s++) X[(4 * r + s) * TB + l] = row[s];
        }
        for (int s = 0; s < 4; s++)  /* columns */
            pass_a(Y + s * TB, 4 * TB, X + s * TB, 4 * TB, n);
        float *dst = x->dst + (size_t)c * g->T + t0;
        for (int a = 0; a < 6; a++)  /* rows, into D */
            pass_a(dst + 6 * a * x->fs, x->fs, Y + 4 * a * TB, TB, n);
    }
}

/* out (C, N, H, W): (=|+=) A^T m A of each tile of M[f][c][t] (the part of its 4x4 block
 * inside the image). */
static void out_block(const xform_t *x, int c, block_t k)
{
    const tiling_t *g = &x->g;
    const int H = g->H, W = g->W;
    float X[16 * TB], Y[24 * TB];
    float *dst = x->dst + ((size_t)c * x->N + x->n0) * g->plane;
    for (size_t t0 = k.t0; t0 < k.te; t0 += TB) {
        const int n = group_len(t0, k.te);
        const float *src = x->src + (size_t)c * g->T + t0;
        for (int j = 0; j < 6; j++)  /* columns, from M */
            pass_at(Y + j * TB, 6 * TB, src + j * x->fs, 6 * x->fs, n);
        for (int r = 0; r < 4; r++)  /* rows */
            pass_at(X + 4 * r * TB, TB, Y + 6 * r * TB, TB, n);
        pos_t q = pos_at(g, t0);
        for (int l = 0; l < n; l++, pos_next(&q, g)) {
            float *row = dst + (size_t)q.i * g->plane + (size_t)q.y * W + q.x;
            const int nr = H - q.y < 4 ? H - q.y : 4, ns = W - q.x < 4 ? W - q.x : 4;
            if (nr == 4 && ns == 4) {
                if (x->accumulate)
                    for (int r = 0; r < 4; r++, row += W)
                        for (int s = 0; s < 4; s++) row[s] += X[(4 * r + s) * TB + l];
                else
                    for (int r = 0; r < 4; r++, row += W)
                        for (int s = 0; s < 4; s++) row[s] = X[(4 * r + s) * TB + l];
                continue;
            }
            for (int r = 0; r < nr; r++, row += W) {
                if (x->accumulate)
                    for (int s = 0; s < ns; s++) row[s] += X[(4 * r + s) * TB + l];
                else
                    for (int s = 0; s < ns; s++) row[s] = X[(4 * r + s) * TB + l];
            }
        }
    }
}

/* din (C, N, H, W): (=|+=) the sum over tiles of B dV B^T, each 6x6 result added onto its
 * input patch (neighbouring patches overlap by 2): summed in zero-padded images in pad, whose
 * inside then goes to din. */
static void in_t_block(const xform_t *x, int c, block_t k)
{
    const tiling_t *g = &x->g;
    const int H = g->H, W = g->W;
    float X[NF * TB], Y[NF * TB];
    float *pc = x->pad + (size_t)c * x->nc * g->pplane;
    memset(pc + (size_t)k.i0 * g->pplane, 0, sizeof(float) * (k.i1 - k.i0) * g->pplane);
    for (size_t t0 = k.t0; t0 < k.te; t0 += TB) {
        const int n = group_len(t0, k.te);
        const float *src = x->src + (size_t)c * g->T + t0;
        for (int s = 0; s < 6; s++)  /* columns, from dV */
            pass_b(Y + s * TB, 6 * TB, src + s * x->fs, 6 * x->fs, n);
        for (int r = 0; r < 6; r++)  /* rows */
            pass_b(X + 6 * r * TB, TB, Y + 6 * r * TB, TB, n);
        pos_t q = pos_at(g, t0);
        for (int l = 0; l < n; l++, pos_next(&q, g)) {
            float *p = pc + (size_t)q.i * g->pplane + (size_t)q.y * g->PW + q.x;
            for (int r = 0; r < 6; r++, p += g->PW)
                for (int s = 0; s < 6; s++) p[s] += X[(6 * r + s) * TB + l];
        }
    }
    for (int i = k.i0; i < k.i1; i++) {
        float *dst = x->dst + ((size_t)c * x->N + x->n0 + i) * g->plane;
        const float *src = pc + (size_t)i * g->pplane + g->PW + 1;
        for (int y = 0; y < H; y++, dst += W, src += g->PW) {
            if (x->accumulate)
                for (int j = 0; j < W; j++) dst[j] += src[j];
            else
                memcpy(dst, src, sizeof(float) * W);
        }
    }
}

/* The calling thread's timer: only the region's master reads the clock (after the barriers
 * that end each work-shared phase). */
#define WTIME(t) ((t) && omp_get_thread_num() == 0 ? omp_get_wtime() : 0.0)

void conv_wino_forward(float *out, const float *in, const float *wt, const conv_dims_t *d,
                       float *ws, size_t cap, int accumulate, layer_time_t *t)
{
    const int cin = d->cin, cout = d->cout;
    const size_t tpi = wino_tiles(d);
    const size_t bufsz = wino_buf(d, cap);
    float *V = ws, *M = ws + bufsz, *U = ws + 2 * bufsz;
    const int chunk = conv_wino_chunk(d, cap), own = conv_wino_own_products();
#pragma omp parallel
    {
        double t0 = WTIME(t);
        wt_transform(U, wt, cout, cin);
        double t1 = WTIME(t), tin = 0, tg = 0, tout = 0;
        for (int n0 = 0; n0 < d->n; n0 += chunk) {
            int nc = d->n - n0 < chunk ? d->n - n0 : chunk;
            int T = (int)(nc * tpi);
            double c0 = WTIME(t);
            xform_run(in_block, V, M, in, cin, d->n, d->h, d->w, n0, nc, 0);  /* M: free until the GEMMs */
            double c1 = WTIME(t);
#pragma omp for schedule(static)
            for (int f = 0; f < NF; f++) {
                const float *Uf = U + (size_t)f * cout * cin, *Vf = V + (size_t)f * cin * T;
                float *Mf = M + (size_t)f * cout * T;
                if (own)
                    wgemm_nn(cout, T, cin, Uf, cin, 1, Vf, T, Mf, T, 0);
                else
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, T, cin, 1.0f, Uf,
                                cin, Vf, T, 0.0f, Mf, T);
            }
            double c2 = WTIME(t);
            xform_run(out_block, out, NULL, M, cout, d->n, d->h, d->w, n0, nc, accumulate);
            double c3 = WTIME(t);
            tin += c1 - c0, tg += c2 - c1, tout += c3 - c2;
        }
        if (t && omp_get_thread_num() == 0) {
            t->other += t1 - t0;
            t->im2col += tin;
            t->gemm += tg;
            t->col2im += tout;
        }
    }
}

void conv_wino_backward(float *din, float *dwt, const float *dout, const float *in,
                        const float *wt, const conv_dims_t *d, float *ws, size_t cap,
                        int accumulate, layer_time_t *t)
{
    const int cin = d->cin, cout = d->cout;
    const size_t tpi = wino_tiles(d);
    const size_t bufsz = wino_buf(d, cap);
    const size_t fw = (size_t)cout * cin;
    float *V = ws, *D = ws + bufsz, *U = ws + 2 * bufsz, *dU = U + NF * fw;
    const int chunk = conv_wino_chunk(d, cap), own = conv_wino_own_products();
#pragma omp parallel
    {
        double t0 = WTIME(t);
        if (din) wt_transform(U, wt, cout, cin);
        double t1 = WTIME(t), tin = 0, tg = 0, tout = 0;
        for (int n0 = 0; n0 < d->n; n0 += chunk) {
            int nc = d->n - n0 < chunk ? d->n - n0 : chunk;
            int T = (int)(nc * tpi);
            double c0 = WTIME(t);
            if (dwt) xform_run(in_block, V, D, in, cin, d->n, d->h, d->w, n0, nc, 0);  /* D: not yet written */
            xform_run(grad_block, D, NULL, dout, cout, d->n, d->h, d->w, n0, nc, 0);
            double c1 = WTIME(t);
            /* Both GEMMs of a frequency on one thread: dU[f] reads D[f] and V[f], then dV[f]
             * overwrites V[f] (V is free again: dV goes there). */
#pragma omp for schedule(static)
            for (int f = 0; f < NF; f++) {
                const float *Df = D + (size_t)f * cout * T;
                float *Vf = V + (size_t)f * cin * T;
                if (dwt && own)
                    wgemm_nt(cout, cin, T, Df, T, Vf, T, dU + f * fw, cin, n0 != 0);
                else if (dwt)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cout, cin, T, 1.0f, Df, T,
                                Vf, T, n0 == 0 ? 0.0f : 1.0f, dU + f * fw, cin);
                if (din && own)
                    wgemm_nn(cin, T, cout, U + f * fw, 1, cin, Df, T, Vf, T, 0);
                else if (din)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cin, T, cout, 1.0f,
                                U + f * fw, cin, Df, T, 0.0f, Vf, T);
            }
            double c2 = WTIME(t);
            /* dM has been used by both GEMMs: D holds the padded sums now. */
            if (din) xform_run(in_t_block, din, D, V, cin, d->n, d->h, d->w, n0, nc, accumulate);
            double c3 = WTIME(t);
            tin += c1 - c0, tg += c2 - c1, tout += c3 - c2;
        }
        double t2 = WTIME(t);
        if (dwt) wt_grad_transform(dwt, dU, cout, cin);
        if (t && omp_get_thread_num() == 0) {
            t->other += t1 - t0 + WTIME(t) - t2;
            t->im2col += tin;
            t->gemm += tg;
            t->col2im += tout;
        }
    }
}
