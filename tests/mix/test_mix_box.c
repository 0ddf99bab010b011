/* The CutMix and ResizeMix boxes against the reference code's distributions
 * (scripts/gen_mixbox_fixtures.py: CutMix-PyTorch's rand_bbox, ResizeMix's tau ~ U(lo, hi)
 * with a uniform placement, both with the reference defaults), and the defaults themselves.
 * Boxes come from mix_apply's report with the default config (elem mode: one box per row), so
 * the alpha, the tau range and the draws in between are part of what is tested. Each marginal
 * (side, start, end per axis, and lam) is a chi-square test at p = 1e-4 for a fixed seed. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mixtest.h"

#define NROWS 7   /* h, y0, y0 + h, w, x0, x0 + w, lam in 20 bins */
#define NDRAW_REF 2000000.0 /* draws behind each reference table */

/* p = 1e-4 chi-square critical value for df degrees of freedom (Wilson-Hilferty) */
static double chi_crit(int df)
{
    return df * pow(1 - 2.0 / (9 * df) + 3.719 * sqrt(2.0 / (9 * df)), 3);
}

/* Chi-square of counts cnt[0..n) (total N) against probabilities p[0..n) of a table estimated
 * from NDRAW_REF draws: bins with an expected count under 5 are pooled; a count in a bin the
 * reference never saw, beyond what the pool allows, fails. *stat: chi2 scaled down for the
 * reference's own sampling noise; *crit: its bound. */
static void chi2_row(const long *cnt, const float *p, int n, long N, double *stat, double *crit)
{
    double chi = 0, pool_e = 0;
    long pool_o = 0;
    int bins = 0;
    for (int k = 0; k < n; k++) {
        double e = (double)N * p[k];
        if (e < 5.0) {
            pool_e += e;
            pool_o += cnt[k];
        } else {
            chi += (cnt[k] - e) * (cnt[k] - e) / e;
            bins++;
        }
    }
    if (pool_e > 0 || pool_o > 0) {
        double e = pool_e > 0.5 ? pool_e : 0.5; /* a never-seen bin that fills fails */
        chi += (pool_o - e) * (pool_o - e) / e;
        bins++;
    }
    chi /= 1.0 + (double)N / NDRAW_REF;
    *stat = chi;
    *crit = chi_crit(bins > 1 ? bins - 1 : 1);
}

/* Counts the report's boxes over `draws` rows of mode md in an H x W image. */
static void count_boxes(int md, int H, int W, long draws, int L, long *cnt /* (NROWS, L) */)
{
    char err[ST_ERR_LEN];
    mix_config_t c = config_only(md);
    c.elem = 1;
    const int n = 250;
    mix_ctx_t *m = mix_init(&c, n, 1, H, W, 2, err);
    ck_assert_msg(m != NULL, "%s", err);
    float *x = calloc((size_t)n * H * W, sizeof *x);
    rng_t r;
    rng_init(&r, 20261204 + md * 7919 + H * 31 + W);
    memset(cnt, 0, sizeof(long) * NROWS * L);
    for (long done = 0; done < draws; done += n) {
        mix_report_t rep;
        ck_assert_msg(mix_apply(m, &r, x, NULL, n, &rep, err) == 0, "%s", err);
        for (int i = 0; i < n; i++) {
            mix_box_t b = rep.row_box[i];
            ck_assert_int_eq(rep.row_mode[i], md);
            ck_assert(b.h >= 0 && b.w >= 0 && b.y0 >= 0 && b.x0 >= 0);
            ck_assert(b.y0 + b.h <= H && b.x0 + b.w <= W);
            int v[NROWS - 1] = {b.h, b.y0, b.y0 + b.h, b.w, b.x0, b.x0 + b.w};
            for (int k = 0; k < NROWS - 1; k++) cnt[k * L + v[k]]++;
            double lam = 1.0 - (double)b.h * b.w / ((double)H * W);
            int bin = (int)(lam * 20);
            cnt[(NROWS - 1) * L + (bin > 19 ? 19 : bin)]++;
        }
    }
    free(x);
    mix_free(m);
}

