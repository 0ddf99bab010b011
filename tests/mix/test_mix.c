/* Tests for src/mix: per-mode properties of mixed batches, the ResizeMix patch against
 * PyTorch, the FMix masks (size, coin, reference-variant spectrum), reproducibility and
 * argument checking. Reference values come from scripts/gen_mix_fixtures.py. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mixtest.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- per-mode properties of one mixed batch ---- */

/* Checks every row of a mixed batch against the originals x0, y0 and the report. */
static void check_batch(const mix_config_t *c, int n, int C, int H, int W, int K,
                        const float *x0, const float *y0, const float *x, const float *y,
                        const mix_report_t *rep)
{
    size_t plane = (size_t)H * W, row = C * plane;
    float *patch = malloc(row * sizeof *patch);
    ck_assert_int_eq(rep->n, n);
    int *seen = calloc((size_t)n, sizeof *seen);
    for (int i = 0; i < n; i++) {
        ck_assert(rep->perm[i] >= 0 && rep->perm[i] < n);
        seen[rep->perm[i]]++;
    }
    for (int i = 0; i < n; i++) ck_assert_int_eq(seen[i], 1); /* a permutation */
    free(seen);
    for (int i = 0; i < n; i++) {
        int p = rep->perm[i], md = rep->row_mode[i];
        double lam = rep->row_lam[i];
        mix_box_t b = rep->row_box[i];
        const float *xi = x0 + i * row, *xp = x0 + p * row, *out = x + i * row;
        ck_assert(lam >= 0.0 && lam <= 1.0);
        /* labels: the formula, and rows sum to 1 */
        double sum = 0.0, worst = 0.0;
        for (int k = 0; k < K; k++) {
            double want = lam * y0[i * K + k] + (1.0 - lam) * y0[p * K + k];
            worst = fmax(worst, fabs(y[i * K + k] - want));
            sum += y[i * K + k];
        }
        ck_assert_double_le(worst, 1e-6);
        ck_assert_double_le(fabs(sum - 1.0), 1e-5);
        if (md == MIX_NONE) {
            ck_assert(memcmp(out, xi, row * sizeof *x) == 0);
            ck_assert_double_eq(lam, 1.0);
            continue;
        }
        ck_assert(md >= 0 && md < MIX_NMODES);
        ck_assert(c->weights[md] > 0.0);
        if (md == MIX_MIXUP) {
            double worst = 0.0;
            for (size_t j = 0; j < row; j++)
                worst = fmax(worst, fabs(out[j] - (lam * xi[j] + (1.0 - lam) * xp[j])));
            ck_assert_double_le(worst, 1e-6);
            continue;
        }
        size_t from_i = 0, bad = 0;
        if (md == MIX_CUTMIX || md == MIX_RESIZEMIX) {
            ck_assert(b.y0 >= 0 && b.x0 >= 0 && b.h >= 0 && b.w >= 0);
            ck_assert(b.y0 + b.h <= H && b.x0 + b.w <= W);
            ck_assert_double_eq(lam, 1.0 - (double)b.h * b.w / (double)(H * W));
            if (md == MIX_RESIZEMIX && b.h > 0) {
                /* one tau in [lo, hi) gives both sides: int(H*tau) == h, int(W*tau) == w */
                double lo = fmax(fmax((double)b.h / H, (double)b.w / W), c->resize_lo);
                double hi = fmin(fmin((b.h + 1.0) / H, (b.w + 1.0) / W), c->resize_hi + 1e-12);
                ck_assert_msg(lo < hi, "box %dx%d not from one tau in range", b.h, b.w);
                mix_resize_bilinear(patch, b.h, b.w, xp, C, H, W);
            }
            for (int ch = 0; ch < C; ch++)
                for (int yy = 0; yy < H; yy++)
                    for (int xx = 0; xx < W; xx++) {
                        size_t j = ch * plane + (size_t)yy * W + xx;
                        int in = yy >= b.y0 && yy < b.y0 + b.h && xx >= b.x0 && xx < b.x0 + b.w;
                        float want = !in ? xi[j]
                                     : md == MIX_CUTMIX
                                         ? xp[j]
                                         : patch[((size_t)ch * b.h + yy - b.y0) * b.w + xx - b.x0];
                        bad += memcmp(&out[j], &want, sizeof want) != 0;
                        from_i += !in;
                    }
            ck_assert_msg(bad == 0, "%s row %d: %zu pixels differ", mix_mode_name(md), i, bad);
            if (p != i)
                ck_assert_double_le(fabs((double)from_i / row - lam), 1e-12); /* real share */
        } else { /* FMIX: each pixel wholly from x_i or x_p, the same in every channel */
            for (size_t q = 0; q < plane; q++) {
                int a = memcmp(&out[q], &xi[q], sizeof(float)) == 0;
                int bq = memcmp(&out[q], &xp[q], sizeof(float)) == 0;
                bad += !(a || bq);
                for (int ch = 1; ch < C; ch++) {
                    const float *o = &out[ch * plane + q];
                    bad += memcmp(o, a ? &xi[ch * plane + q] : &xp[ch * plane + q],
                                  sizeof(float)) != 0;
                }
                from_i += a;
            }
            ck_assert_msg(bad == 0, "fmix row %d: %zu pixels from neither row", i, bad);
            if (p != i) ck_assert_double_le(fabs((double)from_i / plane - lam), 1.0 / plane + 1e-12);
        }
    }
    free(patch);
}

