/* chart.c: the bar, line and heat-map panels of chart.h. */
#include "viz/chart.h"

#include "common/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Panel margins around the plot area: title and y label above, tick labels left, group
 * labels (two staggered rows) and the legend below. */
enum { TOP = 40, LEFT = 52, RIGHT = 12, BOTTOM = 46, MAX_TICKS = 40 };

static const uint8_t BLACK[3] = {0, 0, 0}, GRID[3] = {225, 225, 225}, DARK[3] = {40, 40, 40},
                     WHITE[3] = {255, 255, 255};

/* Tableau's categorical colours without its grey. */
static const uint8_t palette[CHART_COLORS][3] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
    {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207},
};

void chart_color(int s, uint8_t rgb[3])
{
    memcpy(rgb, palette[((s % CHART_COLORS) + CHART_COLORS) % CHART_COLORS], 3);
}

/* A tick step of 1, 2 or 5 times a power of ten giving about five ticks over [lo, hi], and
 * [lo, hi] widened to multiples of it; 0 when the range cannot be drawn (not finite, or so
 * narrow against its magnitude that doubles cannot resolve the ticks). */
static double nice_range(double *lo, double *hi)
{
    if (!(*hi > *lo)) *hi = *lo + fmax(1, fabs(*lo) * 1e-3);
    if (!isfinite(*hi - *lo) || (*hi - *lo) < 1e-9 * fmax(fabs(*lo), fabs(*hi))) return 0;
    double raw = (*hi - *lo) / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    return step;
}

static void tick_label(char *buf, size_t n, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", dec, fabs(v) < 1e-12 ? 0.0 : v);
}

static int row_of(const chart_frame_t *f, double v)
{
    return f->fy + f->fh - 1 - (int)lround((v - f->y0) / (f->y1 - f->y0) * (f->fh - 1));
}

static int col_of(const chart_frame_t *f, double v)
{
    return f->fx + (int)lround((v - f->x0) / (f->x1 - f->x0) * (f->fw - 1));
}

/* Title, y label, horizontal grid lines with their labels, and the axis lines. */
static void draw_axes(canvas_t *c, int x, int y, const char *title, const char *ylabel, const chart_frame_t *f,
                      double step)
{
    if (title) canvas_text(c, x + LEFT, y + 4, title, 2, BLACK);
    if (ylabel) canvas_text(c, x + 4, y + 26, ylabel, 1, BLACK);
    for (int k = 0; k <= MAX_TICKS; k++) {
        double v = f->y0 + k * step;
        if (v > f->y1 + step * 1e-6) break;
        int r = row_of(f, v);
        canvas_rect(c, f->fx, r, f->fw, 1, GRID);
        char buf[32];
        tick_label(buf, sizeof buf, v, step);
        canvas_text(c, f->fx - 6 - canvas_text_width(buf, 1), r - 3, buf, 1, BLACK);
    }
    canvas_rect(c, f->fx - 1, f->fy, 1, f->fh + 1, BLACK);
    canvas_rect(c, f->fx - 1, f->fy + f->fh, f->fw + 1, 1, BLACK);
}

/* Labels centred under n slots of `slot` pixels from x0; two staggered rows when any is
 * wider than its slot. */
static void draw_slot_labels(canvas_t *c, int x0, double slot, int n, const char *const *names, int ytop)
{
    int stagger = 0;
    for (int i = 0; i < n; i++) stagger |= canvas_text_width(names[i], 1) > slot - 2;
    for (int i = 0; i < n; i++) {
        int cx = x0 + (int)lround((i + 0.5) * slot);
        canvas_text(c, cx - canvas_text_width(names[i], 1) / 2, ytop + (stagger && (i & 1) ? 10 : 0), names[i], 1,
                    BLACK);
    }
}

static void draw_legend(canvas_t *c, int x, int y, int n, const char *const *names)
{
    for (int s = 0; s < n && names; s++) {
        uint8_t col[3];
        chart_color(s, col);
        canvas_rect(c, x, y, 8, 8, col);
        x += 12 + canvas_text(c, x + 12, y + 1, names[s], 1, BLACK) + 14;
    }
}

static void frame_init(chart_frame_t *f, int x, int y, int w, int h)
{
    memset(f, 0, sizeof *f);
    f->fx = x + LEFT, f->fy = y + TOP, f->fw = w - LEFT - RIGHT, f->fh = h - TOP - BOTTOM;
}

