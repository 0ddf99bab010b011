/* speechcommands.c: opening a Speech Commands folder (decode or cache, splits, silence,
 * report) and producing batches and epoch orders. */
#include "audio/speechcommands.h"

#include "audio/audio.h"
#include "audio/sc_internal.h"
#include "common/err.h"
#include "common/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Streams that are not per-item augmentation: distinct first arguments of rng_derive. */
#define SEED_EVAL_SILENCE 0x5113ce0e7a1ULL /* fixed: evaluation silence never depends on --seed */
#define TAG_ORDER 0x0bde7ULL

typedef struct {
    int *item;      /* (n) index into the scanned word files, or -1 for silence */
    int n, nwords;
    int *by_class[SC_MAX_CLASSES]; /* positions in this split, per class */
    int class_n[SC_MAX_CLASSES];
} split_t;

struct sc_dataset {
    sc_scan_t scan;
    sc_audio_t audio;
    split_t split[SC_NSPLITS];
    feat_config_t fc;
    sc_options_t opt;
    mel_t *mel;
    long nwindows;  /* 1 s windows in the concatenated background noise */
    char *cls[SC_MAX_CLASSES];  /* class names */
    int ncls, silence_k, unknown_k; /* class count; silence / unknown index or -1 */
    int skipped, cache_hit;
};

void sc_options_default(sc_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->augment = 1;
    aug_config_default(&o->aug);
    o->silence_frac = 0.1;
    o->use_cache = 1;
    o->seed = 0;
}

/* ---- decoding ---- */

/* Stores a clip as int16 plus a scale: exactly when the samples are 16-bit values (the
 * Speech Commands case), else scaled to the clip's peak (about 96 dB below it). */
static void quantise(const float *x, int n, int16_t *q, float *scale)
{
    int exact = 1;
    float peak = 0;
    for (int i = 0; i < n; i++) {
        float v = x[i] * 32768.0f;
        if (v != rintf(v) || v < -32768.0f || v > 32767.0f) exact = 0;
        peak = fmaxf(peak, fabsf(x[i]));
    }
    if (exact || peak == 0.0f) {
        *scale = 1.0f / 32768.0f;
        for (int i = 0; i < n; i++) q[i] = (int16_t)(x[i] * 32768.0f);
        return;
    }
    *scale = peak / 32767.0f;
    for (int i = 0; i < n; i++) q[i] = (int16_t)lrintf(x[i] / *scale);
}

static int decode_all(const char *dir, const sc_scan_t *s, const feat_config_t *fc, sc_audio_t *a,
                      char *err)
{
    memset(a, 0, sizeof *a);
    const int n = s->nwords, L = fc->clip_samples;
    a->nitems = n;
    a->clip = L;
    a->nmsgs = n + s->nnoise;
    int16_t *pcm = malloc((size_t)n * L * sizeof *pcm + 1);
    float *scale = malloc((size_t)n * sizeof *scale + 1);
    uint8_t *bad = calloc((size_t)n + 1, 1);
    a->msgs = calloc((size_t)a->nmsgs + 1, sizeof *a->msgs);
    a->owned[0] = pcm, a->owned[1] = scale, a->owned[2] = bad;
    a->pcm = pcm, a->scale = scale, a->bad = bad;
    if (!pcm || !scale || !bad || !a->msgs)
        return st_err(err, "%s: out of memory for %d clips of %d samples", dir, n, L);
    int oom = 0;
#pragma omp parallel
    {
        float *clip = malloc((size_t)L * sizeof *clip);
        if (!clip) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            if (!clip) continue;
            char path[4096], e[ST_ERR_LEN];
            snprintf(path, sizeof path, "%s/%s", dir, s->words[i].rel);
            if (audio_load_clip(path, fc->sample_rate, L, clip, e)) {
                bad[i] = 1;
                memset(pcm + (size_t)i * L, 0, (size_t)L * sizeof *pcm);
                scale[i] = 0;
                a->msgs[i] = strdup(e);
                if (!a->msgs[i]) {
#pragma omp atomic write
                    oom = 1;
                }
            } else {
                quantise(clip, L, pcm + (size_t)i * L, &scale[i]);
            }
        }
        free(clip);
    }
    if (oom) return st_err(err, "%s: out of memory while decoding", dir);
    /* Background noise: decoded whole and concatenated (a few files, minutes long). */
    float *noise = NULL;
    long nn = 0;
    for (int j = 0; j < s->nnoise; j++) {
        char path[4096], e[ST_ERR_LEN];
        snprintf(path, sizeof path, "%s/%s", dir, s->noise[j].rel);
        float *x;
        long m;
        if (audio_read(path, fc->sample_rate, &x, &m, e)) {
            a->msgs[n + j] = strdup(e);
            a->noise_bad++;
            continue;
        }
        float *g = realloc(noise, (size_t)(nn + m) * sizeof *g);
        if (!g) {
            free(x);
            free(noise);
            return st_err(err, "%s: out of memory for background noise", dir);
        }
        noise = g;
        memcpy(noise + nn, x, (size_t)m * sizeof *x);
        nn += m;
        free(x);
    }
    a->owned[3] = noise;
    a->noise = noise;
    a->nnoise = nn;
    return 0;
}

