/* det.h: a DET plot (miss rate against false alarms per hour) of keyword detection, as PNG.
 *
 * Each curve is the set of operating points of a threshold sweep. What is drawn is its lower
 * envelope: at false-alarm rate x, the lowest miss rate of any point with at most x false
 * alarms per hour (what the best threshold achieves under that budget). It is a step curve,
 * monotone by construction, even when the raw points are not (refractory periods make a
 * lower threshold occasionally miss a word that a higher one catches).
 *
 * Layout (fixed, so that tests can read the picture back): a DET_W x DET_H canvas; the plot
 * box spans x in [DET_X0, DET_X0 + DET_PW), y in [DET_Y0, DET_Y0 + DET_PH). Both axes are
 * logarithmic. y: log10 of the miss rate from ylo (whole decade, ylo <= 0.01, below every
 * non-zero miss rate) at the bottom row DET_Y0 + DET_PH - 1 to 1 (100%) at the top row
 * DET_Y0; a miss rate of 0 lies on the bottom edge. x: log10 of the false-alarm rate from lo
 * to hi (whole decades, lo <= 0.1 and hi >= 10, chosen to hold every non-zero point); points
 * with 0 false alarms per hour lie on the left edge. A grey vertical line marks mark_fa, and each curve's envelope value there
 * is a filled square, written in its legend entry as the hit rate.
 */
#ifndef ST_VIZ_DET_H
#define ST_VIZ_DET_H

enum { DET_W = 720, DET_H = 480, DET_X0 = 64, DET_Y0 = 40, DET_PW = 460, DET_PH = 380 };

typedef struct {
    const char *name;          /* legend text (keyword) */
    int n;                     /* operating points */
    const double *fa_per_hour; /* (n) >= 0 */
    const double *miss_rate;   /* (n) in [0, 1] */
} det_curve_t;

/* The ranges the plot uses for these curves: x decades lo < hi, y decade ylo < 1. */
void det_plot_range(const det_curve_t *curves, int n_curves, double *lo, double *hi, double *ylo);

/* The envelope of c at false-alarm rate x: the lowest miss rate over points with
 * fa_per_hour <= x, or 1 when there is none. */
double det_envelope(const det_curve_t *c, double x);

/* Writes the plot to path (atomically). The first curve is drawn in black and thicker
 * (meant for all keywords together); the others in viridis colours. */
int det_plot_png(const det_curve_t *curves, int n_curves, double mark_fa, const char *title, const char *path,
                 char *err);

#endif
