/* fmix.c: FMix masks. A complex Gaussian spectrum over the rfft grid, shaped by
 * 1/max(f, 1/max(H,W))^decay, inverse-transformed to a grey image whose top k pixels
 * become the mask. The reference variant reproduces what the FMix repository's fmix.py
 * computes: it indexes the (ch, H, Wr, 2) spectrum along H instead of the re/im axis,
 * so its complex spectrum is Z[j, t] = S[0, j, t] + i*S[1, j, t] (j < Wr along H, t in
 * {0, 1} along W): only the two lowest frequencies along the last axis survive.
 *
 * The inverse transform is numpy's irfft2 in two passes of real inverse DFTs (c2r), so
 * both passes run on KissFFT's real transform, the cheaper one:
 *  - along H, a spectrum column Z (one kx) splits into its Hermitian part herm(Z)[ky] =
 *    (Z[ky] + conj Z[-ky]) / 2 and the rest: IFFT(Z) = c2r(herm Z) + i*c2r(-i*(Z - herm Z)),
 *    two real columns. irfft2 only keeps the real part of the DC column (kx = 0) and, for
 *    even W, the Nyquist column (kx = W/2): one real column each. W real columns in all.
 *  - along W, every row is one c2r of the W/2 + 1 column results.
 * For the isotropic spectrum (amplitudes symmetric in ky) the two halves are independent
 * Gaussian Hermitian spectra with known deviations, so they are drawn directly: H normals
 * per real column, H*W per mask, the same distribution as the complex spectrum. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fft.h>
#include <kiss_fftr.h>

#include "common/carve.h"
#include "mix/gauss.h"
#include "mix/mix.h"

/* Unnormalised real inverse DFTs of length n from bins 0..n/2 of Hermitian spectra (numpy's
 * c2r: the imaginary parts of bin 0 and, for even n, bin n/2 are ignored), two at a time:
 * kiss_fftri for even n; for odd n (kiss_fftr needs even lengths) one complex FFT of
 * A + i*B, A and B the completed spectra, whose real and imaginary parts are the two. */
typedef struct {
    int n;
    kiss_fftr_cfg r;   /* even n */
    kiss_fft_cfg c;    /* odd n */
    kiss_fft_cpx *buf; /* (2n) odd n: A + i*B, then its inverse FFT */
} c2r_t;

static int c2r_init(c2r_t *p, int n)
{
    p->n = n;
    if (n % 2 == 0) {
        p->r = kiss_fftr_alloc(n, 1, NULL, NULL);
        return p->r ? 0 : -1;
    }
    p->c = kiss_fft_alloc(n, 1, NULL, NULL);
    p->buf = malloc(2 * (size_t)n * sizeof *p->buf);
    return p->c && p->buf ? 0 : -1;
}

static void c2r_free(c2r_t *p)
{
    kiss_fft_free(p->r);
    kiss_fft_free(p->c);
    free(p->buf);
}

/* oa <- c2r(a), ob <- c2r(b); b and ob may be NULL */
static void c2r_run(const c2r_t *p, const kiss_fft_cpx *a, const kiss_fft_cpx *b, float *oa, float *ob)
{
    if (p->r) {
        kiss_fftri(p->r, a, oa);
        if (b) kiss_fftri(p->r, b, ob);
        return;
    }
    int n = p->n;
    kiss_fft_cpx *s = p->buf, *res = p->buf + n;
    s[0].r = a[0].r;
    s[0].i = b ? b[0].r : 0.0f;
    for (int k = 1; k <= n / 2; k++) {
        kiss_fft_cpx u = b ? b[k] : (kiss_fft_cpx){0.0f, 0.0f};
        /* s[k] = a[k] + i b[k], s[n - k] = conj a[k] + i conj b[k] */
        s[k].r = a[k].r - u.i;
        s[k].i = a[k].i + u.r;
        s[n - k].r = a[k].r + u.i;
        s[n - k].i = u.r - a[k].i;
    }
    kiss_fft(p->c, s, res);
    for (int x = 0; x < n; x++) oa[x] = res[x].r;
    if (ob)
        for (int x = 0; x < n; x++) ob[x] = res[x].i;
}