/* ---- splits ---- */

static int build_splits(sc_dataset_t *d, char *err)
{
    const sc_scan_t *s = &d->scan;
    int which[SC_NSPLITS] = {0};
    int *sp = malloc((size_t)s->nwords * sizeof *sp + 1);
    if (!sp) return st_err(err, "out of memory");
    for (int i = 0; i < s->nwords; i++) {
        if (d->audio.bad[i] || s->words[i].label < 0) {
            sp[i] = -1;
            continue;
        }
        const char *rel = s->words[i].rel;
        if (s->have_lists)
            sp[i] = sc_list_has(s->val, s->nval, rel)    ? SC_VALIDATION
                    : sc_list_has(s->test, s->ntest, rel) ? SC_TEST
                                                          : SC_TRAIN;
        else
            sp[i] = sc_hash_split(rel);
        which[sp[i]]++;
    }
    for (int k = 0; k < SC_NSPLITS; k++) {
        split_t *p = &d->split[k];
        p->nwords = which[k];
        int nsil = d->silence_k < 0 ? 0 : (int)floor(d->opt.silence_frac * which[k]);
        p->n = which[k] + nsil;
        p->item = malloc((size_t)p->n * sizeof *p->item + 1);
        if (!p->item) {
            free(sp);
            return st_err(err, "out of memory");
        }
        int j = 0;
        for (int i = 0; i < s->nwords; i++)
            if (sp[i] == k) p->item[j++] = i;
        for (; j < p->n; j++) p->item[j] = -1;
        for (int i = 0; i < p->n; i++) p->class_n[sc_label(d, k, i)]++;
        for (int c = 0; c < d->ncls; c++) {
            p->by_class[c] = malloc((size_t)p->class_n[c] * sizeof(int) + 1);
            if (!p->by_class[c]) {
                free(sp);
                return st_err(err, "out of memory");
            }
        }
        int fill[SC_MAX_CLASSES] = {0};
        for (int i = 0; i < p->n; i++) {
            int c = sc_label(d, k, i);
            p->by_class[c][fill[c]++] = i;
        }
    }
    free(sp);
    return 0;
}

/* ---- classes ---- */

static int add_class(sc_dataset_t *d, const char *name, size_t len, char *err)
{
    if (len == 0) return st_err(err, "--keywords: empty keyword");
    for (int c = 0; c < d->ncls; c++)
        if (strlen(d->cls[c]) == len && !strncmp(d->cls[c], name, len))
            return st_err(err, "--keywords: '%.*s' given twice", (int)len, name);
    if (d->ncls == SC_MAX_CLASSES) return st_err(err, "--keywords: more than %d classes", SC_MAX_CLASSES);
    if (!(d->cls[d->ncls] = strndup(name, len))) return st_err(err, "out of memory");
    if (!strcmp(d->cls[d->ncls], "silence")) d->silence_k = d->ncls;
    else if (!strcmp(d->cls[d->ncls], "unknown")) d->unknown_k = d->ncls;
    d->ncls++;
    return 0;
}

/* Length of the folder part of rel ("yes/x.wav" -> 3). */
static size_t folder_len(const char *rel)
{
    const char *sl = strchr(rel, '/');
    return sl ? (size_t)(sl - rel) : strlen(rel);
}

