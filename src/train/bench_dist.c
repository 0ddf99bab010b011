/* bench_dist: data-parallel step time and gradient allreduce time (scripts/bench_mpi.sh).
 *
 *   [mpirun -np R] bench_dist [--width K] [--batch B] [--steps N] [--threads T]
 *
 * Trains N + 1 steps (the first is a warm-up) of PreAct-ResNet18 (k = K, 1 x 32 x 32 inputs:
 * the speech features, 12 classes) on synthetic in-memory data with the global batch B shared
 * by the R ranks, through the real loop (train_step: slices, mixing exchange, synced BN,
 * gradient allreduce), and times one allreduce of the whole gradient buffer on its own.
 * Rank 0 prints key=value lines: ranks, threads, params, allreduce_ms (median of 5),
 * step_s (median of the timed steps), samples_per_s.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/threads.h"
#include "train/dist.h"
#include "train/train.h"

enum { C = 1, H = 32, W = 32, K = 12 };
static int g_n;

static int src_count(void *ctx, int split) { return (void)ctx, split == TRAIN_SPLIT_TRAIN ? g_n : 0; }
static int src_order(void *ctx, int split, long epoch, int *order, int len, char *err)
{
    (void)ctx, (void)split, (void)epoch, (void)err;
    for (int i = 0; i < len; i++) order[i] = i;
    return 0;
}
static int src_batch(void *ctx, int split, const int *idx, int n, long epoch, int augment, float *x, int *labels,
                     char *err)
{
    (void)ctx, (void)split, (void)epoch, (void)augment, (void)err;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < C * H * W; j++) x[(size_t)i * C * H * W + j] = sinf(0.1f * (float)(idx[i] * 31 + j));
        labels[i] = idx[i] % K;
    }
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);   /* as speechtrain and imagetrain do */
    char err[ST_ERR_LEN];
    if (dist_init(&argc, &argv, err)) return fprintf(stderr, "%s\n", err), 1;
    int width = 64, batch = 64, steps = 3, threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--width")) width = v;
        else if (!strcmp(argv[i], "--batch")) batch = v;
        else if (!strcmp(argv[i], "--steps")) steps = v;
        else if (!strcmp(argv[i], "--threads")) threads = v;
    }
    if (width < 1 || batch < 1 || steps < 1 || steps > 100 || threads < 1)
        return fprintf(stderr, "usage: bench_dist [--width K] [--batch B] [--steps N] [--threads T]\n"), 2;
    g_n = batch * (steps + 1);
    char dir[] = "/tmp/bench_dist_XXXXXX";
    if (dist_rank() == 0 && !mkdtemp(dir)) return fprintf(stderr, "cannot make a temporary folder\n"), 1;
    dist_broadcast(dir, sizeof dir, 0);
    train_config_t c;
    train_config_default(&c);
    c.epochs = 1, c.batch = batch, c.width = width, c.threads = train_set_threads(threads), c.out_dir = dir;
    static const char *const names[K] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
    train_data_t d = {.c = C, .h = H, .w = W, .n_classes = K, .class_names = names, .count = src_count,
                      .order = src_order, .batch = src_batch};
    train_session_t *s;
    if (train_config_finish(&c, err) || train_open(&s, &c, &d, err)) {
        fprintf(stderr, "%s\n", err);
        dist_abort(1);
        return 1;
    }
    model_t *m = train_model(s);
    double t[101], ar[5];
    for (int k = 0; k <= steps; k++) {
        dist_barrier();
        double t0 = omp_get_wtime();
        if (train_step(s, err) != 1) {
            fprintf(stderr, "%s\n", err);
            dist_abort(1);
            return 1;
        }
        t[k] = omp_get_wtime() - t0;
    }
    /* the gradient buffer alone (its values do not matter: the step is over) */
    for (int k = 0; k < 5; k++) {
        dist_barrier();
        double t0 = omp_get_wtime();
        dist_sum_float(model_grads(m), model_num_params(m));
        ar[k] = omp_get_wtime() - t0;
    }
    /* each step ends in collectives, so rank 0's clock includes waiting for the slowest rank */
    qsort(t + 1, (size_t)steps, sizeof *t, cmp_d);
    qsort(ar, 5, sizeof *ar, cmp_d);
    double step_s = t[1 + steps / 2];
    if (dist_rank() == 0) {
        printf("ranks=%d\nthreads=%d\nparams=%zu\nallreduce_ms=%.2f\nstep_s=%.4f\nsamples_per_s=%.1f\n", dist_size(),
               c.threads, model_num_params(m), ar[2] * 1e3, step_s, batch / step_s);
        char p[128];
        static const char *const files[] = {"config.txt", "log.csv"};
        for (int k = 0; k < 2; k++) snprintf(p, sizeof p, "%s/%s", dir, files[k]), unlink(p);
        rmdir(dir);
    }
    train_close(s);
    dist_finalize();
    return 0;
}
