/* kws_match.h: scoring keyword detections against a ground truth of (label, time).
 *
 * Detections are taken in time order (time = the middle of the detection's window); each is
 * matched to the nearest not yet matched truth entry within tol seconds. Same label: a hit.
 * A keyword truth entry with another label: a wrong keyword. Anything else (no truth entry
 * near it, or only words that are not keywords): a false alarm. Truth entries whose label is
 * not a keyword (unknown words) are never counted as misses. */
#ifndef ST_KWS_MATCH_H
#define ST_KWS_MATCH_H

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

#endif
