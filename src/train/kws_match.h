/* kws_match.h: scoring keyword detections against a ground truth of (label, time).
 *
 * Detections are taken in time order (time = the middle of the detection's window); each is
 * matched to the nearest not yet matched truth entry within tol seconds. Same label: a hit.
 * A keyword truth entry with another label: a wrong keyword. Anything else (no truth entry
 * near it, or only words that are not keywords): a false alarm. Truth entries whose label is
 * not a keyword (unknown words) are never counted as misses. */
#ifndef ST_KWS_MATCH_H
#define ST_KWS_MATCH_H

#include "train/detect.h"

typedef struct {
    int label;       /* keyword index, or -1 for a word that is not a keyword */
    double time;     /* seconds */
} kws_truth_t;

typedef struct {
    int label;       /* keyword index */
    double time;     /* seconds */
} kws_det_t;

typedef struct {
    int K;                 /* keywords */
    long *truth, *hits;    /* (K) truth entries and hits per keyword */
    long wrong, false_alarms, ndet;
    double latency_sum;    /* detection time - truth time, summed over hits */
} kws_score_t;

/* Scores det (n_det, sorted by time or not) against truth; s is allocated here and released
 * by kws_score_free. */
int kws_match(const kws_truth_t *truth, int n_truth, const kws_det_t *det, int n_det, int K, double tol,
              kws_score_t *s, char *err);
void kws_score_free(kws_score_t *s);


/* Detections replayed from stored window probabilities, and the threshold sweep behind a DET
 * curve. `detect --eval` keeps every window's class probabilities (K floats per window, not
 * the features), so the detector (train/detect.h) runs again at other thresholds without the
 * model. A replayed detection's time is the middle of the window that fired. */
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
