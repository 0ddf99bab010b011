/* Statistical tests for src/mix: RandomMix mode frequencies (chi-square), lam ~
 * Beta(alpha, alpha) (Kolmogorov-Smirnov against the regularised incomplete beta, itself
 * checked against mpmath values), the ziggurat normals (KS, chi-square), the mix
 * probability, the low-frequency energy of FMix masks against the numpy reference, and the
 * FMix grey images' power per frequency bin against numpy's irfft2 of the spectrum. All
 * bounds are at p ~ 0.001 for fixed seeds, so a wrong distribution fails and a right one
 * passes. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mix/gauss.h"
#include "mixtest.h"

/* ---- reference distributions ---- */

/* Continued fraction of the incomplete beta (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 2000; m++) {
        double m2 = 2.0 * m;
        double e = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)); /* even step */
        d = 1.0 + e * d;
        c = 1.0 + e / c;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        e = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2)); /* odd step */
        d = 1.0 + e * d;
        c = 1.0 + e / c;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = fabs(c) < tiny ? tiny : c;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15) break;
    }
    return h;
}

/* I_x(a, b), the Beta(a, b) CDF. */
static double beta_cdf(double a, double b, double x)
{
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

static double normal_cdf(double z, double a, double b)
{
    (void)a;
    (void)b;
    return 0.5 * erfc(-z / sqrt(2.0));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov distance of the samples (sorted in place) from cdf(., a, b). */
static double ks(double *v, int n, double (*cdf)(double, double, double), double a, double b)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double d = 0.0;
    for (int i = 0; i < n; i++) {
        double f = cdf(v[i], a, b);
        d = fmax(d, fmax(f - (double)i / n, (double)(i + 1) / n - f));
    }
    return d;
}

#define KS_CRIT(n) (1.95 / sqrt((double)(n))) /* p = 0.001 */

START_TEST(test_beta_cdf_matches_mpmath)
{
    npy_t ref;
    char err[ST_ERR_LEN];
    ck_assert_msg(npy_read(fixture("betacdf.npy"), &ref, err) == 0, "%s", err);
    ck_assert(ref.kind == 'f' && ref.itemsize == 8 && ref.ndim == 2 && ref.shape[0] == 3);
    const double *cdf = ref.data, al[3] = {0.2, 1.0, 2.0};
    int nx = (int)ref.shape[1];
    double worst = 0;
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < nx; j++) {
            double x = (double)j / (nx - 1);
            worst = fmax(worst, fabs(beta_cdf(al[k], al[k], x) - cdf[k * nx + j]));
        }
    ck_assert_double_lt(worst, 1e-10);
    npy_free(&ref);
}
END_TEST

START_TEST(test_gauss_normal)
{
    mix_gauss_t g;
    mix_gauss_init(&g);
    rng_t r;
    rng_init(&r, 99);
    int n = 100000;
    double *v = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) v[i] = mix_gauss(&g, &r);
    ck_assert_double_lt(ks(v, n, normal_cdf, 0, 0), KS_CRIT(n));
    /* the two-per-draw float path the FMix spectrum uses */
    float *fl = malloc(sizeof(float) * n);
    mix_gauss_fill(&g, &r, fl, n);
    for (int i = 0; i < n; i++) v[i] = fl[i];
    ck_assert_double_lt(ks(v, n, normal_cdf, 0, 0), KS_CRIT(n));
    free(fl);
    free(v);
    /* the tail |z| > 3 (the ziggurat's tail starts at 3.44): P = erfc(3/sqrt 2) */
    int m = 409600, tail = 0;
    for (int i = 0; i < m; i++) tail += fabs(mix_gauss(&g, &r)) > 3.0;
    double p = erfc(3.0 / sqrt(2.0)), sd = sqrt(m * p * (1 - p));
    ck_assert_double_lt(fabs(tail - m * p), 5 * sd);
    float *buf = malloc(sizeof(float) * 4096);
    tail = 0;
    for (int i = 0; i < m; i += 4096) {
        mix_gauss_fill(&g, &r, buf, 4096);
        for (int j = 0; j < 4096; j++) tail += fabsf(buf[j]) > 3.0f;
    }
    m = (m + 4095) / 4096 * 4096;
    sd = sqrt(m * p * (1 - p));
    ck_assert_double_lt(fabs(tail - m * p), 5 * sd);
    free(buf);
}
END_TEST

