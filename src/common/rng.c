#include "common/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}


void rng_init(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

void rng_derive(rng_t *r, uint64_t seed, uint64_t a, uint64_t b)
{
    /* Hash the triple through splitmix so nearby (a, b) give unrelated states. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ a;
    h = splitmix64(&x);
    x = h ^ b;
    rng_init(r, splitmix64(&x));
}

double rng_uniform(rng_t *r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }

double rng_range(rng_t *r, double lo, double hi) { return lo + (hi - lo) * rng_uniform(r); }

uint64_t rng_below(rng_t *r, uint64_t n)
{
    /* Lemire's multiply-shift with rejection of the biased low range. */
    uint64_t x = rng_u64(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = rng_u64(r);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double rng_normal(rng_t *r)
{
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(r) - 1.0;
        v = 2.0 * rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

double rng_gamma(rng_t *r, double shape)
{
    if (shape < 1.0) {
        /* Gamma(a) = Gamma(a+1) * U^(1/a); keeps the Marsaglia-Tsang acceptance valid. */
        double g = rng_gamma(r, shape + 1.0);
        double u;
        do u = rng_uniform(r); while (u == 0.0);
        return g * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (u > 0.0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* log of a Gamma(shape) draw, split as lg + log(u)/shape for shape < 1 so that the boost
 * term, which underflows exp() for tiny shapes, is kept in logs. */
static double gamma_log_part(rng_t *r, double shape, double *lu)
{
    if (shape >= 1.0) {
        *lu = 0.0;
        return log(rng_gamma(r, shape));
    }
    double g = rng_gamma(r, shape + 1.0), u;
    do u = rng_uniform(r); while (u == 0.0);
    *lu = log(u);
    return log(g);
}

double rng_beta(rng_t *r, double a, double b)
{
    if (a >= 1.0 && b >= 1.0) {
        double x = rng_gamma(r, a), y = rng_gamma(r, b); /* both > 0 for shape >= 1 */
        return x / (x + y);
    }
    /* x / (x + y) = 1 / (1 + exp(log y - log x)), computed in logs: for small shapes both
     * gammas underflow to 0 (alpha 1e-30 gives 0/0 on every draw), their logs do not. */
    for (;;) {
        double lux, luy;
        double lgx = gamma_log_part(r, a, &lux), lgy = gamma_log_part(r, b, &luy);
        double bx = a < 1.0 ? lux / a : 0.0, by = b < 1.0 ? luy / b : 0.0, d;
        if (a == b)
            d = (lgy - lgx) + (luy - lux) / a;
        else if (isinf(bx) && isinf(by)) {
            /* Both boosts overflow: the one of larger magnitude dominates. */
            double mx = log(-lux) - log(a), my = log(-luy) - log(b);
            if (mx == my) continue;
            d = my > mx ? -INFINITY : INFINITY;
        } else
            d = (lgy - lgx) + (by - bx);
        if (isnan(d)) continue;
        return 1.0 / (1.0 + exp(d));
    }
}

void rng_shuffle(rng_t *r, int *a, int n)
{
    /* Fisher-Yates with Lemire's multiply-shift on 32-bit halves: every bound fits 32 bits,
     * so one 64-bit word serves two draws (a mixed batch shuffles on every step: this is
     * 3x faster than rng_below per draw). Rejection keeps each draw exactly uniform. */
    uint64_t w = 0;
    int have = 0;
    for (int i = n - 1; i > 0; i--) {
        uint32_t bound = (uint32_t)i + 1, l;
        uint64_t m;
        do {
            if (!have) {
                w = rng_u64(r);
                have = 2;
            }
            m = (uint64_t)(uint32_t)(w >> (32 * --have)) * bound;
            l = (uint32_t)m;
        } while (l < bound && l < (uint32_t)-bound % bound);
        int j = (int)(m >> 32);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void rng_permutation(rng_t *r, int *perm, int n)
{
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(r, perm, n);
}