static void run_case(mix_config_t c, int n, int C, int H, int W, int K, uint64_t seed)
{
    char err[ST_ERR_LEN];
    size_t row = (size_t)C * H * W;
    float *x = malloc(n * row * sizeof *x), *x0 = malloc(n * row * sizeof *x);
    float *y = malloc((size_t)n * K * sizeof *y), *y0 = malloc((size_t)n * K * sizeof *y);
    int *lab = malloc(n * sizeof *lab);
    rng_t r;
    rng_init(&r, seed);
    for (int i = 0; i < n; i++) lab[i] = (int)rng_below(&r, K);
    mix_ctx_t *m = mix_init(&c, n + 3, C, H, W, K, err);
    ck_assert_msg(m != NULL, "%s", err);
    for (int it = 0; it < 6; it++) {
        fill_uniform(x0, n * row, seed * 100 + it);
        ck_assert_int_eq(mix_onehot(y0, lab, n, K, it % 2 ? 0.1f : 0.0f), 0);
        memcpy(x, x0, n * row * sizeof *x);
        memcpy(y, y0, (size_t)n * K * sizeof *y);
        mix_report_t rep;
        ck_assert_msg(mix_apply(m, &r, x, y, n, &rep, err) == 0, "%s", err);
        check_batch(&c, n, C, H, W, K, x0, y0, x, y, &rep);
    }
    mix_free(m);
    free(x);
    free(x0);
    free(y);
    free(y0);
    free(lab);
}

static const int shapes[][4] = {/* n, C, H, W */ {7, 1, 32, 32}, {5, 1, 40, 101}, {4, 3, 32, 32},
                                {1, 3, 64, 64},  {2, 1, 9, 7},   {3, 2, 33, 17}};

static void run_mode(int mode, int elem)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        mix_config_t c = config_only(mode);
        c.elem = elem;
        run_case(c, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], 1 + (int)s * 3,
                 11 + s);
    }
}

START_TEST(test_mixup_batch) { run_mode(MIX_MIXUP, 0); }
END_TEST
START_TEST(test_cutmix_batch) { run_mode(MIX_CUTMIX, 0); }
END_TEST
START_TEST(test_resizemix_batch) { run_mode(MIX_RESIZEMIX, 0); }
END_TEST
START_TEST(test_fmix_batch) { run_mode(MIX_FMIX, 0); }
END_TEST
START_TEST(test_modes_elem)
{
    for (int md = 0; md < MIX_NMODES; md++) run_mode(md, 1);
}
END_TEST

START_TEST(test_randommix_properties)
{
    /* all candidates, batch and elem, prob < 1, the reference fmix variant too */
    mix_config_t c;
    mix_config_default(&c);
    for (int elem = 0; elem < 2; elem++) {
        c.elem = elem;
        c.prob = 0.8;
        c.fmix_reference = elem;
        ck_assert_int_eq(mix_config_parse(&c, NULL, "3,1,0,1", NULL), 0);
        run_case(c, 9, 1, 40, 101, 12, 5 + elem);
        run_case(c, 8, 3, 32, 32, 10, 7 + elem);
    }
}
END_TEST

