/* rng.h: the project's one random number generator.
 *
 * xoshiro256** seeded through splitmix64. All state is in the caller's rng_t: there is no
 * hidden global, so the same seed gives the same stream on every run and thread count.
 * For parallel loops, derive an independent generator per item with rng_derive() instead
 * of sharing one generator between threads.
 */
#ifndef ST_RNG_H
#define ST_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_t;

/* Seeds the generator; every seed, 0 included, gives a valid state. */
void rng_init(rng_t *r, uint64_t seed);
/* A generator for item (a, b) of a run seeded with seed, independent of the others. */
void rng_derive(rng_t *r, uint64_t seed, uint64_t a, uint64_t b);

/* The next 64 random bits. Inline: hot loops (mix/gauss.c) draw millions of words. */
static inline uint64_t rng_u64(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(rng_t *r);
/* Uniform in [lo, hi). */
double rng_range(rng_t *r, double lo, double hi);
/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t rng_below(rng_t *r, uint64_t n);
/* Standard normal (Marsaglia polar method, no cached second value). */
double rng_normal(rng_t *r);
/* Gamma(shape, 1) for shape > 0 (Marsaglia-Tsang; shape < 1 via the U^(1/shape) boost). */
double rng_gamma(rng_t *r, double shape);
/* Beta(a, b) for a, b > 0, as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
double rng_beta(rng_t *r, double a, double b);
/* perm <- a uniformly random permutation of 0..n-1 (Fisher-Yates). */
void rng_permutation(rng_t *r, int *perm, int n);
/* Shuffles an existing array of n ints in place. */
void rng_shuffle(rng_t *r, int *a, int n);

#endif
