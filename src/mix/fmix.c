/* fmix.c: FMix masks. A complex Gaussian spectrum over the rfft grid, shaped by
 * 1/max(f, 1/max(H,W))^decay, inverse-transformed to a grey image whose top k pixels
 * become the mask. The reference variant reproduces what the FMix repository's fmix.py
 * computes: it indexes the (ch, H, Wr, 2) spectrum along H instead of the re/im axis,
 * so its complex spectrum is Z[j, t] = S[0, j, t] + i*S[1, j, t] (j < Wr along H, t in
 * {0, 1} along W): only the two lowest frequencies along the last axis survive. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fft.h>
#include <kiss_fftr.h>

#include "mix/gauss.h"
#include "mix/mix.h"

struct mix_fmix {
    int H, W, Wf;        /* Wf = W/2 + 1 rfft columns */
    int reference;
    int rows_ref;        /* reference variant: nonzero spectrum rows min(Wr, H) */
    float *scale;        /* isotropic: (Wf, H) amplitude per bin; reference: (2, rows_ref)
                          * for the real and imaginary parts */
    kiss_fft_cpx *spec;  /* (Wf, H) column-major spectrum */
    kiss_fft_cpx *tmp;   /* (H, Wf) after the inverse FFT along H */
    kiss_fft_cpx *col;   /* (H) */
    kiss_fft_cpx *row;   /* (W) odd-W path */
    kiss_fft_cpx *rowo;  /* (W) odd-W path */
    float *sel;          /* (H*W) selection scratch */
    float *noise;        /* (2*Wf*H) normal draws */
    int *hist;           /* (H*W) selection histogram */
    float *grey;         /* (H*W) */
    kiss_fft_cfg colcfg; /* inverse, length H */
    kiss_fftr_cfg rowr;  /* inverse real, length W (W even) */
    kiss_fft_cfg rowc;   /* inverse complex, length W (W odd: kiss_fftr needs even) */
    mix_gauss_t g;
};

/* numpy.fft.fftfreq(n)[k] */
static double fftfreq(int k, int n) { return (double)(k <= (n - 1) / 2 ? k : k - n) / n; }

static float amp(double fy, double fx, double fmin, double decay)
{
    double f = sqrt(fy * fy + fx * fx);
    return (float)(1.0 / pow(f > fmin ? f : fmin, decay));
}

void mix_fmix_free(mix_fmix_t *f)
{
    if (!f) return;
    free(f->scale);
    free(f->spec);
    free(f->tmp);
    free(f->col);
    free(f->row);
    free(f->rowo);
    free(f->sel);
    free(f->noise);
    free(f->hist);
    free(f->grey);
    kiss_fft_free(f->colcfg);
    kiss_fft_free(f->rowr);
    kiss_fft_free(f->rowc);
    free(f);
}

