/* det.c: the DET plot: lower envelopes of threshold sweeps as step curves on a log axis. */
#include "viz/det.h"

#include "common/err.h"
#include "viz/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void det_plot_range(const det_curve_t *curves, int n_curves, double *lo, double *hi, double *ylo)
{
    double mn = INFINITY, mx = 0, mm = INFINITY;
    for (int c = 0; c < n_curves; c++)
        for (int i = 0; i < curves[c].n; i++) {
            double x = curves[c].fa_per_hour[i], m = curves[c].miss_rate[i];
            if (x > 0 && x < mn) mn = x;
            if (x > mx) mx = x;
            if (m > 0 && m < mm) mm = m;
        }
    *lo = 0.1, *hi = 10, *ylo = 0.01;
    if (isfinite(mn) && mn < 0.1) *lo = pow(10, floor(log10(mn)));
    if (mx > 10 && isfinite(mx)) *hi = pow(10, ceil(log10(mx)));
    if (isfinite(mm) && mm < 0.01) *ylo = pow(10, floor(log10(mm)));
}

double det_envelope(const det_curve_t *c, double x)
{
    double best = 1.0;
    for (int i = 0; i < c->n; i++)
        if (c->fa_per_hour[i] <= x && c->miss_rate[i] < best) best = c->miss_rate[i];
    return best;
}

typedef struct {
    double llo, lhi; /* log10 of the x range */
    double lylo;     /* log10 of the lowest miss rate shown */
} axes_t;

static int xpix(const axes_t *a, double fa)
{
    if (!(fa > 0)) return DET_X0;
    double t = (log10(fa) - a->llo) / (a->lhi - a->llo);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return DET_X0 + (int)lround(t * (DET_PW - 1));
}

