/* Tests for src/viz/chart.h, read back from the written PNG: a bar's height in pixels is its
 * value's share of the axis range times the plot height (the layout chart.h documents), error
 * bars end at value +- error, line plots pass through their points and between them, and the
 * heat map's colours order as the row shares do (not as the raw counts). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pngread.h"
#include "viz/canvas.h"
#include "viz/chart.h"

static char tmpdir[256];
static const uint8_t WHITE[3] = {255, 255, 255};

/* Writes c as PNG and returns the decoded pixels, checked to be the canvas's. */
static uint8_t *roundtrip(canvas_t *c, const char *name)
{
    char path[512], err[ST_ERR_LEN];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ck_assert_msg(canvas_write_png(c, path, err) == 0, "%s", err);
    int w, h;
    uint8_t *px = read_png(path, &w, &h);
    ck_assert_int_eq(w, c->w);
    ck_assert_int_eq(h, c->h);
    ck_assert_int_eq(memcmp(px, c->rgb, (size_t)w * h * 3), 0);
    return px;
}

static int is(const uint8_t *px, int w, int x, int y, const uint8_t rgb[3])
{
    return !memcmp(px + 3 * ((size_t)y * w + x), rgb, 3);
}

static int row_of(const chart_frame_t *f, double v)
{
    return f->fy + f->fh - 1 - (int)lround((v - f->y0) / (f->y1 - f->y0) * (f->fh - 1));
}

enum { G = 3, S = 2, BW = 480, BH = 400 };

/* Finds each series' bars on the bottom row of the plot and checks their heights against the
 * layout's rule and their error bars' ends. */
static void check_bars(const uint8_t *px, const chart_frame_t *f, const double *v, const double *e)
{
    const uint8_t dark[3] = {40, 40, 40};
    const int bottom = f->fy + f->fh - 1, W = BW;
    for (int s = 0; s < S; s++) {
        uint8_t col[3];
        chart_color(s, col);
        int runs = 0;
        for (int x = f->fx; x < f->fx + f->fw; x++) {
            if (!is(px, W, x, bottom, col) || is(px, W, x - 1, bottom, col)) continue;
            int len = 0;
            while (is(px, W, x + len, bottom, col)) len++;
            ck_assert_int_lt(runs, G);
            int g = runs++;
            /* The bars of one group are in series order, left to right, inside their slot. */
            ck_assert_int_ge(x, f->fx + g * f->fw / G);
            ck_assert_int_le(x + len, f->fx + (g + 1) * f->fw / G);
            int height = 0;
            while (is(px, W, x, bottom - height, col)) height++;
            long want = lround((v[g * S + s] - f->y0) / (f->y1 - f->y0) * f->fh);
            ck_assert_msg(height == want, "bar %d/%d: %d pixels for %g in [%g, %g] x %d", g, s, height, v[g * S + s],
                          f->y0, f->y1, f->fh);
            /* The error bar's centre line ends at v + e, with nothing dark above it. */
            int cx = x - 1 + (len + 1) / 2, top = row_of(f, v[g * S + s] + e[g * S + s]);
            if (e[g * S + s] > 0) {
                ck_assert_msg(is(px, W, cx, top, dark), "no error bar top at row %d", top);
                ck_assert(!is(px, W, cx, top - 1, dark));
                ck_assert(is(px, W, cx, row_of(f, v[g * S + s] - e[g * S + s]), dark));
            } else {
                ck_assert(!is(px, W, cx, bottom - height - 1, dark));
            }
        }
        ck_assert_int_eq(runs, G);
    }
}

START_TEST(test_bars_heights_and_error_bars)
{
    const double v[G * S] = {2, 7.5, 5, 1.5, 8, 9.25}, e[G * S] = {0.5, 1, 0, 0.25, 1.5, 0.5};
    const char *groups[G] = {"baseline", "mixup", "randommix"}, *series[S] = {"val", "test"};
    chart_bars_t b = {.title = "top-1", .ylabel = "%", .n_groups = G, .n_series = S, .groups = groups,
                      .series = series, .value = v, .err = e, .y0 = 0, .y1 = 10};
    canvas_t c;
    char err[ST_ERR_LEN];
    chart_frame_t f;
    ck_assert(canvas_init(&c, BW, BH, WHITE, err) == 0);
    ck_assert_msg(chart_bars(&c, 0, 0, BW, BH, &b, &f, err) == 0, "%s", err);
    ck_assert(f.y0 == 0 && f.y1 == 10);
    uint8_t *px = roundtrip(&c, "bars.png");
    check_bars(px, &f, v, e);
    free(px);
    canvas_free(&c);
    /* An axis from 1: bars rise from it (--ymin in `plot bars`). */
    b.y0 = 1, b.y1 = 11;
    ck_assert(canvas_init(&c, BW, BH, WHITE, err) == 0);
    ck_assert(chart_bars(&c, 0, 0, BW, BH, &b, &f, err) == 0);
    ck_assert(f.y0 == 1 && f.y1 == 11);
    px = roundtrip(&c, "bars1.png");
    check_bars(px, &f, v, e);
    free(px);
    canvas_free(&c);
    /* Automatic range: from 0 to at least the highest bar top. */
    b.y0 = b.y1 = 0;
    ck_assert(canvas_init(&c, BW, BH, WHITE, err) == 0);
    ck_assert(chart_bars(&c, 0, 0, BW, BH, &b, &f, err) == 0);
    ck_assert(f.y0 == 0 && f.y1 >= 9.75 && f.y1 <= 20);
    /* Too many bars for the panel is an error, not a smear. */
    ck_assert_int_eq(chart_bars(&c, 0, 0, 70, BH, &b, &f, err), -1);
    ck_assert(strstr(err, "too small"));
    canvas_free(&c);
}
END_TEST

