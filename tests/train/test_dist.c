/* test_dist: the pieces of data-parallel training, run by tests/train/dist.sh under mpirun
 * with 1, 2 and 3 ranks; the script compares the outputs across rank counts. The 1-rank run
 * is the reference (its loop matches PyTorch in test_train).
 *
 *   test_dist built                  0 when built with MPI, 77 (skip) without
 *   test_dist exchange OUT           the mixed global batches of 24 steps (rank 0 writes
 *                                    them): byte-identical for every rank count
 *   test_dist train DIR EPOCHS [local-bn|im2col]
 *                                    EPOCHS x 3 steps of training on in-memory data into DIR
 *   test_dist compare A B TOL        parameters and BN running statistics of checkpoints A
 *                                    and B agree within TOL (|a-b| <= TOL * max(1, |a|))
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "model/checkpoint.h"
#include "train/dist.h"
#include "train/internal.h"
#include "train/train.h"

enum { C = 1, H = 8, W = 10, K = 5 };

/* Item i: a smooth pattern that depends on its label, so training has something to learn. */
static int item_label(int i) { return (i * 7 + 3) % K; }
static void item_x(int i, float *x, size_t chw)
{
    for (size_t j = 0; j < chw; j++) x[j] = sinf(0.37f * (float)i + 0.11f * (float)j) + 0.5f * (float)item_label(i);
}

static int exchange(const char *out)
{
    char err[ST_ERR_LEN];
    const int B = 7;   /* 7 rows: uneven slices for 2 and 3 ranks */
    const size_t chw = (size_t)C * H * W;
    mix_config_t mc[2];
    mix_config_default(&mc[0]);
    mix_config_default(&mc[1]);
    mc[1].elem = 1;   /* per-row modes and partners too */
    float *x = malloc(B * chw * sizeof *x), *y = malloc((size_t)B * K * sizeof *y);
    int *lab = malloc(B * sizeof *lab);
    FILE *f = dist_rank() == 0 ? fopen(out, "wb") : NULL;
    if (!x || !y || !lab || (dist_rank() == 0 && !f)) return fprintf(stderr, "%s: cannot write\n", out), 1;
    long lo, nl;
    dist_slice(B, dist_rank(), dist_size(), &lo, &nl);
    for (int e = 0; e < 2; e++) {
        mix_ctx_t *mix = mix_init(&mc[e], B, C, H, W, K, err);
        if (!mix) return fprintf(stderr, "%s\n", err), 1;
        for (long step = 0; step < 12; step++) {
            /* other ranks' rows are poison: only the exchange can fill them */
            for (size_t j = 0; j < B * chw; j++) x[j] = NAN;
            for (int i = 0; i < B; i++) lab[i] = -1;
            for (size_t j = 0; j < (size_t)B * K; j++) y[j] = NAN;
            for (long i = lo; i < lo + nl; i++) {
                int item = (int)(i + step * B);
                item_x(item, x + i * chw, chw);
                lab[i] = item_label(item);
            }
            if (train_global_batch(mix, 11, step, x, lab, y, B, chw, K, 0.1f, err))
                return fprintf(stderr, "rank %d: %s\n", dist_rank(), err), 1;
            /* keep only this rank's rows, then collect them on rank 0 */
            for (long i = 0; i < B; i++)
                if (i < lo || i >= lo + nl) {
                    memset(x + i * chw, 0, chw * sizeof *x);
                    memset(y + i * K, 0, K * sizeof *y);
                }
            dist_gather_rows(x, chw * sizeof *x, B);
            dist_gather_rows(y, K * sizeof *y, B);
            if (f && (fwrite(x, sizeof *x, B * chw, f) != B * chw || fwrite(y, sizeof *y, (size_t)B * K, f) != (size_t)B * K))
                return fprintf(stderr, "%s: write failed\n", out), 1;
        }
        mix_free(mix);
    }
    free(x), free(y), free(lab);
    return f && fclose(f) ? 1 : 0;
}

/* ---- in-memory data for train_run: 36 training items (3 steps of 12), 10 val, 9 test ---- */
static const int split_n[3] = {36, 10, 9}, split_base[3] = {0, 1000, 2000};
static int src_count(void *ctx, int split) { return (void)ctx, split_n[split]; }
static void src_order(void *ctx, int split, long epoch, int *order, int len)
{
    (void)ctx;
    for (int i = 0; i < len; i++) order[i] = i;
    if (split != TRAIN_SPLIT_TRAIN) return;
    rng_t r;
    rng_derive(&r, 99, 1, (uint64_t)epoch);
    rng_shuffle(&r, order, len);
}
static void src_batch(void *ctx, int split, const int *idx, int n, long epoch, int augment, float *x, int *labels)
{
    (void)ctx, (void)epoch, (void)augment;
    for (int i = 0; i < n; i++) {
        item_x(split_base[split] + idx[i], x + (size_t)i * C * H * W, (size_t)C * H * W);
        labels[i] = item_label(split_base[split] + idx[i]);
    }
}
static const char *const names[K] = {"a", "b", "c", "d", "e"};

