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

/* The slow path for layer i and uniform u in [-1, 1): the tail or a wedge. Returns 1 and
 * sets *z when the point is accepted. */
static int slow(const mix_gauss_t *g, rng_t *r, int i, double u, double *out)
{
    double z = u * g->x[i];
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
    /* wedge between the layer's rectangle and the curve */
    double y = g->f[i] + rng_uniform(r) * (g->f[i + 1] - g->f[i]);
    *out = z;
    return y < exp(-0.5 * z * z);
}

/* One draw from a 32-bit word: layer in bits 0..6, a signed uniform from bits 7..31. */
static inline int from_word(const mix_gauss_t *g, rng_t *r, uint32_t w, double *out)
{
    int i = (int)(w & (MIX_ZIG_N - 1));
    double u = (double)(int32_t)(w & 0xFFFFFF80u) * 0x1.0p-31;
    double z = u * g->x[i];
    if (fabs(z) < g->x[i + 1]) {
        *out = z;
        return 1;
    }
    return slow(g, r, i, u, out);
}

void mix_gauss_fill(const mix_gauss_t *g, rng_t *r, float *out, int n)
{
    int k = 0;
    double z;
    while (k < n) {
        uint64_t b = rng_u64(r);
        if (from_word(g, r, (uint32_t)b, &z)) out[k++] = (float)z;
        if (k < n && from_word(g, r, (uint32_t)(b >> 32), &z)) out[k++] = (float)z;
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