START_TEST(test_elem_rows_differ)
{
    /* elem: rows draw their own lam and, under randommix, their own mode */
    mix_config_t c;
    mix_config_default(&c);
    c.elem = 1;
    char err[ST_ERR_LEN];
    int n = 16;
    mix_ctx_t *m = mix_init(&c, n, 1, 8, 8, 3, err);
    ck_assert_ptr_nonnull(m);
    float x[16 * 64] = {0};
    mix_report_t rep;
    rng_t r;
    rng_init(&r, 3);
    ck_assert_int_eq(mix_apply(m, &r, x, NULL, n, &rep, err), 0);
    int modes = 0, lams = 0;
    for (int i = 1; i < n; i++) {
        modes += rep.row_mode[i] != rep.row_mode[0];
        lams += rep.row_lam[i] != rep.row_lam[0];
    }
    ck_assert_int_gt(modes, 0);
    ck_assert_int_gt(lams, 0);
    ck_assert_int_eq(rep.mode, MIX_PER_ROW);
    mix_free(m);
}
END_TEST

START_TEST(test_prob_zero_untouched)
{
    mix_config_t c;
    mix_config_default(&c);
    c.prob = 0.0;
    char err[ST_ERR_LEN];
    for (int elem = 0; elem < 2; elem++) {
        c.elem = elem;
        mix_ctx_t *m = mix_init(&c, 5, 2, 6, 10, 4, err);
        float x[5 * 120], x0[5 * 120], y[20], y0[20];
        fill_uniform(x0, 600, 1);
        fill_uniform(y0, 20, 2);
        memcpy(x, x0, sizeof x);
        memcpy(y, y0, sizeof y);
        rng_t r;
        rng_init(&r, 9);
        mix_report_t rep;
        ck_assert_int_eq(mix_apply(m, &r, x, y, 5, &rep, err), 0);
        ck_assert(memcmp(x, x0, sizeof x) == 0 && memcmp(y, y0, sizeof y) == 0);
        ck_assert_int_eq(rep.mode, MIX_NONE);
        ck_assert_double_eq(rep.lam, 1.0);
        mix_free(m);
    }
}
END_TEST

/* ---- ResizeMix patch vs F.interpolate ---- */

START_TEST(test_resize_matches_torch)
{
    static const int cases[][5] = {{1, 32, 32, 3, 3},   {1, 32, 32, 25, 25}, {1, 32, 32, 7, 19},
                                   {3, 32, 32, 12, 5},  {1, 40, 101, 4, 10}, {1, 40, 101, 32, 80},
                                   {3, 64, 64, 51, 51}, {2, 5, 7, 11, 13}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int *k = cases[t];
        char name[128];
        int64_t sh[NPY_MAX_DIMS];
        snprintf(name, sizeof name, "resize_%dx%dx%d_to_%dx%d_src.npy", k[0], k[1], k[2], k[3], k[4]);
        float *src = load_f32(name, sh, NULL);
        ck_assert(sh[0] == k[0] && sh[1] == k[1] && sh[2] == k[2]);
        snprintf(name, sizeof name, "resize_%dx%dx%d_to_%dx%d_out.npy", k[0], k[1], k[2], k[3], k[4]);
        float *want = load_f32(name, sh, NULL);
        ck_assert(sh[0] == k[0] && sh[1] == k[3] && sh[2] == k[4]);
        size_t no = (size_t)k[0] * k[3] * k[4];
        float *got = malloc(no * sizeof *got);
        mix_resize_bilinear(got, k[3], k[4], src, k[0], k[1], k[2]);
        double worst = 0;
        for (size_t j = 0; j < no; j++) worst = fmax(worst, fabs(got[j] - want[j]));
        ck_assert_msg(worst <= 2.4e-7, "case %zu: max |ours - torch| = %g", t, worst);
        free(src);
        free(want);
        free(got);
    }
}
END_TEST

/* ---- FMix masks ---- */

