/* robust.c: the robustness measurements of robust.h. */
#include "train/robust.h"

#include "common/atomicfile.h"
#include "common/csv.h"
#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG_OCCL 0x0cc1e5ULL

void robust_config_default(robust_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->eps[0] = 0.01, c->eps[1] = 0.03, c->eps[2] = 0.1;
    c->n_eps = 3;
    c->occl[0] = 0.1, c->occl[1] = 0.25, c->occl[2] = 0.5;
    c->n_occl = 3;
    c->fill = -0.5;
    c->lo = -0.5, c->hi = 0.5;
    c->corruptions = 1;
    c->batch = 256;
}

void robust_report_free(robust_report_t *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static int add_row(robust_report_t *r, const char *kind, const char *setting, double error, char *err)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        robust_row_t *g = realloc(r->rows, (size_t)cap * sizeof *g);
        if (!g) return st_err(err, "robustness report: out of memory");
        r->rows = g, r->cap = cap;
    }
    robust_row_t *w = &r->rows[r->n++];
    snprintf(w->kind, sizeof w->kind, "%s", kind);
    snprintf(w->setting, sizeof w->setting, "%s", setting);
    w->error = error;
    return 0;
}

double robust_report_get(const robust_report_t *r, const char *kind, const char *setting)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].kind, kind) && !strcmp(r->rows[i].setting, setting)) return r->rows[i].error;
    return NAN;
}

void robust_occlusion_mask(unsigned char *mask, int H, int W, double share, rng_t *r)
{
    const long cells = (long)H * W;
    long target = lround(share * (double)cells), covered = 0;
    if (target > cells) target = cells;
    if (target < 0) target = 0;
    memset(mask, 0, (size_t)cells);
    const int bh = H / 4 > 0 ? H / 4 : 1, bw = W / 4 > 0 ? W / 4 : 1;
    /* Random blocks; a bounded number of draws, then the rest in raster order, so that no
     * share (1.0 included) can loop for long. */
    for (long draw = 0; covered < target && draw < 64 * cells; draw++) {
        int y0 = (int)rng_below(r, (uint64_t)(H - bh + 1)), x0 = (int)rng_below(r, (uint64_t)(W - bw + 1));
        for (int y = y0; y < y0 + bh && covered < target; y++)
            for (int x = x0; x < x0 + bw && covered < target; x++)
                if (!mask[(size_t)y * W + x]) mask[(size_t)y * W + x] = 1, covered++;
    }
    for (long i = 0; i < cells && covered < target; i++)
        if (!mask[i]) mask[i] = 1, covered++;
}

static int argmax(const float *z, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[best]) best = k;
    return best;
}

static long count_wrong(const model_t *m, const int *lab, int nb, int K)
{
    const float *z = model_logits(m);
    long wrong = 0;
    for (int i = 0; i < nb; i++) wrong += argmax(z + (size_t)i * K, K) != lab[i];
    return wrong;
}

typedef struct {
    float *x, *xa, *g, *y;
    int *idx, *lab;
    unsigned char *mask;
} bufs_t;

static void bufs_free(bufs_t *b)
{
    free(b->x), free(b->xa), free(b->g), free(b->y), free(b->idx), free(b->lab), free(b->mask);
}

static int fmt_num(char *buf, size_t len, double v) { return snprintf(buf, len, "%g", v); }

