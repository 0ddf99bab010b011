/* cmd_plot.c: `speechtrain plot bars|curves|confusion`: PNG charts (src/viz/chart.h) of the
 * CSV files the other commands write: experiment tables, a run's log.csv, a confusion matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/util.h"
#include "common/csv.h"
#include "common/err.h"
#include "viz/canvas.h"
#include "viz/chart.h"

#define MAX_LIST 16
#define MAX_LOGS CHART_COLORS

static void plot_help(void)
{
    printf("usage: speechtrain plot bars TABLE.csv --x COL --y COLS [--err COLS] --out FILE.png [options]\n"
           "       speechtrain plot curves LOG.csv [LOG.csv ...] --out FILE.png [options]\n"
           "       speechtrain plot confusion CONFUSION.csv --out FILE.png [options]\n\n"
           "PNG charts of the CSV files speechtrain and scripts/experiment.sh write.\n"
           "  bars       one group of bars per row of TABLE.csv, labelled by column --x, one bar per\n"
           "             column of --y (e.g. val_mean,test_mean), error bars from --err (e.g. the std\n"
           "             columns, in the same order)\n"
           "  curves     a run's log.csv per epoch: loss (left) and accuracy in %% (right); one log\n"
           "             shows train and val, several logs show train loss and val accuracy of each\n"
           "  confusion  a *_confusion.csv (eval --out, train's test_confusion.csv) as a heat map,\n"
           "             colour = share of the true class's items, counts written in the cells\n\n"
           "  --out FILE.png   output picture (written atomically) [required]\n"
           "  --title TEXT     title [the file's name]\n"
           "  --ylabel TEXT    (bars) y axis label\n"
           "  --names LIST     (bars) legend entries for the --y columns; (curves) one name per log\n"
           "                   [the column names; the log's folder name]\n"
           "  --ymin V --ymax V  (bars) fixed axis range, bars rise from V (e.g. 90 100 for close\n"
           "                   accuracies) [0 to a tick above the tallest bar]\n"
           "  --width N, --height N  picture size in pixels [fitted to the data]\n");
}

/* A table: a header and at least one row. */
static int table_read(const char *path, csv_t *t, char *err)
{
    if (csv_read(path, t, err)) return -1;
    if (t->rows < 2) return csv_free(t), st_err(err, "%s: no rows after the header", path);
    return 0;
}

/* Splits a comma list into at most MAX_LIST items of buf. */
static int split_list(const char *flag, const char *s, char *buf, size_t n, char **items, int *count, char *err)
{
    snprintf(buf, n, "%s", s);
    *count = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*count == MAX_LIST) return st_err(err, "%s: at most %d items", flag, MAX_LIST);
        items[(*count)++] = tok;
    }
    if (!*count) return st_err(err, "%s: empty list", flag);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static const uint8_t WHITE[3] = {255, 255, 255};

typedef struct {
    const char *out, *title, *ylabel, *names, *xcol, *ycols, *ecols;
    int width, height;
    double ymin, ymax; /* bars: fixed axis range when ymin < ymax */
    const char *files[MAX_LOGS];
    int n_files;
} plot_args_t;

static int plot_bars(const plot_args_t *a, canvas_t *cv, char *err)
{
    if (a->n_files != 1 || !a->xcol || !a->ycols)
        return st_err(err, "plot bars: one TABLE.csv, --x COL and --y COLS are required");
    const char *path = a->files[0];
    char ybuf[1024], ebuf[1024], nbuf[1024];
    char *ys[MAX_LIST], *es[MAX_LIST], *ns[MAX_LIST];
    int ny, ne = 0, nn = 0;
    if (split_list("--y", a->ycols, ybuf, sizeof ybuf, ys, &ny, err)) return -1;
    if (a->ecols && split_list("--err", a->ecols, ebuf, sizeof ebuf, es, &ne, err)) return -1;
    if (a->names && split_list("--names", a->names, nbuf, sizeof nbuf, ns, &nn, err)) return -1;
    if (ne && ne != ny) return st_err(err, "--err: %d columns for %d --y columns", ne, ny);
    if (nn && nn != ny) return st_err(err, "--names: %d names for %d --y columns", nn, ny);
    csv_t t;
    if (table_read(path, &t, err)) return -1;
    int G = t.rows - 1, rc = -1, xk, yk[MAX_LIST], ek[MAX_LIST];
    double *val = malloc((size_t)G * ny * sizeof *val), *ev = malloc((size_t)G * ny * sizeof *ev);
    const char **groups = malloc((size_t)G * sizeof *groups);
    if (!val || !ev || !groups) {
        st_err(err, "plot bars: out of memory");
        goto done;
    }
    if ((xk = csv_col(&t, path, a->xcol, err)) < 0) goto done;
    for (int s = 0; s < ny; s++) {
        if ((yk[s] = csv_col(&t, path, ys[s], err)) < 0) goto done;
        if (ne && (ek[s] = csv_col(&t, path, es[s], err)) < 0) goto done;
    }
    for (int g = 0; g < G; g++) {
        groups[g] = t.cell[(size_t)(g + 1) * t.cols + xk];
        for (int s = 0; s < ny; s++) {
            if (csv_num(&t, path, g + 1, yk[s], &val[g * ny + s], err)) goto done;
            ev[g * ny + s] = 0;
            if (ne && csv_num(&t, path, g + 1, ek[s], &ev[g * ny + s], err)) goto done;
        }
    }
    int w = a->width ? a->width : 64 + G * (ny * 14 > 56 ? ny * 14 : 56), h = a->height ? a->height : 400;
    if (!a->width && w < 480) w = 480;
    chart_bars_t b = {.title = a->title ? a->title : base_name(path), .ylabel = a->ylabel, .n_groups = G,
                      .n_series = ny, .groups = groups, .series = (const char *const *)(nn ? ns : ys),
                      .value = val, .err = ne ? ev : NULL, .y0 = a->ymin, .y1 = a->ymax};
    if (canvas_init(cv, w, h, WHITE, err) == 0) rc = chart_bars(cv, 0, 0, w, h, &b, NULL, err);
done:
    free(val);
    free(ev);
    free(groups);
    csv_free(&t);
    return rc;
}