START_TEST(test_fmix_mask_size_and_coin)
{
    char err[ST_ERR_LEN];
    for (int ref = 0; ref < 2; ref++) {
        mix_fmix_t *f = mix_fmix_init(32, 32, 3.0, ref, err);
        ck_assert_ptr_nonnull(f);
        float mask[1024], grey[1024];
        rng_t r;
        rng_init(&r, 77);
        int lo = 0, hi = 0;
        for (int it = 0; it < 400; it++) {
            double lam = it < 200 ? 0.3 : rng_uniform(&r);
            int k = mix_fmix_mask(f, &r, lam, mask, grey);
            ck_assert(k == (int)floor(lam * 1024) || k == (int)ceil(lam * 1024));
            double s = 0;
            float minon = INFINITY, maxoff = -INFINITY;
            int bad = 0;
            for (int p = 0; p < 1024; p++) {
                bad += !(mask[p] == 0.0f || mask[p] == 1.0f);
                s += mask[p];
                if (mask[p] != 0.0f) minon = fminf(minon, grey[p]);
                else maxoff = fmaxf(maxoff, grey[p]);
            }
            ck_assert_int_eq(bad, 0);
            ck_assert_double_eq(s / 1024, (double)k / 1024); /* mask mean = k/(H*W) */
            ck_assert(k == 0 || k == 1024 || minon >= maxoff); /* ones are the top k */
            if (it < 200) *(k == 307 ? &lo : &hi) += 1;
        }
        /* the coin: 307 or 308 (lam*HW = 307.2) each with probability 1/2; 200 draws,
         * binomial sd 7.07, bound at 5 sd */
        ck_assert_int_lt(abs(lo - 100), 36);
        mix_fmix_free(f);
    }
}
END_TEST

START_TEST(test_fmix_reference_bins)
{
    /* The FMix repository's grey images only use the fft2 bins the fixture lists (last axis:
     * 0, 1 and W-1); ours must use exactly those, and the isotropic mask must not. */
    static const int shp[][2] = {{32, 32}, {40, 101}, {33, 17}, {8, 40}};
    char err[ST_ERR_LEN], name[64];
    for (size_t s = 0; s < sizeof shp / sizeof shp[0]; s++) {
        int H = shp[s][0], W = shp[s][1];
        snprintf(name, sizeof name, "refbins_%dx%d.npy", H, W);
        int64_t sh[NPY_MAX_DIMS];
        float *allowed = load_f32(name, sh, NULL);
        ck_assert(sh[0] == H && sh[1] == W);
        float *mask = malloc(sizeof(float) * H * W), *grey = malloc(sizeof(float) * H * W);
        double *pw = malloc(sizeof(double) * H * W), *seen = calloc((size_t)H * W, sizeof(double));
        rng_t r;
        rng_init(&r, 5 + s);
        for (int ref = 1; ref >= 0; ref--) {
            mix_fmix_t *f = mix_fmix_init(H, W, 3.0, ref, err);
            ck_assert_ptr_nonnull(f);
            for (int p = 0; p < H * W; p++) seen[p] = 0;
            double outside_max = 0;
            for (int it = 0; it < 12; it++) {
                mix_fmix_mask(f, &r, 0.5, mask, grey);
                dft_power(grey, H, W, pw);
                double tot = 0, out = 0;
                for (int p = 0; p < H * W; p++) {
                    tot += pw[p];
                    if (allowed[p] == 0.0f) out += pw[p];
                    seen[p] = fmax(seen[p], pw[p]);
                }
                outside_max = fmax(outside_max, out / tot);
            }
            if (ref) {
                ck_assert_msg(outside_max < 1e-9, "%dx%d: %g of the energy outside the bins",
                              H, W, outside_max);
                double top = 0;
                for (int p = 0; p < H * W; p++) top = fmax(top, seen[p]);
                int unused = -1;
                for (int p = 0; p < H * W; p++)
                    if (allowed[p] != 0.0f && !(seen[p] > 1e-14 * top)) unused = p;
                ck_assert_msg(unused < 0, "%dx%d: bin (%d,%d) never used", H, W, unused / W,
                              unused % W);
            } else {
                ck_assert_msg(outside_max > 1e-3, "%dx%d: isotropic mask is band-limited", H, W);
            }
            mix_fmix_free(f);
        }
        free(allowed);
        free(mask);
        free(grey);
        free(pw);
        free(seen);
    }
}
END_TEST

