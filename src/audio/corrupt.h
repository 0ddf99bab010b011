/* corrupt.h: waveform corruptions for robustness evaluation (speechtrain robust).
 *
 * Speech has no standard corrupted test set like CIFAR-10-C, so these are applied to the
 * waveform before the front end, each at 5 severities (1 = mild .. 5 = severe). The
 * parameter of each severity (corrupt_level) is:
 *   noise_snr  background noise from the split's _background_noise_ (a random 1 s window of
 *              the concatenated files) added at SNR 20, 15, 10, 5, 0 dB
 *   white_snr  white Gaussian noise added at SNR 20, 15, 10, 5, 0 dB
 *   clipping   hard clipping at 0.5, 0.3, 0.2, 0.1, 0.05 of the clip's peak
 *   lowpass    low-pass FIR (windowed sinc, 255 taps, Hamming, zero phase) cut at
 *              4000, 3000, 2000, 1000, 500 Hz
 *   reverb     a synthetic room: direct path plus an exponentially decaying Gaussian tail of
 *              equal energy (direct-to-reverberant ratio 0 dB), RT60 0.1, 0.2, 0.3, 0.5, 0.8 s;
 *              output rescaled to the input's RMS
 *   gain       attenuation by 20, 30, 40, 50, 60 dB followed by 16-bit requantisation
 *              (the front end's ref=max dB scale cancels a pure gain, so what a quiet
 *              recording loses is its resolution)
 *   speed      speed and pitch up by a factor 1.1, 1.2, 1.3, 1.4, 1.5 (linear-interpolation
 *              resampling, the training augmentation's rule), zero-padded to the clip length
 * SNR = 10 log10(sum clip^2 / sum added^2) over the whole clip; a clip that is all zeros gets
 * no noise (its SNR is undefined).
 * All randomness comes from the caller's rng_t (per-item rng_derive streams give the same
 * result on any thread count). Functions are thread-safe.
 */
#ifndef ST_CORRUPT_H
#define ST_CORRUPT_H

#include "common/rng.h"

enum {
    CORRUPT_NOISE, CORRUPT_WHITE, CORRUPT_CLIPPING, CORRUPT_LOWPASS, CORRUPT_REVERB,
    CORRUPT_GAIN, CORRUPT_SPEED, CORRUPT_N
};
#define CORRUPT_SEVERITIES 5

/* "noise_snr", "white_snr", "clipping", "lowpass", "reverb", "gain", "speed". */
const char *corrupt_name(int kind);
/* The parameter of a severity 1..5 (dB, fraction of peak, Hz, seconds, dB, factor). */
double corrupt_level(int kind, int severity);
/* Its unit, e.g. "dB SNR". */
const char *corrupt_unit(int kind);

/* Applies corruption `kind` at `severity` (1..5) to clip (n samples at rate Hz) in place.
 * noise/noise_len: the background noise (needed by CORRUPT_NOISE only; at least n samples).
 * Returns 0, or -1 with err on a bad argument, missing noise or out of memory (clip is then
 * unchanged). */
int corrupt_apply(int kind, int severity, float *clip, int n, int rate, const float *noise,
                  long noise_len, rng_t *r, char *err);

/* The building blocks, for tests and tools. */
/* clip += g * add with g such that the SNR is snr_db; no-op when either is all zeros. */
void corrupt_add_snr(float *clip, const float *add, int n, double snr_db);
/* Clamps to +-frac * max|clip|. */
void corrupt_clip(float *clip, int n, double frac);
/* Windowed-sinc low-pass with taps (odd) coefficients h[j] = sinc(2 fc (j - c)) * hamming,
 * normalised to sum 1, c = (taps-1)/2, fc = cutoff/rate; out = np.convolve(x, h, 'same').
 * Returns -1 on out of memory. */
int corrupt_lowpass(float *clip, int n, double cutoff_hz, int rate, int taps);
/* The impulse response (len = ceil(rt60 * rate) + 1 samples): h[0] = 1 and
 * h[t] = a * N(0,1) * 10^(-3 t / (rt60 rate)) for t >= 1, a making the tail energy 1. */
int corrupt_reverb_len(double rt60, int rate);
void corrupt_reverb_ir(float *h, int len, double rt60, int rate, rng_t *r);
/* clip <- (clip * h)[0..n) (full linear convolution, truncated), rescaled to the input RMS.
 * FFT convolution; -1 on out of memory. */
int corrupt_convolve(float *clip, int n, const float *h, int len);
/* clip <- round(clip * 10^(db/20) * 32768) / 32768, clamped to the 16-bit range. */
void corrupt_gain(float *clip, int n, double db);

#endif