mix_fmix_t *mix_fmix_init(int H, int W, double decay, int reference, char *err)
{
    if (H < 1 || W < 1 || (size_t)H * W > (size_t)1 << 30) {
        st_err(err, "fmix: bad mask size %d x %d", H, W);
        return NULL;
    }
    if (!(decay > 0.0) || !isfinite(decay)) {
        st_err(err, "fmix: decay power must be a finite number > 0 (got %g)", decay);
        return NULL;
    }
    if (reference && H < 2) {
        st_err(err, "fmix: the reference variant needs H >= 2 (got %d)", H);
        return NULL;
    }
    mix_fmix_t *f = calloc(1, sizeof *f);
    if (!f) goto oom;
    f->H = H;
    f->W = W;
    f->Wf = W / 2 + 1;
    f->reference = reference != 0;
    size_t nbin = (size_t)f->Wf * H, npix = (size_t)H * W;
    f->spec = calloc(nbin, sizeof *f->spec);
    f->tmp = calloc(nbin, sizeof *f->tmp);
    f->col = calloc((size_t)H, sizeof *f->col);
    f->row = calloc((size_t)W, sizeof *f->row);
    f->rowo = calloc((size_t)W, sizeof *f->rowo);
    f->sel = malloc(npix * sizeof *f->sel);
    f->noise = malloc(2 * nbin * sizeof *f->noise);
    f->hist = malloc(npix * sizeof *f->hist);
    f->grey = malloc(npix * sizeof *f->grey);
    f->colcfg = kiss_fft_alloc(H, 1, NULL, NULL);
    if (W % 2 == 0)
        f->rowr = kiss_fftr_alloc(W, 1, NULL, NULL);
    else
        f->rowc = kiss_fft_alloc(W, 1, NULL, NULL);
    if (!f->spec || !f->tmp || !f->col || !f->row || !f->rowo || !f->sel || !f->grey || !f->noise || !f->hist ||
        !f->colcfg || (!f->rowr && !f->rowc))
        goto oom;
    double fmin = 1.0 / (H > W ? H : W);
    if (!f->reference) {
        f->scale = malloc(nbin * sizeof *f->scale);
        if (!f->scale) goto oom;
        for (int kx = 0; kx < f->Wf; kx++)
            for (int ky = 0; ky < H; ky++)
                f->scale[(size_t)kx * H + ky] = amp(fftfreq(ky, H), (double)kx / W, fmin, decay);
    } else {
        /* fmix.py's fftfreqnd keeps W//2+2 entries of fftfreq(W) for odd W */
        int wr = W % 2 ? W / 2 + 2 : W / 2 + 1;
        f->rows_ref = wr < H ? wr : H;
        f->scale = malloc(2 * (size_t)f->rows_ref * sizeof *f->scale);
        if (!f->scale) goto oom;
        for (int j = 0; j < f->rows_ref; j++) {
            f->scale[j] = amp(0.0, fftfreq(j, W), fmin, decay);                   /* S[0, j] */
            f->scale[f->rows_ref + j] = amp(fftfreq(1, H), fftfreq(j, W), fmin, decay); /* S[1, j] */
        }
    }
    mix_gauss_init(&f->g);
    return f;
oom:
    mix_fmix_free(f);
    st_err(err, "fmix: out of memory for a %d x %d mask", H, W);
    return NULL;
}

/* spec <- a fresh random spectrum */
static void draw_spectrum(mix_fmix_t *f, rng_t *rng)
{
    int H = f->H;
    if (!f->reference) {
        size_t nbin = (size_t)f->Wf * H;
        mix_gauss_fill(&f->g, rng, f->noise, (int)(2 * nbin));
        for (size_t b = 0; b < nbin; b++) {
            float s = f->scale[b];
            f->spec[b].r = s * f->noise[2 * b];
            f->spec[b].i = s * f->noise[2 * b + 1];
        }
        return;
    }
    /* columns t = 0, 1 (W = 1 has only t = 0), rows j < rows_ref */
    int nr = f->rows_ref, nt = f->Wf < 2 ? 1 : 2;
    mix_gauss_fill(&f->g, rng, f->noise, 2 * nt * nr);
    const float *z = f->noise;
    for (int t = 0; t < nt; t++)
        for (int j = 0; j < nr; j++, z += 2) {
            f->spec[(size_t)t * H + j].r = f->scale[j] * z[0];
            f->spec[(size_t)t * H + j].i = f->scale[nr + j] * z[1];
        }
}

/* grey (H, W) <- irfft2(spec), unnormalised, numpy's c2r conventions (imaginary parts of
 * the DC and Nyquist columns ignored) */
