/* bench_mix: times mix_apply per mode and FMix mask generation on one batch shape.
 * Used by scripts/bench_mix.py, which times the PyTorch/numpy references in the same run.
 *   bench_mix N C H W REPS
 * prints lines "<what> <median microseconds>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/threads.h"
#include "mix/mix.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);   /* as the programs do, so a busy host does not make it spin */
    if (argc != 6) {
        fprintf(stderr, "usage: bench_mix N C H W REPS\n");
        return 2;
    }
    int N = atoi(argv[1]), C = atoi(argv[2]), H = atoi(argv[3]), W = atoi(argv[4]);
    int reps = atoi(argv[5]), K = 12;
    if (N < 1 || C < 1 || H < 1 || W < 1 || reps < 1) {
        fprintf(stderr, "bench_mix: bad arguments\n");
        return 2;
    }
    size_t nx = (size_t)N * C * H * W;
    /* 64-byte aligned as PyTorch's tensors are (its CPU allocator aligns to 64) */
    float *x = aligned_alloc(64, (nx * sizeof *x + 63) / 64 * 64);
    float *y = malloc((size_t)N * K * sizeof *y);
    int *lab = malloc(N * sizeof *lab);
    double *t = malloc(reps * sizeof *t);
    char err[ST_ERR_LEN];
    rng_t r;
    rng_init(&r, 1);
    for (size_t i = 0; i < nx; i++) x[i] = (float)rng_uniform(&r);
    for (int i = 0; i < N; i++) lab[i] = i % K;
    for (int md = 0; md < MIX_NMODES; md++) {
        mix_config_t c;
        mix_config_default(&c);
        c.ncand = 1;
        c.cand[0] = md;
        for (int k = 0; k < MIX_NMODES; k++) c.weights[k] = k == md;
        mix_ctx_t *m = mix_init(&c, N, C, H, W, K, err);
        if (!m) {
            fprintf(stderr, "bench_mix: %s\n", err);
            return 1;
        }
        for (int i = -reps / 10 - 1; i < reps; i++) {
            mix_onehot(y, lab, N, K, 0.0f);
            double t0 = now_us();
            if (mix_apply(m, &r, x, y, N, NULL, err)) {
                fprintf(stderr, "bench_mix: %s\n", err);
                return 1;
            }
            if (i >= 0) t[i] = now_us() - t0;
        }
        printf("%s %.3f\n", mix_mode_name(md), median(t, reps));
        mix_free(m);
    }
    float *mask = malloc((size_t)H * W * sizeof *mask);
    for (int ref = 0; ref < 2; ref++) {
        mix_fmix_t *f = mix_fmix_init(H, W, 3.0, ref, err);
        if (!f) {
            fprintf(stderr, "bench_mix: %s\n", err);
            return 1;
        }
        /* masks are cheap: time batches of 20 for a steadier clock */
        for (int i = -reps / 10 - 1; i < reps; i++) {
            double t0 = now_us();
            for (int j = 0; j < 20; j++) mix_fmix_mask(f, &r, rng_uniform(&r), mask, NULL);
            if (i >= 0) t[i] = (now_us() - t0) / 20;
        }
        printf("%s %.3f\n", ref ? "fmix_mask_reference" : "fmix_mask", median(t, reps));
        mix_fmix_free(f);
    }
    free(mask);
    free(x);
    free(y);
    free(lab);
    free(t);
    return 0;
}