/* Builds the class list from the options and labels every scanned word clip (-1: left out). */
static int set_classes(sc_dataset_t *d, const char *dir, const sc_options_t *o, char *err)
{
    d->silence_k = d->unknown_k = -1;
    sc_scan_t *s = &d->scan;
    if (o->classes) {
        for (int c = 0; c < o->n_classes; c++)
            if (add_class(d, o->classes[c], strlen(o->classes[c]), err)) return -1;
    } else {
        const char *kw = o->keywords;
        if (!kw) {
            for (int c = 0; c < SC_SILENCE; c++)
                if (add_class(d, sc_class_names[c], strlen(sc_class_names[c]), err)) return -1;
        } else if (!strcmp(kw, "all")) {
            for (int i = 0; i < s->nwords; i++) { /* sorted by path: folders come in order */
                size_t n = folder_len(s->words[i].rel);
                if (d->ncls && strlen(d->cls[d->ncls - 1]) == n && !strncmp(d->cls[d->ncls - 1], s->words[i].rel, n))
                    continue;
                if (add_class(d, s->words[i].rel, n, err)) return -1;
            }
        } else {
            for (const char *p = kw;;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (add_class(d, p, n, err)) return -1;
                if (!e) break;
                p = e + 1;
            }
        }
        if (d->silence_k >= 0 || d->unknown_k >= 0)
            return st_err(err, "--keywords: 'silence' and 'unknown' are not word names (see --no-silence, --no-unknown)");
        if (!o->no_silence && add_class(d, "silence", 7, err)) return -1;
        if (!o->no_unknown && !(kw && !strcmp(kw, "all")) && add_class(d, "unknown", 7, err)) return -1;
    }
    if (d->ncls < 2) return st_err(err, "%s: %d class%s: a classifier needs at least 2", dir, d->ncls, d->ncls == 1 ? "" : "es");
    int seen[SC_MAX_CLASSES] = {0};
    for (int i = 0; i < s->nwords; i++) {
        size_t n = folder_len(s->words[i].rel);
        int lab = d->unknown_k;
        for (int c = 0; c < d->ncls; c++)
            if (c != d->silence_k && c != d->unknown_k && strlen(d->cls[c]) == n && !strncmp(d->cls[c], s->words[i].rel, n))
                lab = c;
        s->words[i].label = lab;
        if (lab >= 0) seen[lab] = 1;
    }
    const int listed = !o->classes && o->keywords && strcmp(o->keywords, "all");
    for (int c = 0; listed && c < d->ncls; c++)
        if (!seen[c] && c != d->silence_k && c != d->unknown_k)
            return st_err(err, "%s: no clips in keyword folder %s/%s/", dir, dir, d->cls[c]);
    return 0;
}

/* ---- report ---- */

static void report(const sc_dataset_t *d, const char *dir, FILE *log)
{
    const sc_scan_t *s = &d->scan;
    fprintf(log, "speechcommands %s: %d clips, split by %s; %d background files (%.1f s of noise); "
                 "%s; skipped %d bad file%s\n",
            dir, s->nwords, s->have_lists ? "validation_list.txt/testing_list.txt" : "the sha1 rule",
            s->nnoise, (double)d->audio.nnoise / d->fc.sample_rate,
            d->cache_hit ? "decoded audio from cache" : "decoded", d->skipped, d->skipped == 1 ? "" : "s");
    fprintf(log, "%-10s", "split");
    for (int c = 0; c < d->ncls; c++) fprintf(log, " %7s", d->cls[c]);
    fprintf(log, " %7s\n", "total");
    for (int k = 0; k < SC_NSPLITS; k++) {
        fprintf(log, "%-10s", sc_split_names[k]);
        for (int c = 0; c < d->ncls; c++) fprintf(log, " %7d", d->split[k].class_n[c]);
        fprintf(log, " %7d\n", d->split[k].n);
    }
}

/* ---- open / free ---- */