/* Chi-square of the FMix path (mix_gauss_fill in masks' chunk sizes, odd ones too) against
 * the exact normal CDF: 100 equiprobable bins plus tail bins around the ziggurat's tail
 * start r = 3.654, 2^22 draws. KS above misses the slow path's rare events (a wedge
 * rejection kept instead of redrawn, a wrong tail); this catches them. A 0.5% scale error
 * must fail it too. */
static int bin_of(const double *edge, int ne, double z)
{
    int lo = 0, hi = ne;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (z < edge[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

START_TEST(test_gauss_fill_chi2)
{
    enum { NQ = 100, NT = 5 };
    static const double tails[NT] = {3.0, 3.3, 3.6541528853610088, 4.0, 4.4};
    double edge[NQ - 1 + 2 * NT];
    int ne = 0;
    for (int j = 1; j < NQ; j++) { /* the j/NQ quantile, by bisection */
        double lo = -10, hi = 10;
        for (int it = 0; it < 100; it++) {
            double m = 0.5 * (lo + hi);
            *(normal_cdf(m, 0, 0) < (double)j / NQ ? &lo : &hi) = m;
        }
        edge[ne++] = 0.5 * (lo + hi);
    }
    for (int t = 0; t < NT; t++) {
        edge[ne++] = tails[t];
        edge[ne++] = -tails[t];
    }
    qsort(edge, (size_t)ne, sizeof *edge, cmp_double);
    long cnt[NQ + 2 * NT] = {0}, scaled[NQ + 2 * NT] = {0}, total = 0;
    mix_gauss_t g;
    mix_gauss_init(&g);
    rng_t r;
    rng_init(&r, 2025);
    float buf[1024];
    for (int c = 0; c < 4096; c++) {
        int m = c % 2 ? 1024 : 1023;
        mix_gauss_fill(&g, &r, buf, m);
        for (int i = 0; i < m; i++) {
            cnt[bin_of(edge, ne, buf[i])]++;
            scaled[bin_of(edge, ne, 1.005 * buf[i])]++;
        }
        total += m;
    }
    double chi = 0, chi_scaled = 0;
    for (int b = 0; b <= ne; b++) {
        double e = total * ((b < ne ? normal_cdf(edge[b], 0, 0) : 1.0) - (b ? normal_cdf(edge[b - 1], 0, 0) : 0.0));
        chi += (cnt[b] - e) * (cnt[b] - e) / e;
        chi_scaled += (scaled[b] - e) * (scaled[b] - e) / e;
    }
    /* p = 0.001 critical value (Wilson-Hilferty) for ne degrees of freedom */
    double crit = ne * pow(1 - 2.0 / (9 * ne) + 3.09 * sqrt(2.0 / (9 * ne)), 3);
    ck_assert_msg(chi < crit, "chi2 %.1f >= %.1f (%d dof)", chi, crit, ne);
    ck_assert_msg(chi_scaled > crit, "scaled by 1.005: chi2 %.1f <= %.1f", chi_scaled, crit);
}
END_TEST

/* ---- RandomMix mode choice ---- */

/* chi-square critical values at p = 0.001 for 1..3 degrees of freedom */
static const double chi_crit[4] = {0, 10.83, 13.82, 16.27};

static void check_modes(const char *weights, int elem)
{
    char err[ST_ERR_LEN];
    mix_config_t c;
    mix_config_default(&c);
    c.elem = elem;
    ck_assert_int_eq(mix_config_parse(&c, NULL, weights, err), 0);
    int n = elem ? 8 : 2, batches = elem ? 600 : 4800;
    mix_ctx_t *m = mix_init(&c, n, 1, 4, 6, 2, err);
    ck_assert_ptr_nonnull(m);
    float x[8 * 24] = {0};
    rng_t r;
    rng_init(&r, 2024);
    long cnt[MIX_NMODES] = {0}, total = 0;
    for (int b = 0; b < batches; b++) {
        mix_report_t rep;
        ck_assert_int_eq(mix_apply(m, &r, x, NULL, n, &rep, err), 0);
        for (int i = 0; i < n; i++) {
            ck_assert(rep.row_mode[i] >= 0 && rep.row_mode[i] < MIX_NMODES);
            cnt[rep.row_mode[i]]++;
            total++;
        }
        if (!elem) ck_assert_int_eq(rep.mode, rep.row_mode[0]);
    }
    double wsum = 0, chi = 0;
    int df = -1;
    for (int k = 0; k < MIX_NMODES; k++) wsum += c.weights[k];
    for (int k = 0; k < MIX_NMODES; k++) {
        if (c.weights[k] == 0.0) {
            ck_assert_int_eq(cnt[k], 0); /* a weight of 0 is never chosen */
            continue;
        }
        /* batch mode: one draw per batch, all rows alike */
        double units = elem ? 1.0 : n, e = total / units * c.weights[k] / wsum, o = cnt[k] / units;
        chi += (o - e) * (o - e) / e;
        df++;
    }
    if (df > 0) /* one usable mode: nothing to compare */
        ck_assert_msg(chi < chi_crit[df], "weights %s elem %d: chi2 %.2f >= %.2f", weights, elem, chi,
                  chi_crit[df]);
    mix_free(m);
}

START_TEST(test_mode_frequencies)
{
    for (int elem = 0; elem < 2; elem++) {
        check_modes("1,1,1,1", elem);
        check_modes("3,1,1,1", elem);
        check_modes("1,0,2,1", elem);
        check_modes("0,0,0,5", elem);
    }
}
END_TEST

/* ---- lam ~ Beta(alpha, alpha) ---- */

static double beta_sym(double x, double a, double b)
{
    (void)b;
    return beta_cdf(a, a, x);
}

static void check_lam(int mode, double alpha, int elem)
{
    char err[ST_ERR_LEN];
    mix_config_t c = config_only(mode);
    c.elem = elem;
    for (int k = 0; k < MIX_NMODES; k++) c.alpha[k] = alpha;
    int n = elem ? 16 : 1, draws = 3200;
    mix_ctx_t *m = mix_init(&c, n, 1, 4, 4, 2, err);
    ck_assert_ptr_nonnull(m);
    float x[16 * 16] = {0};
    double *lam = malloc(sizeof(double) * draws);
    rng_t r;
    rng_init(&r, 31 + (uint64_t)(alpha * 10));
    for (int d = 0; d < draws; d += n) {
        mix_report_t rep;
        ck_assert_int_eq(mix_apply(m, &r, x, NULL, n, &rep, err), 0);
        for (int i = 0; i < n; i++) lam[d + i] = rep.row_lam[i];
    }
    double D = ks(lam, draws, beta_sym, alpha, alpha);
    ck_assert_msg(D < KS_CRIT(draws), "%s alpha %g: KS %.4f >= %.4f", mix_mode_name(mode), alpha,
                  D, KS_CRIT(draws));
    free(lam);
    mix_free(m);
}

START_TEST(test_lam_beta)
{
    const double al[3] = {0.2, 1.0, 2.0};
    for (int k = 0; k < 3; k++) {
        check_lam(MIX_MIXUP, al[k], 0);
        check_lam(MIX_MIXUP, al[k], 1);
        check_lam(MIX_FMIX, al[k], 1);
    }
}
END_TEST

START_TEST(test_lam_beta_wrong_alpha_fails)
{
    /* the KS bound has power: Beta(1,1) draws are far from Beta(0.2,0.2) */
    rng_t r;
    rng_init(&r, 5);
    int n = 3200;
    double *v = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) v[i] = rng_beta(&r, 1.0, 1.0);
    ck_assert_double_gt(ks(v, n, beta_sym, 0.2, 0.2), KS_CRIT(n));
    free(v);
}
END_TEST

/* ---- mix probability ---- */

START_TEST(test_prob)
{
    char err[ST_ERR_LEN];
    for (int elem = 0; elem < 2; elem++) {
        mix_config_t c;
        mix_config_default(&c);
        c.elem = elem;
        c.prob = elem ? 0.3 : 0.5;
        int n = 4, batches = 3000;
        mix_ctx_t *m = mix_init(&c, n, 1, 4, 4, 2, err);
        float x[64] = {0};
        rng_t r;
        rng_init(&r, 8);
        long mixed = 0, units = 0;
        for (int b = 0; b < batches; b++) {
            mix_report_t rep;
            ck_assert_int_eq(mix_apply(m, &r, x, NULL, n, &rep, err), 0);
            if (!elem) {
                mixed += rep.mode != MIX_NONE;
                units++;
            } else {
                for (int i = 0; i < n; i++) mixed += rep.row_mode[i] != MIX_NONE;
                units += n;
            }
        }
        double sd = sqrt(units * c.prob * (1 - c.prob));
        ck_assert_double_lt(fabs(mixed - units * c.prob), 5 * sd);
        mix_free(m);
    }
}
END_TEST

/* ---- FMix masks sit in low frequencies ---- */

/* share of the AC energy of a 0/1 mask in bins with 0 < f <= 2/max(H, W) */
/* Share of the mask's non-constant spectral energy at frequencies f <= 2/max(H, W). */
static double lowfreq_share(const float *mask, int H, int W, double *power)
{
    int M = H > W ? H : W;
    dft_power(mask, H, W, power);
    double low = 0, ac = 0;
    for (int ky = 0; ky < H; ky++) {
        double fy = (double)(ky <= (H - 1) / 2 ? ky : ky - H) / H;
        for (int k = 0; k < W; k++) {
            double fx = (double)(k <= (W - 1) / 2 ? k : k - W) / W, f = sqrt(fx * fx + fy * fy);
            if (f == 0.0) continue;
            ac += power[ky * W + k];
            if (f <= 2.0 / M) low += power[ky * W + k];
        }
    }
    return low / ac;
}

START_TEST(test_fmix_lowfreq)
{
    /* numpy reference: mean share ~0.72 (32x32) and ~0.78 (40x101) in ~1% of the bins; a
     * mask without spatial structure would put ~1% there. Ours: mean within 4 standard
     * errors of the reference, and above 0.5. */
    npy_t ref;
    char err[ST_ERR_LEN];
    ck_assert_msg(npy_read(fixture("lowfreq.npy"), &ref, err) == 0, "%s", err);
    ck_assert(ref.kind == 'f' && ref.itemsize == 8 && ref.ndim == 2 && ref.shape[1] == 4);
    const double *rows = ref.data;
    for (int s = 0; s < (int)ref.shape[0]; s++) {
        int H = (int)rows[4 * s], W = (int)rows[4 * s + 1];
        double rmean = rows[4 * s + 2], rsd = rows[4 * s + 3];
        mix_fmix_t *f = mix_fmix_init(H, W, 3.0, 0, err);
        float *mask = malloc(sizeof(float) * H * W);
        double *power = malloc(sizeof(double) * H * W);
        rng_t r;
        rng_init(&r, 17 + s);
        int n = 100;
        double sum = 0, sum2 = 0;
        for (int i = 0; i < n; i++) {
            mix_fmix_mask(f, &r, 0.5, mask, NULL);
            double v = lowfreq_share(mask, H, W, power);
            sum += v;
            sum2 += v * v;
        }
        double mean = sum / n, sd = sqrt(fmax(sum2 / n - mean * mean, 0));
        double se = sqrt(sd * sd / n + rsd * rsd / 400);
        ck_assert_msg(fabs(mean - rmean) < 4 * se, "%dx%d: share %.4f, reference %.4f (se %.4f)",
                      H, W, mean, rmean, se);
        ck_assert_double_gt(mean, 0.5);
        free(mask);
        free(power);
        mix_fmix_free(f);
    }
    npy_free(&ref);
}
END_TEST

/* ---- FMix spectrum: per-bin power against numpy's irfft2 ---- */

/* numpy.fft.fftfreq(n)[k] */
static double np_fftfreq(int k, int n) { return (double)(k <= (n - 1) / 2 ? k : k - n) / n; }

/* fmix.py's amplitude 1 / max(f, 1/max(H, W))^decay */
static double fmix_amp(double fy, double fx, int H, int W, double decay)
{
    double f = sqrt(fy * fy + fx * fx), fmin = 1.0 / (H > W ? H : W);
    return 1.0 / pow(f > fmin ? f : fmin, decay);
}

/* E|X[ky, kx]|^2 for the full spectrum X of numpy.fft.irfft2(Z, (H, W)), where Z (H, W/2+1)
 * has independent real and imaginary parts of variances vr, vi: interior bins are Z and
 * their conjugate mirrors; c2r keeps only the Hermitian part (Z[ky] + conj Z[-ky]) / 2 of
 * the DC column and, for even W, the Nyquist column. */
static double irfft2_power(const double *vr, const double *vi, int H, int W, int ky, int kx)
{
    int Wf = W / 2 + 1;
    if (kx > W / 2) { /* the conjugate mirror */
        kx = W - kx;
        ky = (H - ky) % H;
    }
    int i = ky * Wf + kx, my = (H - ky) % H, m = my * Wf + kx;
    if (!(kx == 0 || 2 * kx == W)) return vr[i] + vi[i];
    if (my == ky) return vr[i];
    return (vr[i] + vi[i] + vr[m] + vi[m]) / 4;
}

/* Mean |fft2(grey)|^2 over many masks against (H*W)^2 E|X|^2 (grey is H*W times numpy's
 * irfft2), bin by bin, for the isotropic spectrum or fmix.py's (reference). Each power is
 * a chi-square with 1 or 2 degrees of freedom: relative sd <= sqrt(2/draws); bound 5 sd. */
static void check_fmix_spectrum(int H, int W, int ref, int draws)
{
    char err[ST_ERR_LEN];
    int n = H * W, Wf = W / 2 + 1;
    double *vr = calloc((size_t)H * Wf, sizeof *vr), *vi = calloc((size_t)H * Wf, sizeof *vi);
    if (!ref) {
        for (int ky = 0; ky < H; ky++)
            for (int kx = 0; kx < Wf; kx++)
                vr[ky * Wf + kx] = vi[ky * Wf + kx] =
                    pow(fmix_amp(np_fftfreq(ky, H), (double)kx / W, H, W, 3.0), 2);
    } else {
        /* fmix.py: Z[j, t] = S[0, j, t] + i S[1, j, t], j < W//2+1 (odd W: +2, a slice of
         * fftfreq(W), so at most W) rows along H, cropped to H, t < 2 columns */
        int wr = W % 2 ? W / 2 + 2 : W / 2 + 1;
        if (wr > W) wr = W;
        int nr = wr < H ? wr : H;
        for (int j = 0; j < nr; j++)
            for (int t = 0; t < 2 && t < Wf; t++) {
                vr[j * Wf + t] = pow(fmix_amp(0.0, np_fftfreq(j, W), H, W, 3.0), 2);
                vi[j * Wf + t] = pow(fmix_amp(np_fftfreq(1, H), np_fftfreq(j, W), H, W, 3.0), 2);
            }
    }
    mix_fmix_t *f = mix_fmix_init(H, W, 3.0, ref, err);
    ck_assert_msg(f != NULL, "%s", err);
    float *mask = malloc(sizeof(float) * n), *grey = malloc(sizeof(float) * n);
    double *pw = malloc(sizeof(double) * n), *mean = calloc((size_t)n, sizeof *mean);
    rng_t r;
    rng_init(&r, 1000 + 64 * H + W + ref);
    for (int d = 0; d < draws; d++) {
        mix_fmix_mask(f, &r, 0.5, mask, grey);
        dft_power(grey, H, W, pw);
        for (int p = 0; p < n; p++) mean[p] += pw[p] / draws;
    }
    double total = 0, bound = 5 * sqrt(2.0 / draws);
    for (int p = 0; p < n; p++) total += mean[p];
    for (int ky = 0; ky < H; ky++)
        for (int kx = 0; kx < W; kx++) {
            double want = (double)n * n * irfft2_power(vr, vi, H, W, ky, kx), got = mean[ky * W + kx];
            if (want == 0.0)
                ck_assert_msg(got < 1e-9 * total, "%dx%d ref %d bin (%d,%d): power %g, want 0", H, W,
                              ref, ky, kx, got);
            else
                ck_assert_msg(fabs(got / want - 1) < bound, "%dx%d ref %d bin (%d,%d): power %.4g, want %.4g",
                              H, W, ref, ky, kx, got, want);
        }
    free(vr);
    free(vi);
    free(mask);
    free(grey);
    free(pw);
    free(mean);
    mix_fmix_free(f);
}

START_TEST(test_fmix_spectrum_power)
{
    /* even and odd sides, a single row or column, 1 x 1 */
    static const int iso[][2] = {{8, 6}, {7, 5}, {6, 7}, {5, 2}, {4, 3}, {1, 8}, {8, 1}, {1, 5}, {1, 1}};
    static const int rf[][2] = {{8, 6}, {7, 5}, {6, 7}, {5, 2}, {2, 2}, {4, 1}};
    for (size_t s = 0; s < sizeof iso / sizeof iso[0]; s++) check_fmix_spectrum(iso[s][0], iso[s][1], 0, 8000);
    for (size_t s = 0; s < sizeof rf / sizeof rf[0]; s++) check_fmix_spectrum(rf[s][0], rf[s][1], 1, 8000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mix_stats");
    TCase *t = tcase_create("stats");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_beta_cdf_matches_mpmath);
    tcase_add_test(t, test_gauss_normal);
    tcase_add_test(t, test_gauss_fill_chi2);
    tcase_add_test(t, test_mode_frequencies);
    tcase_add_test(t, test_lam_beta);
    tcase_add_test(t, test_lam_beta_wrong_alpha_fails);
    tcase_add_test(t, test_prob);
    tcase_add_test(t, test_fmix_lowfreq);
    tcase_add_test(t, test_fmix_spectrum_power);
    suite_add_tcase(s, t);
    return check_run(s);
}
