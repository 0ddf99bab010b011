/* Statistical tests for src/mix: RandomMix mode frequencies (chi-square), lam ~
 * Beta(alpha, alpha) (Kolmogorov-Smirnov against the regularised incomplete beta, itself
 * checked against mpmath values), the ziggurat normals, the mix probability, and the
 * low-frequency energy of FMix masks against the numpy reference. All bounds are at
 * p ~ 0.001 for fixed seeds, so a wrong distribution fails and a right one passes. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    Suite *s = suite_create("mix_stats");
    TCase *t = tcase_create("stats");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_beta_cdf_matches_mpmath);
    tcase_add_test(t, test_gauss_normal);
    tcase_add_test(t, test_mode_frequencies);
    tcase_add_test(t, test_lam_beta);
    tcase_add_test(t, test_lam_beta_wrong_alpha_fails);
    tcase_add_test(t, test_prob);
    tcase_add_test(t, test_fmix_lowfreq);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