/* ---- reproducibility ---- */

static void run_seed(const mix_config_t *c, int max_n, uint64_t seed, float *x, float *y)
{
    char err[ST_ERR_LEN];
    mix_ctx_t *m = mix_init(c, max_n, 3, 12, 20, 5, err);
    ck_assert_ptr_nonnull(m);
    int lab[10];
    for (int i = 0; i < 10; i++) lab[i] = i % 5;
    fill_uniform(x, 10 * 720, 4);
    mix_onehot(y, lab, 10, 5, 0.0f);
    rng_t r;
    rng_init(&r, seed);
    for (int it = 0; it < 5; it++) ck_assert_int_eq(mix_apply(m, &r, x, y, 10, NULL, err), 0);
    mix_free(m);
}

START_TEST(test_same_seed_same_bytes)
{
    static float x1[7200], x2[7200], x3[7200];
    float y1[50], y2[50], y3[50];
    mix_config_t c;
    mix_config_default(&c);
    for (int elem = 0; elem < 2; elem++) {
        c.elem = elem;
        c.prob = elem ? 0.7 : 1.0;
        run_seed(&c, 10, 42, x1, y1);
        run_seed(&c, 64, 42, x2, y2); /* another context, larger capacity */
        run_seed(&c, 10, 43, x3, y3);
        ck_assert(memcmp(x1, x2, sizeof x1) == 0 && memcmp(y1, y2, sizeof y1) == 0);
        ck_assert(memcmp(x1, x3, sizeof x1) != 0);
    }
}
END_TEST

/* Batch mixing runs on OpenMP threads: 1, 2, 3 and 7 threads must give the same bytes (up
 * to 7 pieces of a mixup/fmix walk, so pieces start inside cycles), for every mode,
 * RandomMix, elem mode and a shape whose rows do not split into whole lines. */
static void run_threads(const mix_config_t *c, int n, int C, int H, int W, int threads,
                        float *x, float *y)
{
    char err[ST_ERR_LEN];
    int K = 7, *lab = malloc(n * sizeof *lab);
    for (int i = 0; i < n; i++) lab[i] = (i * 5) % K;
    fill_uniform(x, (size_t)n * C * H * W, 21);
    mix_onehot(y, lab, n, K, 0.1f);
    mix_ctx_t *m = mix_init(c, n, C, H, W, K, err);
    ck_assert_msg(m != NULL, "%s", err);
    rng_t r;
    rng_init(&r, 77);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    for (int it = 0; it < 6; it++) ck_assert_int_eq(mix_apply(m, &r, x, y, n, NULL, err), 0);
    mix_free(m);
    free(lab);
}

START_TEST(test_threads_same_bytes)
{
#ifndef _OPENMP
    ck_abort_msg("built without OpenMP");
#else
    /* the last: 7 pieces of 20 big rows, nearly every row saved */
    static const int sh[][4] = {{256, 3, 32, 32}, {64, 1, 40, 101}, {33, 3, 33, 17}, {20, 3, 64, 64}};
    for (size_t s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        int n = sh[s][0], C = sh[s][1], H = sh[s][2], W = sh[s][3];
        size_t nx = (size_t)n * C * H * W;
        float *x1 = malloc(nx * sizeof *x1), *x2 = malloc(nx * sizeof *x2);
        float *x0 = malloc(nx * sizeof *x0);
        float *y1 = malloc((size_t)n * 7 * sizeof *y1), *y2 = malloc((size_t)n * 7 * sizeof *y2);
        for (int md = -2; md < MIX_NMODES; md++) {
            mix_config_t c;
            if (md >= 0) {
                c = config_only(md);
            } else {
                mix_config_default(&c); /* RandomMix, batch (-1) and elem (-2) */
                c.elem = md == -2;
            }
            run_threads(&c, n, C, H, W, 1, x1, y1);
            for (int th = 2; th <= 7; th += th == 2 ? 1 : 4) { /* 2, 3, 7 */
                run_threads(&c, n, C, H, W, th, x2, y2);
                ck_assert_msg(memcmp(x1, x2, nx * sizeof *x1) == 0,
                              "mode %d shape %zu, %d threads: x differs", md, s, th);
                ck_assert_msg(memcmp(y1, y2, (size_t)n * 7 * sizeof *y1) == 0,
                              "mode %d, %d threads: y differs", md, th);
            }
            fill_uniform(x0, nx, 21);
            ck_assert(memcmp(x1, x0, nx * sizeof *x0) != 0); /* something was mixed */
        }
        free(x0);
        free(x1);
        free(x2);
        free(y1);
        free(y2);
    }
    omp_set_num_threads(omp_get_num_procs());
#endif
}
END_TEST

