/* chart.h: bar charts with error bars, line plots and a confusion-matrix heat map, each drawn
 * into a rectangle ("panel") of a canvas, so that a picture can hold several side by side.
 *
 * Layout (so that tests can read pictures back): a panel at (x, y) of size w x h has its
 * title at the top and the plot area below it, reported in a chart_frame_t. Values map
 * linearly onto the plot area (fx, fy, fw, fh):
 *   bars    a value v fills lround((v - y0) / (y1 - y0) * fh) rows upwards from the bottom
 *           row fy + fh - 1 (clipped to the area); group g has the columns
 *           [fx + g * fw / G, fx + (g + 1) * fw / G) and its S bars side by side in the middle
 *           80 % of them; an error bar e is a dark vertical line at the bar's centre column
 *           from v - e to v + e with caps
 *   lines   point (px, py) is at column fx + lround((px - x0) / (x1 - x0) * (fw - 1)) and row
 *           fy + fh - 1 - lround((py - y0) / (y1 - y0) * (fh - 1)), joined by 2-pixel lines
 *   heat    cell (i, j) (row i = true class, column j = predicted) is the square of `cell`
 *           pixels at (fx + j * cell, fy + i * cell), coloured viridis(count / row total):
 *           each row shows where the items of one true class went
 * Series s is drawn in chart_color(s), which has CHART_COLORS distinct colours, none of them
 * grey, white or black. Axis ranges are chosen as "nice" tick multiples holding every value
 * (bars and heat from 0) unless the caller fixes them. Text is the canvas's 5x7 font.
 */
#ifndef ST_VIZ_CHART_H
#define ST_VIZ_CHART_H

#include <stdint.h>

#include "viz/canvas.h"

#define CHART_COLORS 8

typedef struct {
    int fx, fy, fw, fh;    /* plot area */
    double x0, x1, y0, y1; /* axis ranges (bars and heat: x unused) */
    int cell;              /* heat map cell size in pixels */
} chart_frame_t;

typedef struct {
    const char *title, *ylabel;   /* ylabel is written above the axis */
    int n_groups, n_series;
    const char *const *groups;    /* (n_groups) labels under the groups */
    const char *const *series;    /* (n_series) legend entries, or NULL for no legend */
    const double *value;          /* (n_groups, n_series); NaN: no bar */
    const double *err;            /* (n_groups, n_series) error bar half-lengths, or NULL */
    double y0, y1;                /* axis range; y0 == y1: from 0 to a tick above the tallest bar */
} chart_bars_t;

typedef struct {
    const char *title, *xlabel, *ylabel;
    int n_series;
    const char *const *series;    /* (n_series) legend entries, or NULL */
    const int *n_points;          /* (n_series) */
    const double *const *x;       /* (n_series) arrays of n_points[s] values */
    const double *const *y;
    double y0, y1;                /* y range; y0 == y1: ticks around the data */
} chart_lines_t;

typedef struct {
    const char *title;
    int n;                        /* classes */
    const char *const *names;     /* (n) */
    const long *counts;           /* (n, n), row = true class, column = predicted */
} chart_heat_t;

/* Colour of series s (s taken modulo CHART_COLORS). */
void chart_color(int s, uint8_t rgb[3]);

/* Each draws into the panel (x, y, w, h) of c and fills *frame (may be NULL); -1 with err
 * when the panel is too small for the data or the input is invalid. */
int chart_bars(canvas_t *c, int x, int y, int w, int h, const chart_bars_t *b, chart_frame_t *frame, char *err);
int chart_lines(canvas_t *c, int x, int y, int w, int h, const chart_lines_t *l, chart_frame_t *frame, char *err);
int chart_heat(canvas_t *c, int x, int y, int w, int h, const chart_heat_t *m, chart_frame_t *frame, char *err);

#endif
