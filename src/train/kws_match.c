/* kws_match.c: greedy nearest matching of detections to the ground truth. */
#include "train/kws_match.h"

#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_det(const void *a, const void *b)
{
    double x = ((const kws_det_t *)a)->time, y = ((const kws_det_t *)b)->time;
    return x < y ? -1 : x > y;
}

int kws_match(const kws_truth_t *truth, int n_truth, const kws_det_t *det, int n_det, int K, double tol,
              kws_score_t *s, char *err)
{
    memset(s, 0, sizeof *s);
    s->K = K;
    s->truth = calloc((size_t)K + 1, sizeof *s->truth);
    s->hits = calloc((size_t)K + 1, sizeof *s->hits);
    char *used = calloc((size_t)n_truth + 1, 1);
    kws_det_t *d = malloc(((size_t)n_det + 1) * sizeof *d);
    if (!s->truth || !s->hits || !used || !d) {
        free(used), free(d);
        kws_score_free(s);
        return st_err(err, "matching: out of memory");
    }
    for (int i = 0; i < n_truth; i++)
        if (truth[i].label >= 0 && truth[i].label < K) s->truth[truth[i].label]++;
    memcpy(d, det, (size_t)n_det * sizeof *d);
    qsort(d, (size_t)n_det, sizeof *d, cmp_det);
    s->ndet = n_det;
    for (int j = 0; j < n_det; j++) {
        /* nearest unused truth entry with the same label, else the nearest unused keyword one */
        int same = -1, other = -1;
        for (int i = 0; i < n_truth; i++) {
            double dt = fabs(d[j].time - truth[i].time);
            if (used[i] || dt > tol) continue;
            if (truth[i].label == d[j].label) {
                if (same < 0 || dt < fabs(d[j].time - truth[same].time)) same = i;
            } else if (truth[i].label >= 0 && truth[i].label < K) {
                if (other < 0 || dt < fabs(d[j].time - truth[other].time)) other = i;
            }
        }
        if (same >= 0) {
            used[same] = 1;
            s->hits[d[j].label]++;
            s->latency_sum += d[j].time - truth[same].time;
        } else if (other >= 0) {
            used[other] = 1;
            s->wrong++;
        } else {
            s->false_alarms++;
        }
    }
    free(used), free(d);
    return 0;
}

void kws_score_free(kws_score_t *s)
{
    free(s->truth), free(s->hits);
    s->truth = s->hits = NULL;
}
