/* bench_model: training-step throughput of the C model (used by scripts/bench_model.sh).
 *
 *   bench_model [--batch N] [--steps S] [--threads T] [--width K] [--in-ch C] [--hw H W]
 *               [--classes K] [--conv winograd|im2col] [--profile] [--eval]
 *   bench_model --sgemm [--threads T]     measured sgemm peak (GFLOP/s)
 *
 * Prints key=value lines: samples_per_s (median over the timed steps, after one warm-up
 * step), step_s, cpu_s_per_step (median process CPU time), gflops ("effective": 3 x the
 * direct-convolution forward FLOPs per sample for a training step), gemm_gflops_actual (the
 * FLOPs the GEMMs really did, lower with Winograd), conv (algorithm, --conv), peak_rss_mib,
 * and with --profile the per-layer breakdown of the timed steps. */
#include "common/threads.h"
#include "model/model.h"

#include "common/err.h"
#include "common/rng.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* Process CPU time (all threads): with --threads 1 on a busy machine it measures the work
 * itself, free of the time the thread spent descheduled. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int sgemm_peak(void)
{
    /* Square-ish shapes like the model's big GEMMs; best of a few runs. */
    const int M = 1024, N = 4096, K = 1152;
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N),
          *c = malloc(sizeof(float) * M * N);
    if (!a || !b || !c) return 1;
    for (long i = 0; i < (long)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int r = 0; r < 6; r++) {
        double t0 = omp_get_wtime();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
        double g = 2.0 * M * N * K / (omp_get_wtime() - t0) / 1e9;
        if (g > best) best = g;
    }
    printf("sgemm_gflops=%.1f\n", best);
    free(a);
    free(b);
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);   /* as the programs do, so a busy host does not make it spin */
    int batch = 64, steps = 3, threads = 2, profile = 0, eval = 0, do_sgemm = 0, conv = MODEL_CONV_WINOGRAD;
    model_config_t cfg = {1, 12, 64, 32, 32};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--batch") && more) batch = atoi(argv[++i]);
        else if (!strcmp(a, "--steps") && more) steps = atoi(argv[++i]);
        else if (!strcmp(a, "--threads") && more) threads = atoi(argv[++i]);
        else if (!strcmp(a, "--width") && more) cfg.width = atoi(argv[++i]);
        else if (!strcmp(a, "--in-ch") && more) cfg.in_ch = atoi(argv[++i]);
        else if (!strcmp(a, "--classes") && more) cfg.classes = atoi(argv[++i]);
        else if (!strcmp(a, "--hw") && i + 2 < argc) {
            cfg.h = atoi(argv[++i]);
            cfg.w = atoi(argv[++i]);
        } else if (!strcmp(a, "--conv") && more && !strcmp(argv[i + 1], "winograd")) conv = MODEL_CONV_WINOGRAD, i++;
        else if (!strcmp(a, "--conv") && more && !strcmp(argv[i + 1], "im2col")) conv = MODEL_CONV_IM2COL, i++;
        else if (!strcmp(a, "--profile")) profile = 1;
        else if (!strcmp(a, "--eval")) eval = 1;
        else if (!strcmp(a, "--sgemm")) do_sgemm = 1;
        else {
            fprintf(stderr, "bench_model: unknown or incomplete argument '%s'\n", a);
            return 2;
        }
    }
    if (steps < 1 || batch < 1) {
        fprintf(stderr, "bench_model: --steps and --batch must be >= 1\n");
        return 2;
    }
    model_set_threads(threads);
    if (do_sgemm) return sgemm_peak();

    char err[ST_ERR_LEN];
    model_t *m = model_init(&cfg, batch, 42, err);
    if (!m) {
        fprintf(stderr, "bench_model: %s\n", err);
        return 1;
    }
    model_set_conv(m, conv);
    size_t xs = (size_t)batch * cfg.in_ch * cfg.h * cfg.w, ys = (size_t)batch * cfg.classes;
    float *x = malloc(xs * sizeof(float)), *y = calloc(ys, sizeof(float));
    if (!x || !y) return 1;
    rng_t r;
    rng_init(&r, 7);
    for (size_t i = 0; i < xs; i++) x[i] = (float)rng_range(&r, -0.5, 0.5);
    for (int i = 0; i < batch; i++) y[(size_t)i * cfg.classes + rng_below(&r, cfg.classes)] = 1.0f;

    double *t = malloc(sizeof(double) * (steps + 1)), *tc = malloc(sizeof(double) * (steps + 1));
    for (int s = 0; s <= steps; s++) {
        if (s == 1 && profile) {
            model_profile_reset(m);
            model_profile_enable(m, 1);
        }
        double t0 = omp_get_wtime(), c0 = cpu_s();
        model_forward(m, x, batch, !eval);
        if (!eval) {
            model_loss(m, y, batch);
            model_zero_grad(m);
            model_backward(m, batch);
            model_sgd_step(m, 0.01f, 0.9f, 5e-4f);
        }
        t[s] = omp_get_wtime() - t0;
        tc[s] = cpu_s() - c0;
    }
    double total = 0;
    for (int s = 1; s <= steps; s++) total += t[s];
    qsort(t + 1, steps, sizeof(double), cmp_d);
    double med = t[1 + steps / 2];
    qsort(tc + 1, steps, sizeof(double), cmp_d);
    double flops = model_forward_flops(m) * batch * (eval ? 1.0 : 3.0);
    printf("params=%zu\n", model_num_params(m));
    printf("batch=%d threads=%d mode=%s\n", batch, threads, eval ? "eval" : "train");
    printf("step_s=%.3f\n", med);
    printf("samples_per_s=%.2f\n", batch / med);
    printf("cpu_s_per_step=%.3f\n", tc[1 + steps / 2]);
    printf("gflops=%.1f\n", flops / med / 1e9);
    printf("conv=%s\n", model_get_conv(m) == MODEL_CONV_WINOGRAD ? "winograd" : "im2col");
    printf("gemm_gflops_actual=%.1f\n",
           model_gemm_flops(m) * batch * (eval ? 1.0 : 3.0) / med / 1e9);
    printf("peak_rss_mib=%.0f\n", peak_rss_mib());
    if (profile) {
        const char *names[64];
        double secs[64];
        int n = model_profile_get(m, names, secs, 64);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += secs[i];
        printf("profile_total_s_per_step=%.3f wall_per_step=%.3f\n", sum / steps, total / steps);
        for (int i = 0; i < n; i++)
            if (secs[i] > 0.0005 * steps)
                printf("profile %-14s %7.3f s/step %5.1f%%\n", names[i], secs[i] / steps,
                       100.0 * secs[i] / (total > 0 ? total : 1));
    }
    free(t);
    free(tc);
    free(x);
    free(y);
    model_free(m);
    return 0;
}