static void inverse(mix_fmix_t *f)
{
    int H = f->H, W = f->W, Wf = f->Wf;
    int ncol = f->reference ? (Wf < 2 ? 1 : 2) : Wf; /* the reference spectrum is 0 beyond */
    for (int kx = 0; kx < ncol; kx++) {
        kiss_fft(f->colcfg, f->spec + (size_t)kx * H, f->col);
        for (int y = 0; y < H; y++) f->tmp[(size_t)y * Wf + kx] = f->col[y];
    }
    for (int y = 0; y < H; y++) {
        kiss_fft_cpx *t = f->tmp + (size_t)y * Wf;
        float *out = f->grey + (size_t)y * W;
        if (f->rowr) {
            kiss_fftri(f->rowr, t, out);
        } else {
            f->row[0].r = t[0].r;
            f->row[0].i = 0.0f;
            for (int k = 1; k < Wf; k++) {
                f->row[k] = t[k];
                f->row[W - k].r = t[k].r;
                f->row[W - k].i = -t[k].i;
            }
            kiss_fft(f->rowc, f->row, f->rowo);
            for (int x = 0; x < W; x++) out[x] = f->rowo[x].r;
        }
    }
}

/* The k-th largest value of a[0..n) (1 <= k <= n); reorders a. Quickselect, Hoare
 * partition with a median-of-three pivot. */
static float kth_largest(float *a, int n, int k)
{
    int lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        float p0 = a[lo], p1 = a[mid], p2 = a[hi], piv;
        /* median of three */
        if (p0 > p1) { float t = p0; p0 = p1; p1 = t; }
        if (p1 > p2) { p1 = p2; }
        piv = p0 > p1 ? p0 : p1;
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] > piv) i++;
            while (a[j] < piv) j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* [lo, j] >= piv, [i, hi] <= piv, (j, i) == piv */
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return piv;
    }
    return a[want];
}

/* The k-th largest grey value (1 <= k < n): a histogram of n bins over [min, max] finds
 * the bin that holds it (the bin index is monotone in the value), then a quickselect among
 * that bin's few values. Two passes over the image instead of a full sort. */
static float threshold(mix_fmix_t *f, int n, int k)
{
    const float *g = f->grey;
    float lo = g[0], hi = g[0];
    for (int p = 1; p < n; p++) {
        lo = g[p] < lo ? g[p] : lo;
        hi = g[p] > hi ? g[p] : hi;
    }
    if (!(hi > lo)) return lo; /* all equal: ties decide */
    int nb = n;
    float sc = (float)nb / (hi - lo);
    memset(f->hist, 0, (size_t)nb * sizeof *f->hist);
    for (int p = 0; p < n; p++) {
        int b = (int)((g[p] - lo) * sc);
        f->hist[b < nb ? b : nb - 1]++;
    }
    int acc = 0, bin = nb - 1;
    while (acc + f->hist[bin] < k) acc += f->hist[bin--];
    int cnt = 0;
    for (int p = 0; p < n; p++) {
        int b = (int)((g[p] - lo) * sc);
        if ((b < nb ? b : nb - 1) == bin) f->sel[cnt++] = g[p];
    }
    return kth_largest(f->sel, cnt, k - acc);
}

int mix_fmix_mask(mix_fmix_t *f, rng_t *rng, double lam, float *mask, float *grey)
{
    int n = f->H * f->W;
    if (!(lam >= 0.0)) lam = 0.0;
    if (lam > 1.0) lam = 1.0;
    /* fmix.py's coin: ceil or floor of lam * H * W with probability 1/2 each */
    double want = lam * n;
    int k = rng_uniform(rng) < 0.5 ? (int)ceil(want) : (int)floor(want);
    if (k > n) k = n;
    draw_spectrum(f, rng);
    inverse(f);
    if (grey) memcpy(grey, f->grey, (size_t)n * sizeof *grey);
    if (k == 0 || k == n) {
        float v = k ? 1.0f : 0.0f;
        for (int p = 0; p < n; p++) mask[p] = v;
        return k;
    }
    float t = threshold(f, n, k);
    /* strictly above the threshold first, then ties in index order, so exactly k ones */
    int ones = 0;
    for (int p = 0; p < n; p++) {
        int on = f->grey[p] > t;
        mask[p] = on ? 1.0f : 0.0f;
        ones += on;
    }
    for (int p = 0; p < n && ones < k; p++)
        if (f->grey[p] == t) {
            mask[p] = 1.0f;
            ones++;
        }
    return k;
}
