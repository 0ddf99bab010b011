/* test_det.c: the DET plot (src/viz/det.c) read back from its PNG. The curves come from a
 * hand-written sweep in the format of `detect --det` (tests/fixtures/viz/det_curve.csv) whose
 * raw points are not monotone (a higher threshold with more misses at the same false-alarm
 * rate, a keyword with fewer misses at a higher threshold): the black "all" curve must be the
 * lower envelope, non-increasing in miss rate left to right, at the rows and columns the
 * documented layout puts each point, with the 1 FA/h operating point marked. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "pngread.h"
#include "viz/det.h"

enum { MAXP = 64 };
static double fa[3][MAXP], miss[3][MAXP];
static int np[3];
static const char *names[3] = {"all", "yes", "no"};
static char tmpdir[256];

static void load_csv(void)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/viz/det_curve.csv", check_fixtures_dir());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no %s", path);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    memset(np, 0, sizeof np);
    while (fgets(line, sizeof line, f)) {
        char kw[32];
        double t, m, x;
        ck_assert_int_eq(sscanf(line, "%lf,%31[^,],%lf,%lf", &t, kw, &m, &x), 4);
        for (int c = 0; c < 3; c++)
            if (!strcmp(kw, names[c])) fa[c][np[c]] = x, miss[c][np[c]++] = m;
    }
    fclose(f);
    ck_assert_int_eq(np[0], 7);
}

/* The layout's mapping, written from det.h's description (x range 0.1 .. 1000 and y range
 * 1% .. 100% for this CSV; both logarithmic). */
static int col_of(double x)
{
    if (x <= 0) return DET_X0;
    return DET_X0 + (int)lround((log10(x) + 1.0) / 4.0 * (DET_PW - 1));
}
static int row_of(double m)
{
    if (m <= 0) return DET_Y0 + DET_PH - 1;
    return DET_Y0 + (int)lround((1.0 - (log10(m) + 2.0) / 2.0) * (DET_PH - 1));
}

/* lowest miss rate among points with at most x false alarms per hour */
static double envelope(int c, double x)
{
    double best = 1.0;
    for (int i = 0; i < np[c]; i++)
        if (fa[c][i] <= x && miss[c][i] < best) best = miss[c][i];
    return best;
}

static int is_black(const uint8_t *px, int w, int x, int y)
{
    const uint8_t *p = px + 3 * ((size_t)y * w + x);
    return p[0] == 0 && p[1] == 0 && p[2] == 0;
}

/* topmost black row of column x inside the plot box, -1 if none */
static int top_black(const uint8_t *px, int w, int x)
{
    for (int y = DET_Y0; y < DET_Y0 + DET_PH; y++)
        if (is_black(px, w, x, y)) return y;
    return -1;
}

START_TEST(test_det_png_envelope)
{
    load_csv();
    det_curve_t cv[3];
    for (int c = 0; c < 3; c++) cv[c] = (det_curve_t){names[c], np[c], fa[c], miss[c]};
    double lo, hi, ylo;
    det_plot_range(cv, 3, &lo, &hi, &ylo);
    ck_assert_double_eq_tol(lo, 0.1, 1e-12);
    ck_assert_double_eq_tol(hi, 1000, 1e-9);
    ck_assert_double_eq_tol(ylo, 0.01, 1e-12);
    ck_assert_double_eq_tol(det_envelope(&cv[0], 1.0), 0.55, 1e-12);
    ck_assert_double_eq_tol(det_envelope(&cv[0], 36.0), 0.25, 1e-12);
    char path[300], err[ST_ERR_LEN];
    snprintf(path, sizeof path, "%s/det.png", tmpdir);
    ck_assert_msg(det_plot_png(cv, 3, 1.0, "DET TEST", path, err) == 0, "%s", err);
    int w, h;
    uint8_t *px = read_png(path, &w, &h);
    ck_assert_int_eq(w, DET_W);
    ck_assert_int_eq(h, DET_H);
    /* the black curve: present in every column, never rising (the 1 FA/h square aside) */
    const int mark = col_of(1.0);
    int prev = -1;
    for (int x = DET_X0; x < DET_X0 + DET_PW; x++) {
        if (abs(x - mark) <= 3) continue;
        int t = top_black(px, w, x);
        ck_assert_msg(t >= 0, "no curve in column %d", x);
        ck_assert_msg(t >= prev, "curve rises at column %d (row %d after %d)", x, t, prev);
        prev = t;
    }
    /* just right of each point the curve lies at its envelope value (3 px thick: row - 1) */
    for (int i = 0; i < np[0]; i++) {
        int x = col_of(fa[0][i]) + 2;
        if (abs(x - mark) <= 3 || x >= DET_X0 + DET_PW) continue;
        ck_assert_int_eq(top_black(px, w, x), row_of(envelope(0, fa[0][i])) - 1);
    }
    /* the raw point (36 FA/h, 40% miss) that is not on the envelope is not drawn in black */
    ck_assert(!is_black(px, w, col_of(36.0) + 2, row_of(0.40)));
    /* the operating point: a 7x7 black square at 1 FA/h on the envelope */
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) ck_assert(is_black(px, w, mark + dx, row_of(0.55) + dy));
    /* the axis labels are drawn: black text below the box and above it */
    int below = 0, above = 0;
    for (int y = DET_Y0 + DET_PH + 18; y < DET_H; y++)
        for (int x = DET_X0; x < DET_X0 + DET_PW; x++) below += is_black(px, w, x, y);
    for (int y = DET_Y0 - 16; y < DET_Y0 - 2; y++)
        for (int x = 0; x < DET_X0 + 40; x++) above += is_black(px, w, x, y);
    ck_assert_int_gt(below, 100);
    ck_assert_int_gt(above, 30);
    free(px);
}
END_TEST

START_TEST(test_det_png_bad_path)
{
    load_csv();
    det_curve_t cv = {"all", np[0], fa[0], miss[0]};
    char err[ST_ERR_LEN];
    ck_assert_int_eq(det_plot_png(&cv, 1, 1.0, NULL, "/nonexistent-dir/det.png", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/det.png"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("det");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_det_png_envelope);
    tcase_add_test(tc, test_det_png_bad_path);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st_det_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    int rc = check_run(suite());
    check_rm_tmpdir(tmpdir);
    return rc;
}