int chart_bars(canvas_t *c, int x, int y, int w, int h, const chart_bars_t *b, chart_frame_t *frame, char *err)
{
    const int G = b->n_groups, S = b->n_series;
    if (G < 1 || S < 1) return st_err(err, "bar chart: %d groups of %d series (need at least one)", G, S);
    chart_frame_t f;
    frame_init(&f, x, y, w, h);
    const double slot = (double)f.fw / G;
    const int bw = (int)(slot * 0.8) / S;
    if (f.fh < 20 || bw < 1) return st_err(err, "bar chart: %dx%d is too small for %d x %d bars", w, h, G, S);
    double lo = b->y0, hi = b->y1, step;
    if (lo == hi) {
        lo = 0, hi = 0;
        for (int i = 0; i < G * S; i++) {
            double v = b->value[i] + (b->err && isfinite(b->err[i]) ? fabs(b->err[i]) : 0);
            if (isfinite(v) && v > hi) hi = v;
        }
        step = nice_range(&lo, &hi);
    } else {
        double l2 = lo, h2 = hi;
        step = lo < hi ? nice_range(&l2, &h2) : 0;
    }
    if (!(step > 0)) return st_err(err, "bar chart: the axis range [%g, %g] cannot be drawn", lo, hi);
    f.y0 = lo, f.y1 = hi;
    draw_axes(c, x, y, b->title, b->ylabel, &f, step);
    for (int g = 0; g < G; g++)
        for (int s = 0; s < S; s++) {
            double v = b->value[g * S + s];
            if (!isfinite(v)) continue;
            int bx = f.fx + (int)(g * slot) + (int)((slot - bw * S) / 2) + s * bw;
            int bh = (int)lround((v - f.y0) / (f.y1 - f.y0) * f.fh);
            if (bh > f.fh) bh = f.fh;
            uint8_t col[3];
            chart_color(s, col);
            if (bh > 0) canvas_rect(c, bx + (bw > 2), f.fy + f.fh - bh, bw - (bw > 2), bh, col);
            double e = b->err ? fabs(b->err[g * S + s]) : 0;
            if (!(e > 0) || !isfinite(e)) continue;
            int r0 = row_of(&f, fmin(v + e, f.y1)), r1 = row_of(&f, fmax(v - e, f.y0)), cx = bx + bw / 2;
            int cap = bw / 4 > 1 ? bw / 4 : 1;
            canvas_rect(c, cx, r0, 1, r1 - r0 + 1, DARK);
            canvas_rect(c, cx - cap, r0, 2 * cap + 1, 1, DARK);
            canvas_rect(c, cx - cap, r1, 2 * cap + 1, 1, DARK);
        }
    if (b->groups) draw_slot_labels(c, f.fx, slot, G, b->groups, f.fy + f.fh + 5);
    draw_legend(c, f.fx, f.fy + f.fh + 30, S, b->series);
    if (frame) *frame = f;
    return 0;
}

