/* corrupt.c: the waveform corruptions of corrupt.h. */
#include "audio/corrupt.h"

#include "audio/augment.h"
#include "audio/fft.h"
#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOWPASS_TAPS 255

static const char *const names[CORRUPT_N] = {"noise_snr", "white_snr", "clipping", "lowpass",
                                             "reverb", "gain", "speed"};
static const char *const units[CORRUPT_N] = {"dB SNR", "dB SNR", "x peak", "Hz cutoff",
                                             "s RT60", "dB gain", "x speed"};
static const double levels[CORRUPT_N][CORRUPT_SEVERITIES] = {
    {20, 15, 10, 5, 0},
    {20, 15, 10, 5, 0},
    {0.5, 0.3, 0.2, 0.1, 0.05},
    {4000, 3000, 2000, 1000, 500},
    {0.1, 0.2, 0.3, 0.5, 0.8},
    {-20, -30, -40, -50, -60},
    {1.1, 1.2, 1.3, 1.4, 1.5},
};

const char *corrupt_name(int kind) { return kind >= 0 && kind < CORRUPT_N ? names[kind] : "?"; }
const char *corrupt_unit(int kind) { return kind >= 0 && kind < CORRUPT_N ? units[kind] : "?"; }

double corrupt_level(int kind, int severity)
{
    if (kind < 0 || kind >= CORRUPT_N || severity < 1 || severity > CORRUPT_SEVERITIES) return NAN;
    return levels[kind][severity - 1];
}

