/* evaluate.c: accuracy, per-class accuracy and the confusion matrix of a model on a split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "train/dist.h"
#include "train/train.h"

int eval_report_init(eval_report_t *r, int n_classes, char *err)
{
    memset(r, 0, sizeof *r);
    if (n_classes < 1) return st_err(err, "evaluation: no classes");
    r->confusion = calloc((size_t)n_classes * (size_t)n_classes, sizeof *r->confusion);
    if (!r->confusion) return st_err(err, "evaluation: out of memory");
    r->n_classes = n_classes;
    return 0;
}

void eval_report_free(eval_report_t *r)
{
    free(r->confusion);
    r->confusion = NULL;
}

double eval_report_accuracy(const eval_report_t *r)
{
    return r->total ? (double)r->correct / (double)r->total : NAN;
}

double eval_report_class_accuracy(const eval_report_t *r, int k)
{
    long row = 0;
    for (int j = 0; j < r->n_classes; j++) row += r->confusion[(size_t)k * r->n_classes + j];
    return row ? (double)r->confusion[(size_t)k * r->n_classes + k] / (double)row : NAN;
}

int train_evaluate(model_t *m, const train_data_t *d, int split, int batch, eval_report_t *r, char *err)
{
    int K = d->n_classes;
    const model_config_t *mc = model_config(m);
    if (mc->classes != K || mc->in_ch != d->c || mc->h != d->h || mc->w != d->w)
        return st_err(err, "evaluation: model shape (%d x %d x %d, %d classes) does not match the data "
                      "(%d x %d x %d, %d classes)", mc->in_ch, mc->h, mc->w, mc->classes, d->c, d->h, d->w, K);
    if (batch > model_max_batch(m)) batch = model_max_batch(m);
    int n = d->count(d->ctx, split);
    if (n < 1) return st_err(err, "evaluation: the %s split is empty",
                             split == TRAIN_SPLIT_VAL ? "validation" : split == TRAIN_SPLIT_TEST ? "test" : "training");
    if (eval_report_init(r, K, err)) return -1;
    size_t chw = (size_t)d->c * d->h * d->w;
    float *x = malloc((size_t)batch * chw * sizeof *x);
    int *idx = malloc((size_t)batch * sizeof *idx), *lab = malloc((size_t)batch * sizeof *lab);
    if (!x || !idx || !lab) {
        free(x), free(idx), free(lab);
        eval_report_free(r);
        return st_err(err, "evaluation: out of memory");
    }
    double loss = 0;
    long lo, cnt;   /* this rank's share of the split (all of it in one process) */
    dist_slice(n, dist_rank(), dist_size(), &lo, &cnt);
    for (long s = 0; s < cnt; s += batch) {
        int nb = cnt - s < batch ? (int)(cnt - s) : batch;
        for (int i = 0; i < nb; i++) idx[i] = (int)(lo + s + i);
        d->batch(d->ctx, split, idx, nb, 0, 0, x, lab);
        model_forward(m, x, nb, 0);
        const float *z = model_logits(m);
        for (int i = 0; i < nb; i++) {
            const float *zi = z + (size_t)i * K;
            int best = 0;
            double mx = zi[0];
            for (int k = 1; k < K; k++)
                if (zi[k] > mx) mx = zi[k], best = k;
            double se = 0;
            for (int k = 0; k < K; k++) se += exp(zi[k] - mx);
            int y = lab[i];
            if (y < 0 || y >= K) continue;    /* a data source bug; never index with it */
            loss += mx + log(se) - zi[y];
            r->confusion[(size_t)y * K + best]++;
            r->correct += best == y;
            r->total++;
        }
    }
    free(x), free(idx), free(lab);
    if (dist_size() > 1) {
        dist_sum_long(r->confusion, (size_t)K * K);
        long ct[2] = {r->correct, r->total};
        dist_sum_long(ct, 2);
        r->correct = ct[0], r->total = ct[1];
        dist_sum_double(&loss, 1);
    }
    r->loss = r->total ? loss / (double)r->total : NAN;
    return 0;
}

void eval_report_print(const eval_report_t *r, const char *const *names, FILE *f)
{
    fprintf(f, "accuracy %.4f (%ld/%ld), loss %.4f\n", eval_report_accuracy(r), r->correct, r->total, r->loss);
    for (int k = 0; k < r->n_classes; k++) {
        long row = 0;
        for (int j = 0; j < r->n_classes; j++) row += r->confusion[(size_t)k * r->n_classes + j];
        fprintf(f, "  %-12s %7.4f  (%ld/%ld)\n", names[k], row ? eval_report_class_accuracy(r, k) : 0.0,
                r->confusion[(size_t)k * r->n_classes + k], row);
    }
}

static int write_one(const char *prefix, const char *suffix, const eval_report_t *r,
                     const char *const *names, int kind, char *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s", prefix, suffix) >= (int)sizeof path)
        return st_err(err, "%s: path too long", prefix);
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    int K = r->n_classes;
    if (kind == 0) {
        eval_report_print(r, names, a.f);
    } else if (kind == 1) {
        fprintf(a.f, "class,items,correct,accuracy\n");
        for (int k = 0; k < K; k++) {
            long row = 0;
            for (int j = 0; j < K; j++) row += r->confusion[(size_t)k * K + j];
            fprintf(a.f, "%s,%ld,%ld,%.6f\n", names[k], row, r->confusion[(size_t)k * K + k],
                    row ? eval_report_class_accuracy(r, k) : 0.0);
        }
    } else {
        fprintf(a.f, "true\\predicted");
        for (int k = 0; k < K; k++) fprintf(a.f, ",%s", names[k]);
        fputc('\n', a.f);
        for (int k = 0; k < K; k++) {
            fprintf(a.f, "%s", names[k]);
            for (int j = 0; j < K; j++) fprintf(a.f, ",%ld", r->confusion[(size_t)k * K + j]);
            fputc('\n', a.f);
        }
    }
    return afile_commit(&a, err);
}

int eval_report_write(const eval_report_t *r, const char *const *names, const char *prefix, char *err)
{
    if (write_one(prefix, "_report.txt", r, names, 0, err)) return -1;
    if (write_one(prefix, "_per_class.csv", r, names, 1, err)) return -1;
    return write_one(prefix, "_confusion.csv", r, names, 2, err);
}