struct mix_fmix {
    int H, W, Hf, Wf;    /* Hf = H/2 + 1, Wf = W/2 + 1: half-spectrum lengths */
    int reference;
    int rows_ref;        /* reference variant: nonzero spectrum rows min(Wr, H) */
    float *sd;           /* isotropic: (Wf, Hf) deviation of each real and imaginary part
                          * of the real columns' half spectra, by kx and ky */
    float *scale;        /* reference: (2, rows_ref) for the real and imaginary parts */
    kiss_fft_cpx *zref;  /* reference: (2, H) its complex spectrum columns t = 0, 1 */
    kiss_fft_cpx *half;  /* (W, Hf) half spectrum of each real column */
    float *cols;         /* (W, H) the real columns after the pass along H */
    kiss_fft_cpx *rows;  /* (H, Wf) half spectrum of each row */
    c2r_t colp, rowp;    /* c2r along H and along W */
    float *noise;        /* (2*H*Wf) normal draws: H*W isotropic, 2 per reference bin */
    float *grey;         /* (H*W) */
    float *sel;          /* (H*W) threshold: values of the candidate pixels */
    uint16_t *bin;       /* (H*W) threshold: bin of each pixel */
    int *cand;           /* (H*W) threshold: candidate pixels, in index order */
    mix_gauss_t g;
    char *block;         /* the one allocation the buffers above are carved from */
};

/* numpy.fft.fftfreq(n)[k] */
static double fftfreq(int k, int n) { return (double)(k <= (n - 1) / 2 ? k : k - n) / n; }

static double amp(double fy, double fx, double fmin, double decay)
{
    double f = sqrt(fy * fy + fx * fx);
    return 1.0 / pow(f > fmin ? f : fmin, decay);
}

void mix_fmix_free(mix_fmix_t *f)
{
    if (!f) return;
    c2r_free(&f->colp);
    c2r_free(&f->rowp);
    free(f->block);
    free(f);
}

/* fmix.py's fftfreqnd keeps fftfreq(W)[:W//2+2] for odd W (W//2+1 for even W): the slice
 * stops at W entries, so W = 1 keeps one. The reference spectrum's nonzero rows: min(that, H). */
static int reference_rows(int H, int W)
{
    int wr = W % 2 ? W / 2 + 2 : W / 2 + 1;
    if (wr > W) wr = W;
    return wr < H ? wr : H;
}