static double energy(const float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

void corrupt_add_snr(float *clip, const float *add, int n, double snr_db)
{
    double px = energy(clip, n), pa = energy(add, n);
    if (px <= 0 || pa <= 0) return;
    double g = sqrt(px / (pa * pow(10.0, snr_db / 10.0)));
    for (int i = 0; i < n; i++) clip[i] = (float)(clip[i] + g * add[i]);
}

void corrupt_clip(float *clip, int n, double frac)
{
    float peak = 0;
    for (int i = 0; i < n; i++) peak = fmaxf(peak, fabsf(clip[i]));
    float t = (float)(frac * peak);
    for (int i = 0; i < n; i++) clip[i] = clip[i] > t ? t : clip[i] < -t ? -t : clip[i];
}

int corrupt_lowpass(float *clip, int n, double cutoff_hz, int rate, int taps)
{
    if (taps < 1 || taps % 2 == 0) return -1;
    double *h = malloc((size_t)taps * sizeof *h);
    float *x = malloc((size_t)n * sizeof *x);
    if (!h || !x) {
        free(h), free(x);
        return -1;
    }
    const int c = (taps - 1) / 2;
    const double fc = cutoff_hz / rate;
    double sum = 0;
    for (int j = 0; j < taps; j++) {
        double t = j - c, s = t == 0 ? 1.0 : sin(2 * M_PI * fc * t) / (2 * M_PI * fc * t);
        double w = taps > 1 ? 0.54 - 0.46 * cos(2 * M_PI * j / (taps - 1)) : 1.0;
        h[j] = s * w;
        sum += h[j];
    }
    for (int j = 0; j < taps; j++) h[j] /= sum;
    memcpy(x, clip, (size_t)n * sizeof *x);
    /* 'same': out[i] = sum_j x[i + c - j] h[j] (the centre of the full convolution). */
    for (int i = 0; i < n; i++) {
        double acc = 0;
        int j0 = i + c - (n - 1) > 0 ? i + c - (n - 1) : 0, j1 = i + c < taps - 1 ? i + c : taps - 1;
        for (int j = j0; j <= j1; j++) acc += x[i + c - j] * h[j];
        clip[i] = (float)acc;
    }
    free(h), free(x);
    return 0;
}

int corrupt_reverb_len(double rt60, int rate) { return (int)ceil(rt60 * rate) + 1; }

void corrupt_reverb_ir(float *h, int len, double rt60, int rate, rng_t *r)
{
    h[0] = 1.0f;
    double e = 0;
    for (int t = 1; t < len; t++) {
        h[t] = (float)(rng_normal(r) * pow(10.0, -3.0 * t / (rt60 * rate)));
        e += (double)h[t] * h[t];
    }
    double a = e > 0 ? 1.0 / sqrt(e) : 0;
    for (int t = 1; t < len; t++) h[t] = (float)(h[t] * a);
}

int corrupt_convolve(float *clip, int n, const float *h, int len)
{
    int nfft = 2;
    while (nfft < n + len - 1) nfft *= 2;
    const int nb = nfft / 2 + 1;
    fft_real_t *fw = fft_real_init(nfft, 0), *inv = fft_real_init(nfft, 1);
    float *a = malloc((size_t)nfft * sizeof *a), *b = malloc((size_t)nfft * sizeof *b);
    fft_cpx_t *A = malloc((size_t)nb * sizeof *A), *B = malloc((size_t)nb * sizeof *B);
    int rc = -1;
    if (!fw || !inv || !a || !b || !A || !B) goto done;
    double e0 = energy(clip, n);
    for (int i = 0; i < nfft; i++) {
        a[i] = i < n ? clip[i] : 0;
        b[i] = i < len ? h[i] : 0;
    }
    fft_real_forward(fw, a, A);
    fft_real_forward(fw, b, B);
    for (int k = 0; k < nb; k++) {
        fft_cpx_t p = {A[k].r * B[k].r - A[k].i * B[k].i, A[k].r * B[k].i + A[k].i * B[k].r};
        A[k] = p;
    }
    fft_real_inverse(inv, A, a);
    double e1 = 0;
    for (int i = 0; i < n; i++) e1 += (double)a[i] * a[i];
    /* the inverse FFT is unnormalised (a factor nfft); the RMS rescale absorbs it. */
    double g = e1 > 0 ? sqrt(e0 / e1) : 0;
    for (int i = 0; i < n; i++) clip[i] = (float)(a[i] * g);
    rc = 0;
done:
    fft_real_free(fw);
    fft_real_free(inv);
    free(a), free(b), free(A), free(B);
    return rc;
}

void corrupt_gain(float *clip, int n, double db)
{
    const double g = pow(10.0, db / 20.0) * 32768.0;
    for (int i = 0; i < n; i++) {
        double q = rint(clip[i] * g);
        clip[i] = (float)((q > 32767 ? 32767 : q < -32768 ? -32768 : q) / 32768.0);
    }
}

int corrupt_apply(int kind, int severity, float *clip, int n, int rate, const float *noise,
                  long noise_len, rng_t *r, char *err)
{
    double v = corrupt_level(kind, severity);
    if (isnan(v)) return st_err(err, "corruption %d severity %d: out of range", kind, severity);
    if (n < 1 || rate < 1) return st_err(err, "corruption: empty clip");
    float *w = NULL;
    int rc = 0;
    switch (kind) {
    case CORRUPT_NOISE:
        if (!noise || noise_len < n)
            return st_err(err, "noise_snr: needs at least %d samples of background noise "
                          "(DIR/_background_noise_/*.wav)", n);
        corrupt_add_snr(clip, noise + rng_below(r, (uint64_t)(noise_len - n + 1)), n, v);
        return 0;
    case CORRUPT_WHITE:
        if (!(w = malloc((size_t)n * sizeof *w))) break;
        for (int i = 0; i < n; i++) w[i] = (float)rng_normal(r);
        corrupt_add_snr(clip, w, n, v);
        free(w);
        return 0;
    case CORRUPT_CLIPPING:
        corrupt_clip(clip, n, v);
        return 0;
    case CORRUPT_LOWPASS:
        if (corrupt_lowpass(clip, n, v, rate, LOWPASS_TAPS)) break;
        return 0;
    case CORRUPT_REVERB: {
        int len = corrupt_reverb_len(v, rate);
        if (!(w = malloc((size_t)len * sizeof *w))) break;
        corrupt_reverb_ir(w, len, v, rate, r);
        rc = corrupt_convolve(clip, n, w, len);
        free(w);
        if (rc) break;
        return 0;
    }
    case CORRUPT_GAIN:
        corrupt_gain(clip, n, v);
        return 0;
    case CORRUPT_SPEED:
        if (!(w = malloc((size_t)n * sizeof *w))) break;
        aug_speed(clip, n, 1.0 / v - 1.0, w);
        memcpy(clip, w, (size_t)n * sizeof *w);
        free(w);
        return 0;
    }
    return st_err(err, "%s: out of memory", corrupt_name(kind));
}