sc_dataset_t *sc_open(const char *dir, const feat_config_t *fc, const sc_options_t *o, char *err)
{
    if (feat_config_check(fc, err)) return NULL;
    if (!(o->silence_frac >= 0.0 && o->silence_frac <= 10.0)) {
        st_err(err, "silence fraction %g: must be 0..10", o->silence_frac);
        return NULL;
    }
    sc_dataset_t *d = calloc(1, sizeof *d);
    if (!d) {
        st_err(err, "%s: out of memory", dir);
        return NULL;
    }
    d->fc = *fc;
    d->opt = *o;
    d->opt.cache_path = NULL; /* not kept: the caller owns the string */
    FILE *log = o->log;
    if (!(d->mel = mel_init(fc, err)) || sc_scan(dir, &d->scan, err)) goto fail;
    if (d->scan.nwords == 0) {
        st_err(err, "%s: no word folders with .wav files (expected DIR/<word>/*.wav)", dir);
        goto fail;
    }
    if (set_classes(d, dir, o, err)) goto fail;
    /* Any folder of .wav files looks like one "unknown" word; without a single keyword
     * clip it is not a corpus for these classes, and training on it would be meaningless. */
    int ncommand = 0;
    for (int i = 0; i < d->scan.nwords; i++)
        ncommand += d->scan.words[i].label >= 0 && d->scan.words[i].label != d->unknown_k;
    if (ncommand == 0) {
        if (o->keywords || o->classes) {
            st_err(err, "%s: no clips in any of the keyword folders", dir);
        } else {
            st_err(err, "%s: not in the Speech Commands layout: no clips in any of the command "
                        "folders yes/ no/ up/ down/ left/ right/ on/ off/ stop/ go/", dir);
        }
        goto fail;
    }

    char cache[4096];
    if (o->cache_path)
        snprintf(cache, sizeof cache, "%s", o->cache_path);
    else
        snprintf(cache, sizeof cache, "%s/.speechtrain-cache-%d-%d.bin", dir, fc->sample_rate,
                 fc->clip_samples);
    uint64_t key = sc_scan_key(&d->scan, fc->sample_rate, fc->clip_samples);
    char e[ST_ERR_LEN];
    if (o->use_cache &&
        sc_cache_load(cache, key, d->scan.nwords, d->scan.nnoise, fc->clip_samples, &d->audio, e) == 0) {
        d->cache_hit = 1;
    } else {
        if (o->use_cache && e[0] && log) fprintf(log, "speechcommands: %s; decoding again\n", e);
        if (decode_all(dir, &d->scan, fc, &d->audio, err)) goto fail;
        if (o->use_cache && sc_cache_save(cache, key, d->scan.nnoise, &d->audio, e) && log)
            fprintf(log, "speechcommands: not caching decoded audio (%s)\n", e);
    }

    /* Bad files: one line each, then fatal (strict) or skipped and counted. */
    for (int i = 0; i < d->audio.nmsgs; i++) {
        if (!d->audio.msgs[i]) continue;
        if (o->strict) {
            st_err(err, "%s (strict mode: bad files are fatal)", d->audio.msgs[i]);
            goto fail;
        }
        d->skipped++;
        if (log) fprintf(log, "speechcommands: skipping %s\n", d->audio.msgs[i]);
    }
    d->nwindows = d->audio.nnoise / fc->clip_samples;
    if (build_splits(d, err)) goto fail;
    for (int k = 0; k < SC_NSPLITS; k++)
        if (d->split[k].n > d->split[k].nwords && d->nwindows == 0) {
            st_err(err, "%s: silence items need at least %d samples of background noise in "
                        "%s/_background_noise_/ (or set the silence fraction to 0)",
                   dir, fc->clip_samples, dir);
            goto fail;
        }
    if (log) report(d, dir, log);
    return d;
fail:
    sc_free(d);
    return NULL;
}

void sc_free(sc_dataset_t *d)
{
    if (!d) return;
    for (int k = 0; k < SC_NSPLITS; k++) {
        free(d->split[k].item);
        for (int c = 0; c < d->ncls; c++) free(d->split[k].by_class[c]);
    }
    for (int c = 0; c < d->ncls; c++) free(d->cls[c]);
    sc_audio_free(&d->audio);
    sc_scan_free(&d->scan);
    mel_free(d->mel);
    free(d);
}

/* ---- accessors ---- */

int sc_count(const sc_dataset_t *d, int split) { return split >= 0 && split < SC_NSPLITS ? d->split[split].n : 0; }

int sc_label(const sc_dataset_t *d, int split, int i)
{
    int it = d->split[split].item[i];
    return it < 0 ? d->silence_k : d->scan.words[it].label;
}

const char *sc_path(const sc_dataset_t *d, int split, int i)
{
    int it = d->split[split].item[i];
    return it < 0 ? NULL : d->scan.words[it].rel;
}

int sc_skipped(const sc_dataset_t *d) { return d->skipped; }
int sc_class_count(const sc_dataset_t *d, int split, int k)
{
    return k >= 0 && k < d->ncls ? d->split[split].class_n[k] : 0;
}
int sc_nclasses(const sc_dataset_t *d) { return d->ncls; }
const char *const *sc_classes(const sc_dataset_t *d) { return (const char *const *)d->cls; }
int sc_height(const sc_dataset_t *d) { return d->fc.n_mels; }
int sc_width(const sc_dataset_t *d) { return mel_frames(d->mel); }
int sc_cache_hit(const sc_dataset_t *d) { return d->cache_hit; }
const mel_t *sc_mel(const sc_dataset_t *d) { return d->mel; }