int robust_evaluate(model_t *m, const robust_data_t *rd, int split, const robust_config_t *c,
                    robust_report_t *r, char *err)
{
    const train_data_t *d = rd->d;
    const int K = d->n_classes;
    const int n = d->count(d->ctx, split);
    if (n < 1) return st_err(err, "robustness: the split has no items");
    int batch = c->batch < model_max_batch(m) ? c->batch : model_max_batch(m);
    if (batch < 1) return st_err(err, "robustness: batch %d", c->batch);

    /* Clean: the very pass `eval` makes. */
    eval_report_t er;
    if (train_evaluate(m, d, split, batch, &er, err)) return -1;
    double clean = 1.0 - eval_report_accuracy(&er);
    eval_report_free(&er);
    if (add_row(r, "clean", "", clean, err)) return -1;

    const size_t hw = (size_t)d->h * d->w, chw = (size_t)d->c * hw;
    bufs_t b = {0};
    b.x = malloc((size_t)batch * chw * sizeof *b.x);
    b.xa = malloc((size_t)batch * chw * sizeof *b.xa);
    b.g = malloc((size_t)batch * chw * sizeof *b.g);
    b.y = malloc((size_t)batch * K * sizeof *b.y);
    b.idx = malloc((size_t)batch * sizeof *b.idx);
    b.lab = malloc((size_t)batch * sizeof *b.lab);
    b.mask = malloc(hw);
    if (!b.x || !b.xa || !b.g || !b.y || !b.idx || !b.lab || !b.mask) {
        bufs_free(&b);
        return st_err(err, "robustness: out of memory");
    }
    char set[48];
    int rc = -1;

    /* FGSM: one input gradient per batch, then one forward per eps. */
    if (c->n_eps > 0) {
        long wrong[ROBUST_MAX_SETTINGS] = {0};
        for (int s = 0; s < n; s += batch) {
            int nb = n - s < batch ? n - s : batch;
            for (int i = 0; i < nb; i++) b.idx[i] = s + i;
            if (d->batch(d->ctx, split, b.idx, nb, 0, 0, b.x, b.lab, err)) goto done;
            memset(b.y, 0, (size_t)nb * K * sizeof *b.y);
            for (int i = 0; i < nb; i++) b.y[(size_t)i * K + b.lab[i]] = 1.0f;
            model_forward(m, b.x, nb, 0);
            model_loss(m, b.y, nb);
            if (model_input_grad(m, nb, b.g)) {
                st_err(err, "robustness: input gradient failed");
                goto done;
            }
            for (int e = 0; e < c->n_eps; e++) {
                const float eps = (float)c->eps[e], lo = (float)c->lo, hi = (float)c->hi;
                for (size_t j = 0; j < (size_t)nb * chw; j++) {
                    float g = b.g[j], v = b.x[j] + (g > 0 ? eps : g < 0 ? -eps : 0.0f);
                    b.xa[j] = v < lo ? lo : v > hi ? hi : v;
                }
                model_forward(m, b.xa, nb, 0);
                wrong[e] += count_wrong(m, b.lab, nb, K);
            }
        }
        for (int e = 0; e < c->n_eps; e++) {
            fmt_num(set, sizeof set, c->eps[e]);
            if (add_row(r, "fgsm", set, (double)wrong[e] / n, err)) goto done;
        }
    }

    /* Corruptions of the data source, every severity. */
    if (c->corruptions && rd->n_corruptions > 0 && rd->batch_corrupt) {
        double sum = 0;
        for (int k = 0; k < rd->n_corruptions; k++)
            for (int sv = 1; sv <= rd->n_severities; sv++) {
                long wrong = 0;
                for (int s = 0; s < n; s += batch) {
                    int nb = n - s < batch ? n - s : batch;
                    for (int i = 0; i < nb; i++) b.idx[i] = s + i;
                    if (rd->batch_corrupt(d->ctx, split, b.idx, nb, k, sv, c->seed, b.x, b.lab, err)) goto done;
                    model_forward(m, b.x, nb, 0);
                    wrong += count_wrong(m, b.lab, nb, K);
                }
                snprintf(set, sizeof set, "%s:%d", rd->corruption_names[k], sv);
                sum += (double)wrong / n;
                if (add_row(r, "corruption", set, (double)wrong / n, err)) goto done;
            }
        if (add_row(r, "corruption", "mean", sum / (rd->n_corruptions * rd->n_severities), err)) goto done;
    }

    /* Occlusion. */
    for (int o = 0; o < c->n_occl; o++) {
        long wrong = 0;
        for (int s = 0; s < n; s += batch) {
            int nb = n - s < batch ? n - s : batch;
            for (int i = 0; i < nb; i++) b.idx[i] = s + i;
            if (d->batch(d->ctx, split, b.idx, nb, 0, 0, b.x, b.lab, err)) goto done;
            for (int i = 0; i < nb; i++) {
                rng_t g;
                rng_derive(&g, c->seed ^ TAG_OCCL, (uint64_t)o, (uint64_t)b.idx[i]);
                robust_occlusion_mask(b.mask, d->h, d->w, c->occl[o], &g);
                for (int ch = 0; ch < d->c; ch++) {
                    float *xi = b.x + (size_t)i * chw + (size_t)ch * hw;
                    for (size_t j = 0; j < hw; j++)
                        if (b.mask[j]) xi[j] = (float)c->fill;
                }
            }
            model_forward(m, b.x, nb, 0);
            wrong += count_wrong(m, b.lab, nb, K);
        }
        fmt_num(set, sizeof set, c->occl[o]);
        if (add_row(r, "occlusion", set, (double)wrong / n, err)) goto done;
    }
    rc = 0;
done:
    bufs_free(&b);
    return rc;
}