/* A 2-pixel wide line from (x0, y0) to (x1, y1) (Bresenham). */
static void thick_line(canvas_t *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        canvas_rect(c, x0, y0, 2, 2, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}

int chart_lines(canvas_t *c, int x, int y, int w, int h, const chart_lines_t *l, chart_frame_t *frame, char *err)
{
    chart_frame_t f;
    frame_init(&f, x, y, w, h);
    if (f.fw < 20 || f.fh < 20) return st_err(err, "line plot: %dx%d is too small", w, h);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < l->n_series; s++)
        for (int i = 0; i < l->n_points[s]; i++) {
            double px = l->x[s][i], py = l->y[s][i];
            if (!isfinite(px) || !isfinite(py)) continue;
            xlo = fmin(xlo, px), xhi = fmax(xhi, px), ylo = fmin(ylo, py), yhi = fmax(yhi, py);
        }
    if (!(xlo <= xhi)) return st_err(err, "line plot: no finite points");
    if (l->y0 != l->y1) ylo = l->y0, yhi = l->y1;
    double lo = ylo, hi = yhi, step = nice_range(&lo, &hi);
    if (l->y0 != l->y1) lo = ylo, hi = yhi;
    if (!(xhi > xlo)) xhi = xlo + 1;
    double xl = xlo, xh = xhi, xstep = nice_range(&xl, &xh);
    if (!(step > 0) || !(xstep > 0) || !(hi > lo)) return st_err(err, "line plot: values out of the drawable range");
    f.y0 = lo, f.y1 = hi;
    f.x0 = xlo, f.x1 = xhi;
    draw_axes(c, x, y, l->title, l->ylabel, &f, step);
    for (int k = 0; k <= MAX_TICKS; k++) {
        double v = xl + k * xstep;
        if (v > xhi + xstep * 1e-6) break;
        if (v < xlo - xstep * 1e-6) continue;
        char buf[32];
        tick_label(buf, sizeof buf, v, xstep);
        int cx = col_of(&f, v);
        canvas_rect(c, cx, f.fy + f.fh, 1, 4, BLACK);
        canvas_text(c, cx - canvas_text_width(buf, 1) / 2, f.fy + f.fh + 6, buf, 1, BLACK);
    }
    if (l->xlabel) canvas_text(c, f.fx + f.fw - canvas_text_width(l->xlabel, 1), f.fy + f.fh + 16, l->xlabel, 1, BLACK);
    for (int s = 0; s < l->n_series; s++) {
        uint8_t col[3];
        chart_color(s, col);
        int have = 0, pc = 0, pr = 0;
        for (int i = 0; i < l->n_points[s]; i++) {
            double px = l->x[s][i], py = l->y[s][i];
            if (!isfinite(px) || !isfinite(py)) {
                have = 0;
                continue;
            }
            py = fmin(fmax(py, f.y0), f.y1);
            int cc = col_of(&f, px), rr = row_of(&f, py);
            if (have) thick_line(c, pc, pr, cc, rr, col);
            else canvas_rect(c, cc, rr, 2, 2, col);
            have = 1, pc = cc, pr = rr;
        }
    }
    draw_legend(c, f.fx, f.fy + f.fh + 30, l->n_series, l->series);
    if (frame) *frame = f;
    return 0;
}

int chart_heat(canvas_t *c, int x, int y, int w, int h, const chart_heat_t *m, chart_frame_t *frame, char *err)
{
    const int n = m->n;
    if (n < 1) return st_err(err, "heat map: no classes");
    int names_w = 0;
    for (int i = 0; i < n; i++) {
        int tw = canvas_text_width(m->names[i], 1);
        if (tw > names_w) names_w = tw;
    }
    chart_frame_t f;
    memset(&f, 0, sizeof f);
    f.fx = x + names_w + 12, f.fy = y + TOP;
    int avail_w = x + w - RIGHT - f.fx, avail_h = h - TOP - BOTTOM;
    f.cell = (avail_w < avail_h ? avail_w : avail_h) / n;
    if (f.cell < 4) return st_err(err, "heat map: %dx%d is too small for %d classes", w, h, n);
    f.fw = f.fh = f.cell * n;
    f.y0 = 0, f.y1 = 1;
    if (m->title) canvas_text(c, f.fx, y + 4, m->title, 2, BLACK);
    canvas_text(c, x + 4, y + 26, "true", 1, BLACK);
    canvas_text(c, f.fx + f.fw - canvas_text_width("predicted", 1), f.fy + f.fh + 30, "predicted", 1, BLACK);
    for (int i = 0; i < n; i++) {
        long total = 0;
        for (int j = 0; j < n; j++) total += m->counts[(size_t)i * n + j];
        for (int j = 0; j < n; j++) {
            long k = m->counts[(size_t)i * n + j];
            float t = total > 0 ? (float)((double)k / (double)total) : 0.0f;
            uint8_t col[3];
            colormap_viridis(t, col);
            int cx = f.fx + j * f.cell, cy = f.fy + i * f.cell;
            canvas_rect(c, cx, cy, f.cell, f.cell, col);
            char buf[24];
            snprintf(buf, sizeof buf, "%ld", k);
            int tw = canvas_text_width(buf, 1);
            if (k > 0 && tw <= f.cell - 4 && f.cell >= CANVAS_FONT_H + 4)
                canvas_text(c, cx + (f.cell - tw) / 2, cy + (f.cell - CANVAS_FONT_H) / 2, buf, 1,
                            t < 0.5f ? WHITE : BLACK);
        }
        canvas_text(c, f.fx - 6 - canvas_text_width(m->names[i], 1), f.fy + i * f.cell + (f.cell - CANVAS_FONT_H) / 2,
                    m->names[i], 1, BLACK);
    }
    draw_slot_labels(c, f.fx, f.cell, n, m->names, f.fy + f.fh + 5);
    if (frame) *frame = f;
    return 0;
}