const float *sc_noise(const sc_dataset_t *d, long *len)
{
    *len = d->audio.nnoise;
    return d->audio.noise;
}

/* ---- waveforms and batches ---- */

static void waveform(const sc_dataset_t *d, int split, int i, long epoch, float *clip, float *work)
{
    const int L = d->fc.clip_samples;
    const int it = d->split[split].item[i];
    const int train = split == SC_TRAIN;
    rng_t r;
    rng_derive(&r, train ? d->opt.seed : SEED_EVAL_SILENCE, train ? (uint64_t)epoch : (uint64_t)split,
               (uint64_t)i);
    if (it >= 0) {
        const int16_t *q = d->audio.pcm + (size_t)it * L;
        const float s = d->audio.scale[it];
        for (int k = 0; k < L; k++) clip[k] = q[k] * s;
    } else {
        /* Silence: a 1 s window of the concatenated noise times a gain U(0,1); random per
         * epoch in training, fixed (seed-independent) for validation and test. */
        long w = (long)rng_below(&r, (uint64_t)d->nwindows);
        float g = (float)rng_uniform(&r);
        const float *src = d->audio.noise + (size_t)w * L;
        for (int k = 0; k < L; k++) clip[k] = src[k] * g;
    }
    if (train && d->opt.augment && work)
        aug_apply(&d->opt.aug, &r, clip, L, d->fc.sample_rate, d->audio.noise, d->audio.nnoise, work);
}

void sc_waveform(const sc_dataset_t *d, int split, int i, long epoch, float *clip)
{
    /* Without scratch memory (64 KB) the clip comes back unaugmented. */
    float *work = malloc((size_t)d->fc.clip_samples * sizeof *work);
    waveform(d, split, i, epoch, clip, work);
    free(work);
}

void sc_batch(const sc_dataset_t *d, int split, const int *idx, int n, long epoch, float *x, int *labels)
{
    const int L = d->fc.clip_samples;
    const size_t hw = (size_t)d->fc.n_mels * mel_frames(d->mel);
#pragma omp parallel
    {
        float *clip = malloc((size_t)L * 2 * sizeof *clip);
        mel_work_t *w = mel_work_init(d->mel, NULL);
#pragma omp for schedule(dynamic, 2)
        for (int j = 0; j < n; j++) {
            if (labels) labels[j] = sc_label(d, split, idx[j]);
            if (clip && w) {
                waveform(d, split, idx[j], epoch, clip, clip + L);
                mel_compute(d->mel, w, clip, x + j * hw);
            } else { /* out of memory for 200 KB of scratch: a blank input, not a crash */
                memset(x + j * hw, 0, hw * sizeof *x);
            }
        }
        mel_work_free(w);
        free(clip);
    }
}

void sc_epoch_order(const sc_dataset_t *d, int split, long epoch, int *order, int len)
{
    const split_t *p = &d->split[split];
    if (p->n == 0 || len <= 0) return;
    if (split != SC_TRAIN) {
        for (int k = 0; k < len; k++) order[k] = k % p->n;
        return;
    }
    rng_t r;
    rng_derive(&r, d->opt.seed ^ TAG_ORDER, (uint64_t)epoch, UINT64_MAX);
    if (d->opt.balance) {
        /* tugstugi's sampler: weights 1/class_count, with replacement. */
        int present[SC_MAX_CLASSES], np = 0;
        for (int c = 0; c < d->ncls; c++)
            if (p->class_n[c]) present[np++] = c;
        for (int k = 0; k < len; k++) {
            int c = present[rng_below(&r, (uint64_t)np)];
            order[k] = p->by_class[c][rng_below(&r, (uint64_t)p->class_n[c])];
        }
        return;
    }
    for (int k = 0; k < len; k += p->n) {
        int m = len - k < p->n ? len - k : p->n;
        if (m == p->n) {
            rng_permutation(&r, order + k, p->n);
        } else { /* a partial last round: the first m of a fresh permutation */
            int *tmp = malloc((size_t)p->n * sizeof *tmp);
            if (!tmp) {
                for (int j = 0; j < m; j++) order[k + j] = j;
                return;
            }
            rng_permutation(&r, tmp, p->n);
            memcpy(order + k, tmp, (size_t)m * sizeof *tmp);
            free(tmp);
        }
    }
}