int robust_add_mce(robust_report_t *r, const robust_report_t *base, char *err)
{
    /* Corruption names in order of first appearance in r. */
    double ce_sum = 0;
    int used = 0, seen_any = 0;
    for (int i = 0; i < r->n; i++) {
        const robust_row_t *w = &r->rows[i];
        const char *colon = strchr(w->setting, ':');
        if (strcmp(w->kind, "corruption") || !colon) continue;
        size_t nl = (size_t)(colon - w->setting);
        int first = 1;
        for (int j = 0; j < i && first; j++)
            if (!strcmp(r->rows[j].kind, "corruption") && !strncmp(r->rows[j].setting, w->setting, nl) &&
                r->rows[j].setting[nl] == ':')
                first = 0;
        if (!first) continue;
        seen_any = 1;
        double em = 0, eb = 0;
        for (int j = 0; j < r->n; j++)
            if (!strcmp(r->rows[j].kind, "corruption") && !strncmp(r->rows[j].setting, w->setting, nl) &&
                r->rows[j].setting[nl] == ':') {
                double be = robust_report_get(base, "corruption", r->rows[j].setting);
                if (isnan(be)) return st_err(err, "mCE: the baseline has no corruption row %s", r->rows[j].setting);
                em += r->rows[j].error, eb += be;
            }
        if (eb > 0) ce_sum += em / eb, used++;
    }
    if (!seen_any) return st_err(err, "mCE: the report has no corruption rows");
    if (!used) return st_err(err, "mCE: the baseline makes no corruption errors at all (its error sums are 0)");
    return add_row(r, "corruption", "mce", ce_sum / used, err);
}

int robust_report_write_csv(const robust_report_t *r, const char *path, char *err)
{
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    fprintf(a.f, "kind,setting,error\n");
    for (int i = 0; i < r->n; i++) fprintf(a.f, "%s,%s,%.6f\n", r->rows[i].kind, r->rows[i].setting, r->rows[i].error);
    return afile_commit(&a, err);
}

int robust_report_read_csv(robust_report_t *r, const char *path, char *err)
{
    csv_t t;
    if (csv_read(path, &t, err)) return -1;
    int rc = 0;
    if (t.cols != 3 || strcmp(t.cell[0], "kind") || strcmp(t.cell[1], "setting") || strcmp(t.cell[2], "error"))
        rc = st_err(err, "%s: not a robustness report (header is not kind,setting,error)", path);
    for (int i = 1; !rc && i < t.rows; i++) {
        const char *kind = t.cell[3 * i], *setting = t.cell[3 * i + 1];
        double e;
        if (csv_num(&t, path, i, 2, &e, err)) rc = -1;
        else if (!isfinite(e) || strlen(kind) >= sizeof r->rows[0].kind || strlen(setting) >= sizeof r->rows[0].setting)
            rc = st_err(err, "%s:%d: bad row", path, t.line[i]);
        else rc = add_row(r, kind, setting, e, err);
    }
    csv_free(&t);
    return rc;
}

void robust_report_print(const robust_report_t *r, FILE *f)
{
    fprintf(f, "clean error      %6.2f%%\n", 100 * robust_report_get(r, "clean", ""));
    int any = 0;
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].kind, "fgsm")) {
            fprintf(f, "%s eps %-6s %6.2f%%\n", any ? "             " : "FGSM error   ", r->rows[i].setting,
                    100 * r->rows[i].error);
            any = 1;
        }
    /* Corruption table: one line per corruption, severities across. */
    int header = 0;
    for (int i = 0; i < r->n; i++) {
        const robust_row_t *w = &r->rows[i];
        const char *colon = strchr(w->setting, ':');
        if (strcmp(w->kind, "corruption") || !colon || strcmp(colon, ":1")) continue;
        if (!header) {
            fprintf(f, "corruption error  severity 1      2      3      4      5   mean\n");
            header = 1;
        }
        size_t nl = (size_t)(colon - w->setting);
        fprintf(f, "  %-12.*s    ", (int)nl, w->setting);
        double s = 0;
        int ns = 0;
        for (int j = i; j < r->n; j++)
            if (!strcmp(r->rows[j].kind, "corruption") && !strncmp(r->rows[j].setting, w->setting, nl) &&
                r->rows[j].setting[nl] == ':') {
                fprintf(f, " %6.2f", 100 * r->rows[j].error);
                s += r->rows[j].error, ns++;
            }
        fprintf(f, " %6.2f\n", ns ? 100 * s / ns : NAN);
    }
    double mean = robust_report_get(r, "corruption", "mean"), mce = robust_report_get(r, "corruption", "mce");
    if (!isnan(mean)) fprintf(f, "mean corruption error %6.2f%%\n", 100 * mean);
    if (!isnan(mce)) fprintf(f, "mCE vs baseline       %6.2f%% (sum of errors over severities / the baseline's, averaged)\n", 100 * mce);
    any = 0;
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].kind, "occlusion")) {
            fprintf(f, "%s share %-5s %6.2f%%\n", any ? "             " : "occlusion err", r->rows[i].setting,
                    100 * r->rows[i].error);
            any = 1;
        }
}
