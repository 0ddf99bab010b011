/* gauss.h (internal): fast standard normal draws for the FMix spectrum.
 *
 * A 256-layer ziggurat (Marsaglia & Tsang 2000): half a 64-bit draw and one comparison for
 * about 98.5% of samples, so the ~H*W normals of an FMix spectrum cost less than the FFT.
 * The tables live in the caller's struct (no globals); randomness comes from an rng_t.
 */
#ifndef ST_MIX_GAUSS_H
#define ST_MIX_GAUSS_H

#include "common/rng.h"

#define MIX_ZIG_N 256

typedef struct {
    double x[MIX_ZIG_N + 1]; /* layer right edges, x[0] the base strip's virtual width */
    double f[MIX_ZIG_N + 1]; /* exp(-x^2/2) at the edges */
    float xs[MIX_ZIG_N];     /* x[i] / 2^31: scales a 32-bit signed integer into layer i */
    float xn[MIX_ZIG_N];     /* x[i + 1]: the fast path accepts |z| < xn[i] */
} mix_gauss_t;

void mix_gauss_init(mix_gauss_t *g);
/* One N(0, 1) draw. */
double mix_gauss(const mix_gauss_t *g, rng_t *r);
/* out[0..n) <- N(0, 1) draws as floats, two per 64-bit draw on the fast path (layer from 8
 * bits, a 24-bit uniform from the rest): float resolution is all an FFT in float uses.
 * The words are not drawn in the order mix_gauss would use them. */
void mix_gauss_fill(const mix_gauss_t *g, rng_t *r, float *out, int n);

#endif