/* The buffers of f in one block at base (NULL: none yet); returns its size in bytes. */
static size_t carve_all(mix_fmix_t *f, char *base)
{
    const size_t H = (size_t)f->H, W = (size_t)f->W, npix = H * W;
    size_t at = 0;
    if (!f->reference) {
        f->sd = carve(base, &at, (size_t)f->Wf * f->Hf * sizeof *f->sd);
    } else {
        f->scale = carve(base, &at, 2 * (size_t)f->rows_ref * sizeof *f->scale);
        f->zref = carve(base, &at, 2 * H * sizeof *f->zref);
    }
    f->half = carve(base, &at, W * f->Hf * sizeof *f->half);
    f->cols = carve(base, &at, npix * sizeof *f->cols);
    f->rows = carve(base, &at, H * f->Wf * sizeof *f->rows);
    f->noise = carve(base, &at, 2 * H * f->Wf * sizeof *f->noise); /* >= either variant's draws */
    f->grey = carve(base, &at, npix * sizeof *f->grey);
    f->sel = carve(base, &at, npix * sizeof *f->sel);
    f->bin = carve(base, &at, npix * sizeof *f->bin);
    f->cand = carve(base, &at, npix * sizeof *f->cand);
    return at;
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
    f->Hf = H / 2 + 1;
    f->Wf = W / 2 + 1;
    f->reference = reference != 0;
    if (f->reference) f->rows_ref = reference_rows(H, W);
    const size_t bytes = carve_all(f, NULL);
    if (!(f->block = aligned_alloc(64, bytes)) || c2r_init(&f->colp, H) || c2r_init(&f->rowp, W)) goto oom;
    memset(f->block, 0, bytes);   /* columns and rows the reference spectrum never fills stay 0 */
    carve_all(f, f->block);
    double fmin = 1.0 / (H > W ? H : W);
    if (!f->reference) {
        /* Z[ky] = s[ky] * (a + ib): herm(Z)[ky] and -i*(Z - herm Z)[ky] have real and
         * imaginary parts of variance (s[ky]^2 + s[-ky]^2) / 4 each, where ky = -ky a real
         * part of deviation s[ky] alone */
        for (int kx = 0; kx < f->Wf; kx++)
            for (int ky = 0; ky < f->Hf; ky++) {
                int my = (H - ky) % H;
                double s = amp(fftfreq(ky, H), (double)kx / W, fmin, decay);
                if (my != ky) {
                    double m = amp(fftfreq(my, H), (double)kx / W, fmin, decay);
                    s = sqrt((s * s + m * m) / 4);
                }
                f->sd[(size_t)kx * f->Hf + ky] = (float)s;
            }
    } else {
        for (int j = 0; j < f->rows_ref; j++) {
            f->scale[j] = (float)amp(0.0, fftfreq(j, W), fmin, decay);                   /* S[0, j] */
            f->scale[f->rows_ref + j] = (float)amp(fftfreq(1, H), fftfreq(j, W), fmin, decay); /* S[1, j] */
        }
    }
    mix_gauss_init(&f->g);
    return f;
oom:
    mix_fmix_free(f);
    st_err(err, "fmix: out of memory for a %d x %d mask", H, W);
    return NULL;
}

/* Real column q holds: q = 0 the DC column, q = 2kx - 1 and 2kx the real and imaginary
 * part of interior column kx, q = W - 1 (even W) the Nyquist column. */
static int col_kx(int q) { return (q + 1) / 2; }

/* he[0..H/2] <- herm(z), ah (if not NULL) <- -i*(z - herm z): half spectra of the real
 * and imaginary part of IFFT(z), z of length H. */
static void split_column(const kiss_fft_cpx *z, int H, kiss_fft_cpx *he, kiss_fft_cpx *ah)
{
    for (int ky = 0; ky <= H / 2; ky++) {
        kiss_fft_cpx a = z[ky], b = z[(H - ky) % H];
        he[ky].r = 0.5f * (a.r + b.r);
        he[ky].i = 0.5f * (a.i - b.i);
        if (ah) {
            ah[ky].r = 0.5f * (a.i + b.i);
            ah[ky].i = 0.5f * (b.r - a.r);
        }
    }
}

/* half <- the half spectra of a fresh random spectrum's real columns */
static void draw_spectrum(mix_fmix_t *f, rng_t *rng)
{
    int H = f->H, Hf = f->Hf;
    if (!f->reference) {
        mix_gauss_fill(&f->g, rng, f->noise, H * f->W);
        const float *z = f->noise;
        for (int q = 0; q < f->W; q++, z += H) {
            const float *sd = f->sd + (size_t)col_kx(q) * Hf;
            kiss_fft_cpx *h = f->half + (size_t)q * Hf;
            /* bin 0 and, for even H, bin H/2 are real: H normals per column */
            h[0].r = sd[0] * z[0];
            for (int ky = 1; ky <= (H - 1) / 2; ky++) {
                h[ky].r = sd[ky] * z[2 * ky - 1];
                h[ky].i = sd[ky] * z[2 * ky];
            }
            if (H % 2 == 0) h[H / 2].r = sd[H / 2] * z[H - 1];
        }
        return;
    }
    /* columns t = 0, 1 (W = 1 has only t = 0), rows j < rows_ref, zero below */
    int nr = f->rows_ref, nt = f->Wf < 2 ? 1 : 2;
    mix_gauss_fill(&f->g, rng, f->noise, 2 * nt * nr);
    const float *z = f->noise;
    for (int t = 0; t < nt; t++)
        for (int j = 0; j < nr; j++, z += 2) {
            f->zref[(size_t)t * H + j].r = f->scale[j] * z[0];
            f->zref[(size_t)t * H + j].i = f->scale[nr + j] * z[1];
        }
    split_column(f->zref, H, f->half, NULL);
    if (nt == 2) /* t = 1: the Nyquist column for W = 2, else interior column 1 */
        split_column(f->zref + H, H, f->half + Hf, f->W > 2 ? f->half + 2 * Hf : NULL);
}