/* log.csv columns the curves use. */
enum { C_EPOCH, C_TLOSS, C_VLOSS, C_TACC, C_VACC, NCOL };
static const char *const log_cols[NCOL] = {"epoch", "train_loss", "val_loss", "train_acc", "val_acc"};

static int plot_curves(const plot_args_t *a, canvas_t *cv, char *err)
{
    const int L = a->n_files;
    if (L < 1) return st_err(err, "plot curves: at least one LOG.csv is required");
    char nbuf[1024], dirs[MAX_LOGS][256];
    char *ns[MAX_LIST];
    int nn = 0, rc = -1;
    if (a->names && split_list("--names", a->names, nbuf, sizeof nbuf, ns, &nn, err)) return -1;
    if (nn && nn != L) return st_err(err, "--names: %d names for %d logs", nn, L);
    csv_t t[MAX_LOGS];
    double *col[MAX_LOGS][NCOL];
    int n[MAX_LOGS];
    memset(t, 0, sizeof t);
    memset(col, 0, sizeof col);
    for (int f = 0; f < L; f++) {
        if (table_read(a->files[f], &t[f], err)) goto done;
        n[f] = t[f].rows - 1;
        for (int k = 0; k < NCOL; k++) {
            int ck = csv_col(&t[f], a->files[f], log_cols[k], err);
            if (ck < 0) goto done;
            if (!(col[f][k] = malloc((size_t)n[f] * sizeof(double)))) {
                st_err(err, "plot curves: out of memory");
                goto done;
            }
            for (int r = 0; r < n[f]; r++) {
                if (csv_num(&t[f], a->files[f], r + 1, ck, &col[f][k][r], err)) goto done;
                if (k == C_TACC || k == C_VACC) col[f][k][r] *= 100;
            }
        }
        /* The run's folder names the log: runs/mixup-seed1/log.csv -> mixup-seed1. */
        snprintf(dirs[f], sizeof dirs[f], "%s", a->files[f]);
        char *slash = strrchr(dirs[f], '/');
        if (slash) *slash = 0, memmove(dirs[f], base_name(dirs[f]), strlen(base_name(dirs[f])) + 1);
    }
    /* One log: train and val of it; several: train loss and val accuracy of each. */
    const double *lx[MAX_LOGS], *ly[MAX_LOGS], *ax[MAX_LOGS], *ay[MAX_LOGS];
    const char *names[MAX_LOGS];
    int np[MAX_LOGS], S;
    if (L == 1) {
        static const char *const tv[2] = {"train", "val"};
        S = 2;
        for (int s = 0; s < 2; s++) {
            lx[s] = ax[s] = col[0][C_EPOCH], np[s] = n[0], names[s] = tv[s];
            ly[s] = col[0][s ? C_VLOSS : C_TLOSS], ay[s] = col[0][s ? C_VACC : C_TACC];
        }
    } else {
        S = L;
        for (int s = 0; s < L; s++) {
            lx[s] = ax[s] = col[s][C_EPOCH], np[s] = n[s], names[s] = nn ? ns[s] : dirs[s];
            ly[s] = col[s][C_TLOSS], ay[s] = col[s][C_VACC];
        }
    }
    int w = a->width ? a->width : 960, h = a->height ? a->height : 400;
    chart_lines_t loss = {.title = a->title ? a->title : (L == 1 ? dirs[0] : "training"),
                          .xlabel = "epoch", .ylabel = L == 1 ? "loss" : "train loss", .n_series = S,
                          .series = names, .n_points = np, .x = lx, .y = ly};
    chart_lines_t acc = {.title = L == 1 ? "accuracy (%)" : "val accuracy (%)", .xlabel = "epoch",
                         .ylabel = "%", .n_series = S, .series = names, .n_points = np, .x = ax, .y = ay};
    if (canvas_init(cv, w, h, WHITE, err) == 0 && chart_lines(cv, 0, 0, w / 2, h, &loss, NULL, err) == 0)
        rc = chart_lines(cv, w / 2, 0, w - w / 2, h, &acc, NULL, err);
done:
    for (int f = 0; f < L; f++) {
        csv_free(&t[f]);
        for (int k = 0; k < NCOL; k++) free(col[f][k]);
    }
    return rc;
}

