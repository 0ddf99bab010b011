/* detect.h: keyword detections from a stream of per-window class probabilities.
 *
 * The probabilities of the last smooth_ms of windows are averaged (causal moving mean); a
 * detection fires when the top class of the mean is a keyword (any class but "silence" and
 * "unknown"), its mean is at least threshold, and refractory_ms have passed since the last
 * detection (so one spoken word gives one detection).
 */
#ifndef ST_DETECT_H
#define ST_DETECT_H

typedef struct {
    double smooth_ms;      /* averaging span [600] */
    double threshold;      /* on the averaged probability [0.51] */
    double refractory_ms;  /* quiet time after a detection [1000] */
} detect_config_t;

/* 600 ms, 0.51, 1000 ms: tuned with scripts/tune_detect.sh on a validation recording of the
 * demo corpus (docs/cli.md, detect). */
void detect_config_default(detect_config_t *c);

typedef struct {
    double start, end;     /* seconds: the window that fired */
    int label;             /* class index */
    float score;           /* its averaged probability */
} detect_event_t;

typedef struct detector detector_t;

/* K classes with their names; windows hop_s apart, each window_s long. */
detector_t *detect_init(int K, const char *const *names, double hop_s, double window_s, const detect_config_t *c,
                        char *err);
/* Feeds window `index`'s probabilities (K); 1 with *ev filled when a detection fires. */
int detect_push(detector_t *d, long index, const float *probs, detect_event_t *ev);
/* Back to the start of a stream (a new file). */
void detect_reset(detector_t *d);
void detect_free(detector_t *d);

/* Softmax of K logits into p. */
void detect_softmax(const float *logits, int K, float *p);

#endif