START_TEST(test_lines_through_points)
{
    enum { W = 480, H = 360 };
    const double x0[3] = {1, 2, 3}, y0[3] = {0, 5, 10}, x1[2] = {1, 3}, y1[2] = {2, 2};
    const double *xs[2] = {x0, x1}, *ys[2] = {y0, y1};
    const int np[2] = {3, 2};
    const char *names[2] = {"a", "b"};
    chart_lines_t l = {.title = "loss", .xlabel = "epoch", .n_series = 2, .series = names, .n_points = np,
                       .x = xs, .y = ys, .y0 = 0, .y1 = 10};
    canvas_t c;
    char err[ST_ERR_LEN];
    chart_frame_t f;
    ck_assert(canvas_init(&c, W, H, WHITE, err) == 0);
    ck_assert_msg(chart_lines(&c, 0, 0, W, H, &l, &f, err) == 0, "%s", err);
    ck_assert(f.x0 == 1 && f.x1 == 3 && f.y0 == 0 && f.y1 == 10);
    uint8_t *px = roundtrip(&c, "lines.png");
    uint8_t a[3], b[3];
    chart_color(0, a);
    chart_color(1, b);
#define AT(X, Y) (f.fx + (int)lround(((X) - 1) / 2.0 * (f.fw - 1))), row_of(&f, (Y))
    ck_assert(is(px, W, AT(1, 0), a));
    ck_assert(is(px, W, AT(2, 5), a));
    ck_assert(is(px, W, AT(3, 10), a));
    ck_assert(is(px, W, AT(1.5, 2.5), a)); /* on the segment between two points */
    ck_assert(is(px, W, AT(2.5, 7.5), a));
    ck_assert(is(px, W, AT(2.5, 2), b));
    ck_assert(!is(px, W, AT(1.2, 8), a)); /* away from the line */
    ck_assert(!is(px, W, AT(2.5, 6), b));
#undef AT
    free(px);
    /* No finite point: an error. */
    const double nan1[1] = {NAN};
    const double *xn[1] = {nan1};
    const int one[1] = {1};
    chart_lines_t bad = {.n_series = 1, .n_points = one, .x = xn, .y = xn};
    ck_assert_int_eq(chart_lines(&c, 0, 0, W, H, &bad, &f, err), -1);
    /* Ranges doubles cannot tick (infinite span, or steps below the values' resolution) are
     * errors, not endless tick loops. */
    const double huge[2] = {-1e308, 1e308}, close[2] = {1e17, 1e17 + 64}, two[2] = {0, 1};
    const double *hx[1] = {two}, *hy[1] = {huge}, *cx[1] = {close}, *cy[1] = {two};
    const int n2[1] = {2};
    chart_lines_t wide = {.n_series = 1, .n_points = n2, .x = hx, .y = hy};
    ck_assert_int_eq(chart_lines(&c, 0, 0, W, H, &wide, &f, err), -1);
    chart_lines_t narrow = {.n_series = 1, .n_points = n2, .x = cx, .y = cy};
    ck_assert_int_eq(chart_lines(&c, 0, 0, W, H, &narrow, &f, err), -1);
    canvas_free(&c);
}
END_TEST

START_TEST(test_heat_colours_order_as_row_shares)
{
    enum { K = 4, W = 400, H = 320 };
    /* Row 0's diagonal has the smallest count but the largest share; row 3 has no items. */
    const long counts[K * K] = {10, 0, 0, 0, 50, 100, 50, 0, 3, 1, 0, 0, 0, 0, 0, 0};
    const char *names[K] = {"yes", "no", "_silence_", "_unknown_"};
    chart_heat_t m = {.title = "confusion", .n = K, .names = names, .counts = counts};
    canvas_t c;
    char err[ST_ERR_LEN];
    chart_frame_t f;
    ck_assert(canvas_init(&c, W, H, WHITE, err) == 0);
    ck_assert_msg(chart_heat(&c, 0, 0, W, H, &m, &f, err) == 0, "%s", err);
    ck_assert_int_ge(f.cell, 4);
    uint8_t *px = roundtrip(&c, "heat.png");
    double share[K * K];
    int green[K * K];
    for (int i = 0; i < K; i++) {
        long tot = 0;
        for (int j = 0; j < K; j++) tot += counts[i * K + j];
        for (int j = 0; j < K; j++) {
            share[i * K + j] = tot ? (double)counts[i * K + j] / tot : 0;
            const uint8_t *p = px + 3 * ((size_t)(f.fy + i * f.cell + 1) * W + f.fx + j * f.cell + 1);
            uint8_t want[3];
            colormap_viridis((float)share[i * K + j], want);
            ck_assert_msg(!memcmp(p, want, 3), "cell %d,%d", i, j);
            green[i * K + j] = p[1]; /* viridis' green rises monotonically */
        }
    }
    for (int a = 0; a < K * K; a++)
        for (int b = 0; b < K * K; b++) {
            if (share[a] < share[b] - 0.01) ck_assert_msg(green[a] < green[b], "cells %d and %d out of order", a, b);
            if (share[a] == share[b]) ck_assert_int_eq(green[a], green[b]);
        }
    free(px);
    ck_assert_int_eq(chart_heat(&c, 0, 0, 60, 60, &m, &f, err), -1);
    canvas_free(&c);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st_chart_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("chart");
    TCase *tc = tcase_create("chart");
    tcase_add_test(tc, test_bars_heights_and_error_bars);
    tcase_add_test(tc, test_lines_through_points);
    tcase_add_test(tc, test_heat_colours_order_as_row_shares);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    check_rm_tmpdir(tmpdir);
    return status;
}