static int plot_confusion(const plot_args_t *a, canvas_t *cv, char *err)
{
    if (a->n_files != 1) return st_err(err, "plot confusion: one CONFUSION.csv is required");
    const char *path = a->files[0];
    csv_t t;
    if (table_read(path, &t, err)) return -1;
    int K = t.cols - 1, rc = -1;
    if (K < 1 || t.rows - 1 != K) {
        st_err(err, "%s: %d rows of %d classes: not a square confusion matrix", path, t.rows - 1, K);
        return csv_free(&t), -1;
    }
    long *counts = malloc((size_t)K * K * sizeof *counts);
    const char **names = malloc((size_t)K * sizeof *names);
    if (!counts || !names) {
        st_err(err, "plot confusion: out of memory");
        goto done;
    }
    int names_w = 0;
    for (int i = 0; i < K; i++) {
        names[i] = t.cell[i + 1];
        if (strcmp(names[i], t.cell[(size_t)(i + 1) * t.cols])) {
            st_err(err, "%s:%d: row '%s' where the header's class %d is '%s'", path, t.line[i + 1],
                   t.cell[(size_t)(i + 1) * t.cols], i + 1, names[i]);
            goto done;
        }
        int tw = canvas_text_width(names[i], 1);
        if (tw > names_w) names_w = tw;
        for (int j = 0; j < K; j++) {
            double v;
            if (csv_num(&t, path, i + 1, j + 1, &v, err)) goto done;
            if (v < 0 || v != floor(v) || v > 1e15) {
                st_err(err, "%s:%d: count '%s' is not a whole number >= 0", path, t.line[i + 1],
                       t.cell[(size_t)(i + 1) * t.cols + j + 1]);
                goto done;
            }
            counts[(size_t)i * K + j] = (long)v;
        }
    }
    int cell = 36, w = a->width ? a->width : names_w + 24 + K * cell, h = a->height ? a->height : 40 + K * cell + 46;
    chart_heat_t m = {.title = a->title ? a->title : base_name(path), .n = K, .names = names, .counts = counts};
    if (canvas_init(cv, w, h, WHITE, err) == 0) rc = chart_heat(cv, 0, 0, w, h, &m, NULL, err);
done:
    free(counts);
    free(names);
    csv_free(&t);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    if (argc < 2) return cli_fail(CLI_USAGE, "plot: bars, curves or confusion expected (see speechtrain plot --help)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return plot_help(), CLI_OK;
    const char *kind = argv[1];
    int (*draw)(const plot_args_t *, canvas_t *, char *) = !strcmp(kind, "bars")        ? plot_bars
                                                           : !strcmp(kind, "curves")    ? plot_curves
                                                           : !strcmp(kind, "confusion") ? plot_confusion
                                                                                        : NULL;
    if (!draw) return cli_failf(CLI_USAGE, "plot: '%s' is not bars, curves or confusion", kind);
    plot_args_t a = {0};
    const opt_flag_t flags[] = {
        {"--out", OPT_STR, &a.out, 0, 0},     {"--title", OPT_STR, &a.title, 0, 0},
        {"--ylabel", OPT_STR, &a.ylabel, 0, 0}, {"--names", OPT_STR, &a.names, 0, 0},
        {"--x", OPT_STR, &a.xcol, 0, 0},      {"--y", OPT_STR, &a.ycols, 0, 0},
        {"--err", OPT_STR, &a.ecols, 0, 0},   {"--width", OPT_INT, &a.width, 64, 16384},
        {"--height", OPT_INT, &a.height, 64, 16384},
        {"--ymin", OPT_DOUBLE, &a.ymin, -1e300, 1e300}, {"--ymax", OPT_DOUBLE, &a.ymax, -1e300, 1e300},
    };
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return plot_help(), CLI_OK;
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r < 0) return cli_fail(CLI_USAGE, err);
        if (r > 0) continue;
        if (argv[i][0] == '-' && argv[i][1]) return cli_failf(CLI_USAGE, "plot: unknown option '%s'", argv[i]);
        if (a.n_files == MAX_LOGS) return cli_failf(CLI_USAGE, "plot: at most %d input files", MAX_LOGS);
        a.files[a.n_files++] = argv[i];
    }
    if (!a.out) return cli_fail(CLI_USAGE, "plot: --out FILE.png is required");
    if ((a.ymin != 0 || a.ymax != 0) && !(a.ymin < a.ymax))
        return cli_failf(CLI_USAGE, "plot: --ymin %g must be below --ymax %g (give both)", a.ymin, a.ymax);
    if (cli_check_out_path("--out", a.out, err)) return cli_fail(CLI_FAIL, err);
    canvas_t cv = {0};
    int rc = draw(&a, &cv, err);
    if (rc == 0) rc = canvas_write_png(&cv, a.out, err);
    canvas_free(&cv);
    if (rc) return cli_fail(CLI_FAIL, err);
    printf("wrote %s\n", a.out);
    return CLI_OK;
}
