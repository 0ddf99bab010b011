/* detect.c: posterior smoothing, threshold and refractory period. */
#include "train/detect.h"

#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct detector {
    int K, S;            /* classes, windows averaged */
    int *keyword;        /* (K) 1 = a keyword class */
    double hop_s, window_s, refractory_s, threshold;
    float *hist;         /* (S, K) ring of the last S windows */
    double *sum;         /* (K) running sum of the ring */
    long seen;           /* windows pushed */
    double last;         /* time of the last detection, -inf */
};

void detect_config_default(detect_config_t *c)
{
    c->smooth_ms = 600.0;
    c->threshold = 0.51;
    c->refractory_ms = 1000.0;
}

detector_t *detect_init(int K, const char *const *names, double hop_s, double window_s, const detect_config_t *c,
                        char *err)
{
    if (K < 1 || !(hop_s > 0) || !(c->smooth_ms >= 0) || !(c->refractory_ms >= 0) || !(c->threshold >= 0) ||
        !(c->threshold <= 1)) {
        st_err(err, "detector: bad settings (smooth %g ms, threshold %g, refractory %g ms)", c->smooth_ms,
               c->threshold, c->refractory_ms);
        return NULL;
    }
    detector_t *d = calloc(1, sizeof *d);
    if (!d) goto oom;
    d->K = K;
    d->S = (int)lround(c->smooth_ms / 1000.0 / hop_s);
    if (d->S < 1) d->S = 1;
    if (d->S > 100000) d->S = 100000;
    d->hop_s = hop_s, d->window_s = window_s;
    d->refractory_s = c->refractory_ms / 1000.0, d->threshold = c->threshold;
    d->keyword = malloc((size_t)K * sizeof *d->keyword);
    d->hist = malloc((size_t)d->S * K * sizeof *d->hist);
    d->sum = malloc((size_t)K * sizeof *d->sum);
    if (!d->keyword || !d->hist || !d->sum) goto oom;
    for (int k = 0; k < K; k++) d->keyword[k] = strcmp(names[k], "silence") && strcmp(names[k], "unknown");
    detect_reset(d);
    return d;
oom:
    detect_free(d);
    st_err(err, "detector: out of memory");
    return NULL;
}

void detect_reset(detector_t *d)
{
    d->seen = 0;
    d->last = -INFINITY;
    for (int k = 0; k < d->K; k++) d->sum[k] = 0.0;
}

int detect_push(detector_t *d, long index, const float *probs, detect_event_t *ev)
{
    const int K = d->K;
    float *slot = d->hist + (size_t)(d->seen % d->S) * K;
    for (int k = 0; k < K; k++) {
        if (d->seen >= d->S) d->sum[k] -= slot[k];
        slot[k] = probs[k];
        d->sum[k] += probs[k];
    }
    d->seen++;
    const long n = d->seen < d->S ? d->seen : d->S;
    int best = 0;
    for (int k = 1; k < K; k++)
        if (d->sum[k] > d->sum[best]) best = k;
    const double score = d->sum[best] / (double)n;
    const double start = index * d->hop_s;
    if (!d->keyword[best] || score < d->threshold || start - d->last < d->refractory_s) return 0;
    d->last = start;
    ev->start = start;
    ev->end = start + d->window_s;
    ev->label = best;
    ev->score = (float)score;
    return 1;
}

void detect_free(detector_t *d)
{
    if (!d) return;
    free(d->keyword), free(d->hist), free(d->sum);
    free(d);
}

void detect_softmax(const float *z, int K, float *p)
{
    float mx = z[0];
    for (int k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp((double)z[k] - mx);
    for (int k = 0; k < K; k++) p[k] = (float)(exp((double)z[k] - mx) / s);
}
