#include "mix/gauss.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Marsaglia & Tsang's constants for 256 layers: r is the start of the tail, v the area of
 * each layer (base strip plus tail included). */
#define ZIG_R 3.6541528853610088
#define ZIG_V 4.92867323399e-3

void mix_gauss_init(mix_gauss_t *g)
{
    double fr = exp(-0.5 * ZIG_R * ZIG_R);
    g->x[0] = ZIG_V / fr;
    g->x[1] = ZIG_R;
    for (int i = 1; i < MIX_ZIG_N - 1; i++)
        g->x[i + 1] = sqrt(-2.0 * log(ZIG_V / g->x[i] + exp(-0.5 * g->x[i] * g->x[i])));
    g->x[MIX_ZIG_N] = 0.0; /* the top layer ends at the peak; the recurrence rounds near 0 */
    for (int i = 0; i <= MIX_ZIG_N; i++) g->f[i] = exp(-0.5 * g->x[i] * g->x[i]);
    for (int i = 0; i < MIX_ZIG_N; i++) {
        g->xs[i] = (float)(g->x[i] * 0x1.0p-31);
        g->xn[i] = (float)g->x[i + 1];
    }
}

static double open_uniform(rng_t *r)
{
    /* (0, 1]: safe under log(). */
    return ((double)(rng_u64(r) >> 11) + 1.0) * 0x1.0p-53;
}

/* The rest of one ziggurat attempt whose point u * x[i] (u in [-1, 1)) failed the fast
 * test: a tail draw for the base layer, else the wedge test between the layer's rectangle
 * and the curve. Returns 1 and sets *out on acceptance, 0 when the attempt is rejected. */
static int slow_path(const mix_gauss_t *g, rng_t *r, int i, double u, double *out)
{
    if (i == 0) {
        /* tail beyond r: Marsaglia's exponential rejection */
        double a, e;
        do {
            a = -log(open_uniform(r)) / ZIG_R;
            e = -log(open_uniform(r));
        } while (e + e < a * a);
        *out = u < 0 ? -(ZIG_R + a) : ZIG_R + a;
        return 1;
    }
    double z = u * g->x[i];
    double y = g->f[i] + rng_uniform(r) * (g->f[i + 1] - g->f[i]);
    *out = z;
    return y < exp(-0.5 * z * z);
}

double mix_gauss(const mix_gauss_t *g, rng_t *r)
{
    for (;;) {
        uint64_t b = rng_u64(r);
        int i = (int)(b & (MIX_ZIG_N - 1));
        /* bits 11..63 give a uniform in [-1, 1), independent of the layer bits 0..7 */
        double u = (double)(b >> 11) * 0x1.0p-52 - 1.0;
        double z = u * g->x[i];
        if (fabs(z) < g->x[i + 1] || slow_path(g, r, i, u, &z)) return z;
    }
}

/* z[2j + h] <- the fast-path value of half h (low, high) of word w[j], bad[2j + h] <- 1 where
 * it needs the slow path. restrict: the table gathers need no alias check, so the loop
 * vectorises (16 lanes). */
static void fast_path(const float *restrict xs, const float *restrict xn, const uint64_t *restrict w,
                      float *restrict z, unsigned char *restrict bad, int m)
{
    for (int j = 0; j < m; j++)
        for (int half = 0; half < 2; half++) {
            uint32_t h = (uint32_t)(w[j] >> (32 * half));
            int i = (int)(h & (MIX_ZIG_N - 1));
            /* bits 8..31 as a signed integer: exact in a float (23 bits and the sign) */
            float v = (float)(int32_t)(h & 0xFFFFFF00u) * xs[i];
            z[2 * j + half] = v;
            bad[2 * j + half] = !(fabsf(v) < xn[i]);
        }
}

void mix_gauss_fill(const mix_gauss_t *g, rng_t *r, float *out, int n)
{
    /* Blocks of words: the fast path for every half-word in one branch-free loop the
     * compiler vectorises (float tables, so 16 lanes), then the ~1.5% whose point fell
     * outside its layer's inner rectangle finish their attempt through the slow path; a
     * rejected attempt is replaced by a whole new one (mix_gauss). Every slot thus holds
     * the first accepted attempt of its own sequence of independent attempts: an exact
     * ziggurat draw. Slow-path words come after the block's words in the stream. */
    enum { B = 256 };
    uint64_t w[B];
    float z[2 * B];
    unsigned char bad[2 * B];
    for (int k = 0; k < n;) {
        int m = (n - k + 1) / 2 < B ? (n - k + 1) / 2 : B; /* words */
        int cnt = n - k < 2 * m ? n - k : 2 * m;            /* draws out of them */
        for (int j = 0; j < m; j++) w[j] = rng_u64(r);
        fast_path(g->xs, g->xn, w, z, bad, m);
        /* the rejects, found 8 flags (bytes of 0 or 1) at a time; none past cnt (the byte
         * index ctz / 8 assumes a little-endian word, as on every target of -march=native
         * AVX code here: x86-64) */
        for (int j = cnt; j % 8; j++) bad[j] = 0;
        for (int j0 = 0; j0 < cnt; j0 += 8) {
            uint64_t any;
            memcpy(&any, bad + j0, sizeof any);
            for (; any; any &= any - 1) {
                int j = j0 + __builtin_ctzll(any) / 8;
                uint32_t h = (uint32_t)(w[j / 2] >> (32 * (j % 2)));
                double v;
                if (!slow_path(g, r, (int)(h & (MIX_ZIG_N - 1)),
                               (double)(int32_t)(h & 0xFFFFFF00u) * 0x1.0p-31, &v))
                    v = mix_gauss(g, r);
                z[j] = (float)v;
            }
        }
        memcpy(out + k, z, (size_t)cnt * sizeof *z);
        k += cnt;
    }
}
