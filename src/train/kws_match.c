/* kws_match.c: greedy nearest matching of detections to the ground truth; replaying the
 * detector over stored probabilities; the DET threshold sweep. */
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

int kws_replay(const float *probs, long n_win, int K, const char *const *names, const detect_config_t *c,
               double hop_s, double window_s, kws_det_t **out, int *n, char *err)
{
    *out = NULL, *n = 0;
    detector_t *d = detect_init(K, names, hop_s, window_s, c, err);
    if (!d) return -1;
    kws_det_t *v = malloc(((size_t)n_win + 1) * sizeof *v);
    if (!v) {
        detect_free(d);
        return st_err(err, "out of memory");
    }
    int cnt = 0;
    for (long w = 0; w < n_win; w++) {
        detect_event_t e;
        if (detect_push(d, w, probs + (size_t)w * K, &e)) v[cnt++] = (kws_det_t){e.label, 0.5 * (e.start + e.end)};
    }
    detect_free(d);
    *out = v, *n = cnt;
    return 0;
}

void kws_sweep_free(kws_sweep_t *s)
{
    free(s->keyword), free(s->miss), free(s->fa);
    memset(s, 0, sizeof *s);
}

int kws_sweep(const float *probs, long n_win, int K, const char *const *names, const detect_config_t *c,
              double hop_s, double window_s, const kws_truth_t *truth, int n_truth, double tol, double hours,
              kws_sweep_t *s, char *err)
{
    enum { NT = KWS_SWEEP_N };
    memset(s, 0, sizeof *s);
    if (!(hours > 0)) return st_err(err, "sweep: recording length %g h", hours);
    s->keyword = malloc(((size_t)K + 1) * sizeof *s->keyword);
    s->miss = malloc(((size_t)K + 1) * NT * sizeof *s->miss);
    s->fa = malloc(((size_t)K + 1) * NT * sizeof *s->fa);
    long *nt = calloc((size_t)K + 1, sizeof *nt);
    if (!s->keyword || !s->miss || !s->fa || !nt) {
        free(nt);
        kws_sweep_free(s);
        return st_err(err, "sweep: out of memory");
    }
    for (int i = 0; i < n_truth; i++)
        if (truth[i].label >= 0 && truth[i].label < K) nt[truth[i].label]++;
    s->keyword[s->n_curves++] = -1;
    for (int k = 0; k < K; k++)
        if (nt[k]) s->keyword[s->n_curves++] = k;
    free(nt);
    for (int ti = 0; ti < NT; ti++) {
        detect_config_t ct = *c;
        ct.threshold = ti / 100.0;
        kws_det_t *det;
        int nd;
        kws_score_t sc;
        if (kws_replay(probs, n_win, K, names, &ct, hop_s, window_s, &det, &nd, err)) goto fail;
        if (kws_match(truth, n_truth, det, nd, K, tol, &sc, err)) {
            free(det);
            goto fail;
        }
        long all_t = 0, all_h = 0;
        for (int j = 1; j < s->n_curves; j++) {
            int k = s->keyword[j];
            long dk = 0;
            for (int q = 0; q < nd; q++) dk += det[q].label == k;
            s->miss[j * NT + ti] = 1.0 - (double)sc.hits[k] / sc.truth[k];
            s->fa[j * NT + ti] = (dk - sc.hits[k]) / hours;
            all_t += sc.truth[k], all_h += sc.hits[k];
        }
        s->miss[ti] = all_t ? 1.0 - (double)all_h / all_t : 1.0;
        s->fa[ti] = (sc.false_alarms + sc.wrong) / hours;
        kws_score_free(&sc);
        free(det);
    }
    return 0;
fail:
    kws_sweep_free(s);
    return -1;
}