static const char *row_name[NROWS] = {"h", "y0", "y0+h", "w", "x0", "x0+w", "lam"};

static void check_mode(int md, int H, int W)
{
    char name[64];
    snprintf(name, sizeof name, "box_%s_%dx%d.npy", mix_mode_name(md), H, W);
    int64_t shape[8];
    int nd;
    float *t = load_f32(name, shape, &nd);
    ck_assert_msg(t != NULL, "%s missing (scripts/gen_mixbox_fixtures.py)", name);
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(shape[0], NROWS);
    int L = (int)shape[1];
    ck_assert_int_ge(L, (H > W ? H : W) + 1);
    const long draws = 100000;
    long *cnt = malloc(sizeof(long) * NROWS * L);
    count_boxes(md, H, W, draws, L, cnt);
    for (int k = 0; k < NROWS; k++) {
        int n = k == NROWS - 1 ? 20 : (k < 3 ? H : W) + 1;
        double stat, crit;
        chi2_row(cnt + (size_t)k * L, t + (size_t)k * L, n, draws, &stat, &crit);
        ck_assert_msg(stat < crit, "%s %dx%d %s: chi2 %.1f >= %.1f", mix_mode_name(md), H, W,
                      row_name[k], stat, crit);
    }
    free(cnt);
    free(t);
}

START_TEST(test_cutmix_box_distribution)
{
    check_mode(MIX_CUTMIX, 40, 101);
    check_mode(MIX_CUTMIX, 32, 32);
    check_mode(MIX_CUTMIX, 7, 5);
}
END_TEST

START_TEST(test_resizemix_box_distribution)
{
    check_mode(MIX_RESIZEMIX, 40, 101);
    check_mode(MIX_RESIZEMIX, 32, 32);
    check_mode(MIX_RESIZEMIX, 7, 5);
}
END_TEST

START_TEST(test_defaults_pinned)
{
    int64_t shape[8];
    int nd;
    float *d = load_f32("box_defaults.npy", shape, &nd);
    ck_assert_msg(d != NULL, "box_defaults.npy missing");
    ck_assert_int_eq(shape[0], 4);
    mix_config_t c;
    mix_config_default(&c);
    for (int m = 0; m < MIX_NMODES; m++)
        if (m != MIX_RESIZEMIX) ck_assert_double_eq_tol(c.alpha[m], d[0], 1e-7);
    ck_assert_double_eq_tol(c.resize_lo, d[1], 1e-7);
    ck_assert_double_eq_tol(c.resize_hi, d[2], 1e-7);
    ck_assert_double_eq_tol(c.fmix_decay, d[3], 1e-7);
    free(d);
}
END_TEST

/* The test has power: one wrong draw is far outside the bound. Sides from (1 - lam0) instead
 * of its square root give a different CutMix h and lam. */
START_TEST(test_wrong_side_fails)
{
    int64_t shape[8];
    int nd;
    float *t = load_f32("box_cutmix_40x101.npy", shape, &nd);
    ck_assert(t != NULL);
    int L = (int)shape[1];
    const long draws = 100000;
    long *cnt = calloc((size_t)NROWS * L, sizeof(long));
    rng_t r;
    rng_init(&r, 9);
    for (long i = 0; i < draws; i++) {
        double lam0 = rng_beta(&r, 1.0, 1.0);
        /* sqrt(1 - lam0') = 1 - lam0 for lam0' = 1 - (1 - lam0)^2 */
        double l2 = 1.0 - (1.0 - lam0) * (1.0 - lam0);
        mix_box_t b = mix_cutmix_box(&r, 40, 101, l2);
        cnt[b.h]++;
    }
    double stat, crit;
    chi2_row(cnt, t, 41, draws, &stat, &crit);
    ck_assert_msg(stat > crit, "chi2 %.1f <= %.1f", stat, crit);
    free(cnt);
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mix_box");
    TCase *t = tcase_create("box");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_defaults_pinned);
    tcase_add_test(t, test_cutmix_box_distribution);
    tcase_add_test(t, test_resizemix_box_distribution);
    tcase_add_test(t, test_wrong_side_fails);
    suite_add_tcase(s, t);
    return check_run(s);
}