/* variant: 0 synced BN, 1 --local-bn, 2 im2col convolutions instead of Winograd (one process:
 * the same arithmetic in another float order, the yardstick for the tolerance) */
static int train(const char *dir, int epochs, int variant)
{
    char err[ST_ERR_LEN];
    train_config_t c;
    train_config_default(&c);
    c.epochs = epochs, c.batch = 12, c.eval_batch = 4, c.width = 4, c.threads = 1;
    c.lr = 0.05, c.seed = 5, c.local_bn = variant == 1, c.out_dir = dir;
    if (train_config_finish(&c, err)) return fprintf(stderr, "%s\n", err), 1;
    train_set_threads(1);
    train_data_t d = {.c = C, .h = H, .w = W, .n_classes = K, .class_names = names, .count = src_count,
                      .order = src_order, .batch = src_batch, .meta = "feat.test=1\n"};
    train_session_t *s;
    if (train_open(&s, &c, &d, err)) return fprintf(stderr, "rank %d: %s\n", dist_rank(), err), 1;
    if (variant == 2) model_set_conv(train_model(s), MODEL_CONV_IM2COL);
    int r = 0;
    while (r >= 0 && train_pending(s)) {
        while ((r = train_step(s, err)) > 0) {}
        if (r == 0 && train_end_epoch(s, err)) r = -1;
    }
    if (r >= 0 && train_report(s, err)) r = -1;
    train_close(s);
    if (r < 0) return fprintf(stderr, "rank %d: %s\n", dist_rank(), err), 1;
    return 0;
}

static int compare(const char *a, const char *b, double tol)
{
    char err[ST_ERR_LEN];
    model_t *ma = NULL, *mb = NULL;
    ckpt_info_t ia, ib;
    if (ckpt_load(a, &ma, 1, &ia, err) || ckpt_load(b, &mb, 1, &ib, err)) return fprintf(stderr, "%s\n", err), 1;
    if (model_num_params(ma) != model_num_params(mb)) return fprintf(stderr, "different models\n"), 1;
    double worst = 0, worst_bn = 0;
    size_t at = 0, over = 0;
    const float *pa = model_params(ma), *pb = model_params(mb);
    for (size_t i = 0; i < model_num_params(ma); i++) {
        double e = fabs((double)pa[i] - pb[i]) / fmax(1.0, fabs((double)pa[i]));
        if (!(e <= worst)) worst = e, at = i;   /* NaN counts as worst */
        over += !(e <= tol);
    }
    const float *sa = model_bn_stats(ma), *sb = model_bn_stats(mb);
    for (size_t i = 0; i < model_num_bn_stats(ma); i++) {
        double e = fabs((double)sa[i] - sb[i]) / fmax(1.0, fabs((double)sa[i]));
        if (!(e <= worst_bn)) worst_bn = e;
    }
    printf("%s vs %s: parameters differ by %.3g (%zu of %zu over the tolerance; worst %.9g vs %.9g), BN statistics "
           "by %.3g (tolerance %g)\n", a, b, worst, over, model_num_params(ma), pa[at], pb[at], worst_bn, tol);
    ckpt_info_free(&ia), ckpt_info_free(&ib);
    model_free(ma), model_free(mb);
    return worst <= tol && worst_bn <= tol ? 0 : 1;
}

int main(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    if (argc >= 2 && !strcmp(argv[1], "built")) return dist_built() ? 0 : 77;
    if (argc == 5 && !strcmp(argv[1], "compare")) return compare(argv[2], argv[3], atof(argv[4]));
    if (dist_init(&argc, &argv, err)) return fprintf(stderr, "%s\n", err), 1;
    int rc = 2;
    if (argc == 3 && !strcmp(argv[1], "exchange")) rc = exchange(argv[2]);
    else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "train"))
        rc = train(argv[2], atoi(argv[3]), argc < 5 ? 0 : !strcmp(argv[4], "local-bn") ? 1 : !strcmp(argv[4], "im2col") ? 2 : -1);
    else fprintf(stderr, "usage: test_dist built | exchange OUT | train DIR EPOCHS [local-bn|im2col] | compare A B TOL\n");
    if (rc) dist_abort(rc);
    dist_finalize();
    return rc;
}