/* ---- arguments ---- */

static void expect_err(int rc, const char *err, const char *needle)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, needle) != NULL, "message \"%s\" lacks \"%s\"", err, needle);
}

START_TEST(test_config_parse)
{
    char err[ST_ERR_LEN];
    mix_config_t c, d;
    mix_config_default(&c);
    ck_assert_int_eq(mix_config_check(&c, err), 0);
    ck_assert_int_eq(mix_config_parse(&c, " CutMix , mixup", "3, 1", err), 0);
    ck_assert_int_eq(c.ncand, 2);
    ck_assert_int_eq(c.cand[0], MIX_CUTMIX);
    ck_assert_double_eq(c.weights[MIX_CUTMIX], 3.0);
    ck_assert_double_eq(c.weights[MIX_MIXUP], 1.0);
    ck_assert_double_eq(c.weights[MIX_FMIX], 0.0);
    d = c;
    expect_err(mix_config_parse(&c, NULL, "1,1,1,1", err), err, "4 values for 2 candidates");
    expect_err(mix_config_parse(&c, "mixup,cutmix", "1,-2", err), err, "negative");
    expect_err(mix_config_parse(&c, "mixup,cutmix", "1,nan", err), err, "\"nan\"");
    expect_err(mix_config_parse(&c, "mixup,cutmix", "0,0", err), err, "all zero");
    expect_err(mix_config_parse(&c, "mixup,cutmix", "1,x", err), err, "\"x\"");
    expect_err(mix_config_parse(&c, "mixup,cutmux", NULL, err), err, "unknown mode \"cutmux\"");
    expect_err(mix_config_parse(&c, "mixup,mixup", NULL, err), err, "twice");
    expect_err(mix_config_parse(&c, "mixup,,fmix", NULL, err), err, "empty item 2");
    expect_err(mix_config_parse(&c, "", NULL, err), err, "empty");
    ck_assert(memcmp(&c, &d, sizeof c) == 0); /* unchanged on error */
    ck_assert_int_eq(mix_config_parse(&c, "fmix", NULL, err), 0);
    ck_assert_double_eq(c.weights[MIX_FMIX], 1.0);
    ck_assert_double_eq(c.weights[MIX_CUTMIX], 0.0);

    mix_config_default(&c);
    ck_assert_int_eq(mix_config_set(&c, "alpha", "0.2", err), 0);
    ck_assert_double_eq(c.alpha[MIX_FMIX], 0.2);
    ck_assert_int_eq(mix_config_set(&c, "alpha", "mixup=2, fmix=0.5", err), 0);
    ck_assert_double_eq(c.alpha[MIX_MIXUP], 2.0);
    ck_assert_double_eq(c.alpha[MIX_FMIX], 0.5);
    ck_assert_double_eq(c.alpha[MIX_CUTMIX], 0.2);
    expect_err(mix_config_set(&c, "alpha", "0", err), err, "alpha");
    expect_err(mix_config_set(&c, "alpha", "cutmix=-1", err), err, "> 0");
    expect_err(mix_config_set(&c, "prob", "1.5", err), err, "prob");
    expect_err(mix_config_set(&c, "resize", "0,0.8", err), err, "0 < lo <= hi <= 1");
    expect_err(mix_config_set(&c, "resize", "0.5,1.2", err), err, "resize");
    expect_err(mix_config_set(&c, "resize", "0.8,0.5", err), err, "resize");
    expect_err(mix_config_set(&c, "fmix-decay", "-3", err), err, "fmix-decay");
    expect_err(mix_config_set(&c, "elem", "maybe", err), err, "elem");
    expect_err(mix_config_set(&c, "colour", "1", err), err, "unknown key \"colour\"");
    ck_assert_int_eq(mix_config_set(&c, "resize", "0.2,0.5", err), 0);
    ck_assert_int_eq(mix_config_set(&c, "elem", "1", err), 0);
    ck_assert_int_eq(c.elem, 1);

    mix_config_default(&c);
    c.alpha[MIX_CUTMIX] = -1;
    expect_err(mix_config_check(&c, err), err, "cutmix");
    mix_config_default(&c);
    c.weights[MIX_FMIX] = NAN;
    expect_err(mix_config_check(&c, err), err, "fmix");
    mix_config_default(&c);
    for (int m = 0; m < MIX_NMODES; m++) c.weights[m] = 0;
    expect_err(mix_config_check(&c, err), err, "all zero");
    ck_assert_ptr_null(mix_init(&c, 4, 1, 8, 8, 2, err));

    ck_assert_str_eq(mix_mode_name(MIX_RESIZEMIX), "resizemix");
    ck_assert_str_eq(mix_mode_name(MIX_NONE), "none");
    ck_assert_int_eq(mix_mode_from_name("FMix"), MIX_FMIX);
    ck_assert_int_eq(mix_mode_from_name("mix"), -1);
}
END_TEST

