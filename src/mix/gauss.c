#include "mix/gauss.h"

#include <math.h>
#include <stdint.h>

/* Marsaglia & Tsang's constants for 128 layers: r is the start of the tail, v the area of
 * each layer (base strip plus tail included). */
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

void mix_gauss_init(mix_gauss_t *g)
{
    double fr = exp(-0.5 * ZIG_R * ZIG_R);
    g->x[0] = ZIG_V / fr;
    g->x[1] = ZIG_R;
    for (int i = 1; i < MIX_ZIG_N - 1; i++)
        g->x[i + 1] = sqrt(-2.0 * log(ZIG_V / g->x[i] + exp(-0.5 * g->x[i] * g->x[i])));
    g->x[MIX_ZIG_N] = 0.0; /* the top layer ends at the peak; the recurrence rounds near 0 */
    for (int i = 0; i <= MIX_ZIG_N; i++) g->f[i] = exp(-0.5 * g->x[i] * g->x[i]);
}

static double open_uniform(rng_t *r)
{
    /* (0, 1]: safe under log(). */
    return ((double)(rng_u64(r) >> 11) + 1.0) * 0x1.0p-53;
}

/* The words of one mix_gauss_fill block: drawn ahead from r, then handed out in order;
 * past the block, straight from r. Every word drawn ahead is handed out before the block
 * ends (a block holds no more words than the normals still wanted need), so the stream is
 * word for word the one a draw-as-you-go loop would use. */
typedef struct {
    const uint64_t *w;
    int pos, len;
    rng_t *r;
} stream_t;

static inline uint64_t stream_u64(stream_t *st)
{
    return st->pos < st->len ? st->w[st->pos++] : rng_u64(st->r);
}

/* The slow path for layer i and uniform u in [-1, 1) (the tail or a wedge), drawing from
 * the stream as rng_uniform / open_uniform would. Returns 1 and sets *out on acceptance. */
static int slow_stream(const mix_gauss_t *g, stream_t *st, int i, double u, double *out)
{
    double z = u * g->x[i];
    if (i == 0) {
        double a, e;
        do {
            a = -log(((double)(stream_u64(st) >> 11) + 1.0) * 0x1.0p-53) / ZIG_R;
            e = -log(((double)(stream_u64(st) >> 11) + 1.0) * 0x1.0p-53);
        } while (e + e < a * a);
        *out = u < 0 ? -(ZIG_R + a) : ZIG_R + a;
        return 1;
    }
    double y = g->f[i] + (double)(stream_u64(st) >> 11) * 0x1.0p-53 * (g->f[i + 1] - g->f[i]);
    *out = z;
    return y < exp(-0.5 * z * z);
}

void mix_gauss_fill(const mix_gauss_t *g, rng_t *r, float *out, int n)
{
    /* Blocks: draw the words, run the fast path (one word half = layer in bits 0..6, a
     * signed uniform in bits 7..31) for all of them in a branch-free loop, then walk them
     * in order, sending the ~1% rejects through the slow path. Same draws, same values as
     * testing each half as it comes. */
    enum { B = 128 };
    uint64_t w[B];
    float z[2 * B];
    unsigned char ok[2 * B];
    int k = 0;
    while (k < n) {
        int m = (n - k + 1) / 2;
        if (m > B) m = B;
        for (int j = 0; j < m; j++) w[j] = rng_u64(r);
        for (int j = 0; j < 2 * m; j++) {
            uint32_t h = (uint32_t)(w[j >> 1] >> (32 * (j & 1)));
            int i = (int)(h & (MIX_ZIG_N - 1));
            double zz = (double)(int32_t)(h & 0xFFFFFF80u) * 0x1.0p-31 * g->x[i];
            z[j] = (float)zz;
            ok[j] = fabs(zz) < g->x[i + 1];
        }
        stream_t st = {w, 0, m, r};
        while (st.pos < m && k < n) {
            int wd = st.pos++;
            for (int half = 0; half < 2 && k < n; half++) {
                int j = 2 * wd + half;
                if (ok[j]) {
                    out[k++] = z[j];
                    continue;
                }
                uint32_t h = (uint32_t)(w[wd] >> (32 * half));
                double u = (double)(int32_t)(h & 0xFFFFFF80u) * 0x1.0p-31, v;
                if (slow_stream(g, &st, (int)(h & (MIX_ZIG_N - 1)), u, &v)) out[k++] = (float)v;
            }
        }
    }
}

double mix_gauss(const mix_gauss_t *g, rng_t *r)
{
    for (;;) {
        uint64_t b = rng_u64(r);
        int i = (int)(b & (MIX_ZIG_N - 1));
        /* bits 11..63 give a uniform in [-1, 1), independent of the layer bits 0..6 */
        double u = (double)(b >> 11) * 0x1.0p-52 - 1.0;
        double z = u * g->x[i];
        if (fabs(z) < g->x[i + 1]) return z;
        if (i == 0) {
            /* tail beyond r: Marsaglia's exponential rejection */
            double a, e;
            do {
                a = -log(open_uniform(r)) / ZIG_R;
                e = -log(open_uniform(r));
            } while (e + e < a * a);
            return u < 0 ? -(ZIG_R + a) : ZIG_R + a;
        }
        /* wedge between the layer's rectangle and the curve */
        double y = g->f[i] + rng_uniform(r) * (g->f[i + 1] - g->f[i]);
        if (y < exp(-0.5 * z * z)) return z;
    }
}
