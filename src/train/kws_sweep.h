/* kws_sweep.h: detections replayed from stored window probabilities, and the threshold sweep
 * behind a DET curve.
 *
 * `detect --eval` keeps every window's class probabilities (K floats per window, not the
 * features), so the detector (train/detect.h) can be run again at other thresholds without
 * the model. A detection's time is the middle of the window that fired. */
#ifndef ST_KWS_SWEEP_H
#define ST_KWS_SWEEP_H

#include "train/detect.h"
#include "train/kws_match.h"

enum { KWS_SWEEP_N = 101 }; /* thresholds 0.00, 0.01, ..., 1.00 */

/* Runs a detector with config c over n_win windows of probabilities (n_win, K), windows
 * hop_s apart and window_s long; *out (malloc'd, *n entries) gets each detection's label and
 * time. */
int kws_replay(const float *probs, long n_win, int K, const char *const *names, const detect_config_t *c,
               double hop_s, double window_s, kws_det_t **out, int *n, char *err);

typedef struct {
    int n_curves;     /* 1 + keywords with truth entries */
    int *keyword;     /* (n_curves) class index; -1 for curve 0, all keywords together */
    double *miss;     /* (n_curves, KWS_SWEEP_N) miss rate at threshold t / 100 */
    double *fa;       /* (n_curves, KWS_SWEEP_N) false alarms per hour */
} kws_sweep_t;

/* For each threshold of the sweep (c's smoothing and refractory kept), replays and matches
 * (kws_match, tolerance tol) against truth over a recording of `hours`. A keyword's false
 * alarms are its detections that are not hits; the all-keyword curve counts false alarms and
 * wrong keywords. Released by kws_sweep_free. */
int kws_sweep(const float *probs, long n_win, int K, const char *const *names, const detect_config_t *c,
              double hop_s, double window_s, const kws_truth_t *truth, int n_truth, double tol, double hours,
              kws_sweep_t *s, char *err);
void kws_sweep_free(kws_sweep_t *s);

#endif