START_TEST(test_apply_bad_args)
{
    char err[ST_ERR_LEN];
    mix_config_t c;
    mix_config_default(&c);
    ck_assert_ptr_null(mix_init(&c, 0, 1, 8, 8, 2, err));
    ck_assert_ptr_nonnull(strstr(err, "max_n 0"));
    ck_assert_ptr_null(mix_init(&c, 4, 1, 0, 8, 2, err));
    c.fmix_reference = 1;
    ck_assert_ptr_null(mix_init(&c, 4, 1, 1, 8, 2, err)); /* reference needs H >= 2 */
    c.fmix_reference = 0;
    mix_ctx_t *m = mix_init(&c, 4, 1, 8, 8, 2, err);
    float x[5 * 64] = {0}, y[10] = {0};
    rng_t r;
    rng_init(&r, 1);
    expect_err(mix_apply(m, &r, x, y, 0, NULL, err), err, "batch of 0 rows");
    expect_err(mix_apply(m, &r, x, y, 5, NULL, err), err, "1 to 4");
    expect_err(mix_apply(m, &r, NULL, y, 2, NULL, err), err, "NULL");
    mix_free(m);
    mix_free(NULL);
}
END_TEST

START_TEST(test_onehot)
{
    float y[8], y0[8];
    int lab[2] = {3, 1};
    ck_assert_int_eq(mix_onehot(y, lab, 2, 4, 0.2f), 0);
    for (int k = 0; k < 4; k++) {
        ck_assert_float_eq_tol(y[k], k == 3 ? 0.85f : 0.05f, 1e-7f);
        ck_assert_float_eq_tol(y[4 + k], k == 1 ? 0.85f : 0.05f, 1e-7f);
    }
    memcpy(y0, y, sizeof y);
    int bad[2] = {1, 4};
    ck_assert_int_eq(mix_onehot(y, bad, 2, 4, 0.0f), -1);
    ck_assert(memcmp(y, y0, sizeof y) == 0);
    ck_assert_int_eq(mix_onehot(y, lab, 2, 4, 1.5f), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mix");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_mixup_batch);
    tcase_add_test(t, test_cutmix_batch);
    tcase_add_test(t, test_resizemix_batch);
    tcase_add_test(t, test_fmix_batch);
    tcase_add_test(t, test_modes_elem);
    tcase_add_test(t, test_randommix_properties);
    tcase_add_test(t, test_elem_rows_differ);
    tcase_add_test(t, test_prob_zero_untouched);
    tcase_add_test(t, test_resize_matches_torch);
    tcase_add_test(t, test_fmix_mask_size_and_coin);
    tcase_add_test(t, test_fmix_reference_bins);
    tcase_add_test(t, test_same_seed_same_bytes);
    tcase_add_test(t, test_threads_same_bytes);
    tcase_add_test(t, test_config_parse);
    tcase_add_test(t, test_apply_bad_args);
    tcase_add_test(t, test_onehot);
    suite_add_tcase(s, t);
    return check_run(s);
}