/* grey (H, W) <- irfft2 of the drawn spectrum, unnormalised */
static void inverse(mix_fmix_t *f)
{
    int H = f->H, W = f->W, Wf = f->Wf;
    /* the reference spectrum is 0 beyond kx = 1: those columns and rows entries stay 0 */
    int nq = f->reference ? (W < 3 ? W : 3) : W;
    for (int q = 0; q < nq; q += 2) {
        int two = q + 1 < nq;
        c2r_run(&f->colp, f->half + (size_t)q * f->Hf, two ? f->half + (size_t)(q + 1) * f->Hf : NULL,
                f->cols + (size_t)q * H, two ? f->cols + (size_t)(q + 1) * H : NULL);
    }
    for (int kx = 0; kx <= col_kx(nq - 1); kx++) {
        int q = kx ? 2 * kx - 1 : 0;
        const float *re = f->cols + (size_t)q * H;
        kiss_fft_cpx *r = f->rows + kx;
        if (q + 1 < W && kx) { /* an interior column: real and imaginary part */
            const float *im = re + H;
            for (int y = 0; y < H; y++) r[(size_t)y * Wf] = (kiss_fft_cpx){re[y], im[y]};
        } else {
            for (int y = 0; y < H; y++) r[(size_t)y * Wf].r = re[y];
        }
    }
    for (int y = 0; y < H; y += 2) {
        int two = y + 1 < H;
        c2r_run(&f->rowp, f->rows + (size_t)y * Wf, two ? f->rows + (size_t)(y + 1) * Wf : NULL,
                f->grey + (size_t)y * W, two ? f->grey + (size_t)(y + 1) * W : NULL);
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

/* Blocks of 32 pixels or bins: inner loops over a block are vectorised by gcc (a block of
 * 16 gets unrolled instead and stays scalar). */
enum { BLK = 32 };

/* *lo, *hi <- min and max of g[0..n) */
static void min_max(const float *g, int n, float *lo, float *hi)
{
    float l[BLK], h[BLK];
    for (int j = 0; j < BLK; j++) l[j] = h[j] = g[0];
    int p = 0;
    for (; p + BLK <= n; p += BLK)
        for (int j = 0; j < BLK; j++) {
            l[j] = g[p + j] < l[j] ? g[p + j] : l[j];
            h[j] = g[p + j] > h[j] ? g[p + j] : h[j];
        }
    for (; p < n; p++) {
        l[0] = g[p] < l[0] ? g[p] : l[0];
        h[0] = g[p] > h[0] ? g[p] : h[0];
    }
    for (int j = 1; j < BLK; j++) {
        l[0] = l[j] < l[0] ? l[j] : l[0];
        h[0] = h[j] > h[0] ? h[j] : h[0];
    }
    *lo = l[0];
    *hi = h[0];
}

/* #{p : bin[p] >= m}: one vectorised pass, counting in 16-bit lanes (32 to a vector) over
 * stretches too short to overflow them */
static int count_ge(const uint16_t *bin, int n, uint16_t m)
{
    int c = 0;
    for (int p0 = 0; p0 < n; p0 += UINT16_MAX) {
        int e = n - p0 < UINT16_MAX ? n - p0 : UINT16_MAX;
        uint16_t s = 0;
        for (int p = 0; p < e; p++) s += bin[p0 + p] >= m;
        c += s;
    }
    return c;
}

/* mask <- 1 on the k largest grey values (1 <= k < n), ties in index order. The values go
 * into up to 65536 bins over [min, max] (the bin is monotone in the value, so every pixel
 * of a higher bin is larger); counting passes find the bin that holds the k-th largest
 * value, and a quickselect among that bin's few pixels gives the threshold t. Pixels above
 * t are ones, then the bin's pixels equal to t in index order until there are k. */
static void top_k(mix_fmix_t *f, int n, int k, float *mask)
{
    const float *g = f->grey;
    uint16_t *bin = f->bin;
    float lo, hi;
    min_max(g, n, &lo, &hi);
    int nb = n < 65536 ? n : 65536;
    /* FLT_MAX bound: a range too small for nb / range stays finite, so 0 * sc is never NaN
     * (inf products land in the top bin, which keeps the bin monotone) */
    float sc = hi > lo ? (float)nb / (hi - lo) : 0.0f;
    if (!(sc <= FLT_MAX)) sc = FLT_MAX;
    for (int p = 0; p < n; p++) {
        float x = (g[p] - lo) * sc;
        bin[p] = (uint16_t)(x < (float)(nb - 1) ? (int)x : nb - 1);
    }
    /* The bin b: the largest with at least k pixels in bins >= b. Search [bl, bh) with
     * count_ge(bl) >= k > count_ge(bh) by the Illinois method (regula falsi on fl, fh =
     * count - k, halving the end kept twice in a row, so neither end crawls): about 6 passes
     * on these smooth images. A bisection whenever the range did not halve in 3 passes
     * bounds it at 4 log2(nb). */
    int bl = 0, bh = nb, ch = 0, kept = 0, tries = 0, wref = nb;
    double fl = n - k, fh = -k;
    while (bh - bl > 1) {
        int w = bh - bl, m;
        if (tries == 3) {
            m = bl + w / 2;
        } else {
            m = bl + (int)(w * fl / (fl - fh) + 0.5);
            m = m < bl + 1 ? bl + 1 : m > bh - 1 ? bh - 1 : m;
        }
        int c = count_ge(bin, n, (uint16_t)m);
        tries++;
        if (c >= k) {
            if (kept > 0) fh /= 2;
            bl = m;
            fl = c - k;
            kept = 1;
        } else {
            if (kept < 0) fl /= 2;
            bh = m;
            ch = c;
            fh = c - k;
            kept = -1;
        }
        if (2 * (bh - bl) <= wref || tries > 3) {
            wref = bh - bl;
            tries = 0;
        }
    }
    int b = bl, acc = ch; /* acc: pixels in higher bins */
    /* the bin's pixels in index order; blocks without one are skipped after a vector test */
    int cnt = 0, p = 0;
    for (; p + BLK <= n; p += BLK) {
        int any = 0;
        for (int j = 0; j < BLK; j++) any |= bin[p + j] == b;
        if (any)
            for (int j = 0; j < BLK; j++)
                if (bin[p + j] == b) f->cand[cnt++] = p + j;
    }
    for (; p < n; p++)
        if (bin[p] == b) f->cand[cnt++] = p;
    for (int c = 0; c < cnt; c++) f->sel[c] = g[f->cand[c]];
    float t = kth_largest(f->sel, cnt, k - acc);
    for (int q = 0; q < n; q++) mask[q] = g[q] > t ? 1.0f : 0.0f;
    /* ones so far: the acc pixels of higher bins and the bin's pixels above t */
    int ones = acc;
    for (int c = 0; c < cnt; c++) ones += g[f->cand[c]] > t;
    for (int c = 0; c < cnt && ones < k; c++)
        if (g[f->cand[c]] == t) {
            mask[f->cand[c]] = 1.0f;
            ones++;
        }
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
    top_k(f, n, k, mask);
    return k;
}
