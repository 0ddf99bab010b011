/* augment.h: training-time waveform augmentation (docs/reference.md §3).
 *
 * Each enabled transform fires with probability prob (0.5), in this order:
 * amplitude x U(amp_lo, amp_hi); speed/pitch change by linear-interpolation resampling
 * with scale U(-speed_max, speed_max) (the tugstugi/np.interp rule, length fixed back to
 * the clip); time shift by a uniform integer in [-shift_ms, +shift_ms] with zero fill;
 * background noise x*(1-p) + noise*p with p ~ U(0, noise_max).
 * All randomness comes from the caller's rng_t, so a per-item rng_derive() stream gives
 * the same result on any thread count.
 */
#ifndef ST_AUGMENT_H
#define ST_AUGMENT_H

#include "common/rng.h"

typedef struct {
    int amplitude, speed, shift, noise;  /* switches, 1 = on */
    double prob;                         /* probability of each transform, 0.5 */
    double amp_lo, amp_hi;               /* 0.7, 1.1 */
    double speed_max;                    /* 0.2 */
    double shift_ms;                     /* 100 */
    double noise_max;                    /* 0.45 */
} aug_config_t;

void aug_config_default(aug_config_t *a);

/* Augments clip (n samples at sample_rate) in place. noise (noise_len samples, may be
 * NULL/0 to skip the noise transform) is the concatenated background noise; a window of n
 * samples at a random offset is mixed in. work must hold n floats. */
void aug_apply(const aug_config_t *a, rng_t *r, float *clip, int n, int sample_rate,
               const float *noise, long noise_len, float *work);

/* Speed/pitch change, tugstugi's rule: with step = 1/(1+scale),
 * y = np.interp(np.arange(0, n, step), np.arange(n), in) (positions past n-1 take in[n-1]),
 * then fixed to n samples (zero-padded at the end or truncated) into out. scale > -1. */
void aug_speed(const float *in, int n, double scale, float *out);
/* Shifts x by s samples (out[t] = x[t - s]), zero fill. */
void aug_shift(float *x, int n, int s);

#endif