static int ypix(const axes_t *a, double miss)
{
    if (!(miss > 0)) return DET_Y0 + DET_PH - 1;
    double t = (log10(miss) - a->lylo) / -a->lylo;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return DET_Y0 + (int)lround((1.0 - t) * (DET_PH - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The first curve black, the others viridis short of its pale yellow end. */
static void curve_colour(int c, int n, uint8_t col[3])
{
    if (c == 0) col[0] = col[1] = col[2] = 0;
    else colormap_viridis(n > 2 ? 0.85f * (c - 1) / (n - 2) : 0.3f, col);
}

/* One curve's envelope as a step line of thickness t. */
static int draw_curve(canvas_t *cv, const axes_t *a, const det_curve_t *c, int t, const uint8_t col[3])
{
    if (c->n < 1) return 0;
    double *xs = malloc((size_t)c->n * sizeof *xs);
    if (!xs) return -1;
    for (int i = 0; i < c->n; i++) xs[i] = c->fa_per_hour[i];
    qsort(xs, (size_t)c->n, sizeof *xs, cmp_double);
    int px = xpix(a, xs[0]), py = ypix(a, det_envelope(c, xs[0]));
    for (int i = 1; i <= c->n; i++) {
        if (i < c->n && xs[i] == xs[i - 1]) continue;
        int nx = i < c->n ? xpix(a, xs[i]) : DET_X0 + DET_PW - 1;
        canvas_rect(cv, px, py - t / 2, nx - px + 1, t, col);
        if (i == c->n) break;
        int ny = ypix(a, det_envelope(c, xs[i]));
        int y0 = py < ny ? py : ny, y1 = py < ny ? ny : py;
        canvas_rect(cv, nx - t / 2, y0 - t / 2, t, y1 - y0 + t, col);
        px = nx, py = ny;
    }
    free(xs);
    return 0;
}

int det_plot_png(const det_curve_t *curves, int n_curves, double mark_fa, const char *title, const char *path,
                 char *err)
{
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0}, grid[3] = {225, 225, 225},
                         axis[3] = {90, 90, 90}, markc[3] = {160, 160, 160};
    canvas_t cv;
    if (canvas_init(&cv, DET_W, DET_H, white, err)) return -1;
    double lo, hi, ylo;
    det_plot_range(curves, n_curves, &lo, &hi, &ylo);
    axes_t a = {log10(lo), log10(hi), log10(ylo)};
    char s[96];
    /* grid and tick labels: decades on x, 20% steps on y */
    for (double d = lo; d <= hi * 1.0001; d *= 10) {
        int x = xpix(&a, d);
        canvas_rect(&cv, x, DET_Y0, 1, DET_PH, grid);
        snprintf(s, sizeof s, "%g", d);
        canvas_text(&cv, x - canvas_text_width(s, 1) / 2, DET_Y0 + DET_PH + 6, s, 1, axis);
    }
    for (double m = ylo; m <= 1.0001; m *= 10) {
        int y = ypix(&a, m);
        canvas_rect(&cv, DET_X0, y, DET_PW, 1, grid);
        snprintf(s, sizeof s, "%g%%", 100 * m);
        canvas_text(&cv, DET_X0 - 6 - canvas_text_width(s, 1), y - CANVAS_FONT_H / 2, s, 1, axis);
    }
    const char *xl = "FALSE ALARMS PER HOUR (LOG SCALE, 0 AT THE LEFT EDGE)";
    canvas_text(&cv, DET_X0 + (DET_PW - canvas_text_width(xl, 1)) / 2, DET_Y0 + DET_PH + 22, xl, 1, black);
    canvas_text(&cv, DET_X0 - 40, DET_Y0 - 14, "MISS RATE (LOG SCALE, 0 AT THE BOTTOM)", 1, black);
    if (title) canvas_text(&cv, DET_X0, 10, title, 1, black);
    /* the operating-point line, dashed */
    int mx = xpix(&a, mark_fa);
    for (int y = DET_Y0; y < DET_Y0 + DET_PH; y += 6) canvas_rect(&cv, mx, y, 1, 3, markc);
    /* box */
    canvas_rect(&cv, DET_X0 - 1, DET_Y0 - 1, DET_PW + 2, 1, axis);
    canvas_rect(&cv, DET_X0 - 1, DET_Y0 + DET_PH, DET_PW + 2, 1, axis);
    canvas_rect(&cv, DET_X0 - 1, DET_Y0 - 1, 1, DET_PH + 2, axis);
    canvas_rect(&cv, DET_X0 + DET_PW, DET_Y0 - 1, 1, DET_PH + 2, axis);
    /* curves, the first last (on top), then the squares and the legend */
    int rc = 0;
    uint8_t col[3];
    for (int c = n_curves - 1; c >= 0 && rc == 0; c--) {
        curve_colour(c, n_curves, col);
        rc = draw_curve(&cv, &a, &curves[c], c == 0 ? 3 : 1, col);
    }
    for (int c = n_curves - 1; c >= 0 && rc == 0; c--) {
        curve_colour(c, n_curves, col);
        canvas_rect(&cv, mx - 3, ypix(&a, det_envelope(&curves[c], mark_fa)) - 3, 7, 7, col);
    }
    for (int c = 0; c < n_curves && rc == 0; c++) {
        curve_colour(c, n_curves, col);
        double e = det_envelope(&curves[c], mark_fa);
        int ly = DET_Y0 + 4 + c * 14;
        if (ly > DET_H - 12) continue; /* more keywords than the legend holds */
        canvas_rect(&cv, DET_X0 + DET_PW + 14, ly, 10, CANVAS_FONT_H, col);
        snprintf(s, sizeof s, "%.12s %.1f%%", curves[c].name, 100.0 * (1.0 - e));
        canvas_text(&cv, DET_X0 + DET_PW + 30, ly, s, 1, black);
    }
    snprintf(s, sizeof s, "HIT RATE AT %g FA/H", mark_fa);
    canvas_text(&cv, DET_X0 + DET_PW + 14, DET_Y0 - 14, s, 1, black);
    if (rc) st_err(err, "%s: out of memory", path);
    else rc = canvas_write_png(&cv, path, err);
    canvas_free(&cv);
    return rc;
}
