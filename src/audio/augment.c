/* augment.c: training-time waveform transforms (tugstugi's speech pipeline). */
#include "audio/augment.h"

#include <math.h>
#include <string.h>

void aug_config_default(aug_config_t *a)
{
    *a = (aug_config_t){.amplitude = 1, .speed = 1, .shift = 1, .noise = 1, .prob = 0.5,
                        .amp_lo = 0.7, .amp_hi = 1.1, .speed_max = 0.2, .shift_ms = 100.0,
                        .noise_max = 0.45};
}

void aug_speed(const float *in, int n, double scale, float *out)
{
    /* np.arange(0, n, step) has ceil(n/step) points at k*step; np.interp clamps positions
     * past the last sample to in[n-1]. */
    const double step = 1.0 / (1.0 + scale);
    long count = (long)ceil(n / step);
    if (count > n) count = n;
    for (long k = 0; k < count; k++) {
        double pos = k * step;
        long i = (long)pos;
        if (i >= n - 1) {
            out[k] = in[n - 1];
            continue;
        }
        double f = pos - i;
        out[k] = (float)(in[i] + (in[i + 1] - (double)in[i]) * f);
    }
    for (long k = count; k < n; k++) out[k] = 0.0f;
}

void aug_shift(float *x, int n, int s)
{
    if (s >= n || s <= -n) {
        memset(x, 0, (size_t)n * sizeof *x);
    } else if (s > 0) {
        memmove(x + s, x, (size_t)(n - s) * sizeof *x);
        memset(x, 0, (size_t)s * sizeof *x);
    } else if (s < 0) {
        memmove(x, x - s, (size_t)(n + s) * sizeof *x);
        memset(x + n + s, 0, (size_t)(-s) * sizeof *x);
    }
}

void aug_apply(const aug_config_t *a, rng_t *r, float *clip, int n, int sample_rate,
               const float *noise, long noise_len, float *work)
{
    /* Every draw is made whether or not the transform fires, so switching one transform off
     * does not change the random numbers the others see. */
    double u_amp = rng_uniform(r), amp = rng_range(r, a->amp_lo, a->amp_hi);
    double u_speed = rng_uniform(r), scale = rng_range(r, -a->speed_max, a->speed_max);
    int max_shift = (int)(a->shift_ms * sample_rate / 1000.0);
    double u_shift = rng_uniform(r);
    int shift = (int)rng_below(r, 2 * (uint64_t)max_shift + 1) - max_shift;
    double u_noise = rng_uniform(r), pct = rng_range(r, 0.0, a->noise_max);
    uint64_t off = noise_len > n ? rng_below(r, (uint64_t)(noise_len - n + 1)) : 0;

    if (a->amplitude && u_amp < a->prob)
        for (int i = 0; i < n; i++) clip[i] = (float)(clip[i] * amp);
    if (a->speed && u_speed < a->prob && scale > -1.0) {
        aug_speed(clip, n, scale, work);
        memcpy(clip, work, (size_t)n * sizeof *clip);
    }
    if (a->shift && u_shift < a->prob && shift) aug_shift(clip, n, shift);
    if (a->noise && u_noise < a->prob && noise && noise_len >= n) {
        const float *w = noise + off;
        for (int i = 0; i < n; i++) clip[i] = (float)(clip[i] * (1.0 - pct) + w[i] * pct);
    }
}
