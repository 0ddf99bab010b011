/* config.c: mixer options: defaults, text parsing for command lines, validation, names,
 * one-hot labels. Messages are written to be shown to a CLI user as they are. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mix/mix.h"

static const char *const names[MIX_NMODES] = {"mixup", "cutmix", "resizemix", "fmix"};

const char *mix_mode_name(int mode)
{
    if (mode >= 0 && mode < MIX_NMODES) return names[mode];
    if (mode == MIX_NONE) return "none";
    if (mode == MIX_PER_ROW) return "per-row";
    return "?";
}

int mix_mode_from_name(const char *name)
{
    for (int m = 0; name && m < MIX_NMODES; m++)
        if (strcasecmp(name, names[m]) == 0) return m;
    return -1;
}

void mix_config_default(mix_config_t *c)
{
    *c = (mix_config_t){.ncand = MIX_NMODES, .prob = 1.0, .elem = 0, .resize_lo = 0.1, .resize_hi = 0.8,
                        .fmix_decay = 3.0, .fmix_reference = 0};
    for (int m = 0; m < MIX_NMODES; m++) {
        c->cand[m] = m;
        c->weights[m] = 1.0;
        c->alpha[m] = 1.0;
    }
}

/* Splits s at commas: calls item(ctx, index, text, len) on each trimmed piece. */
typedef int (*item_fn)(void *ctx, int idx, const char *s, size_t len, char *err);

static int split(const char *what, const char *s, item_fn fn, void *ctx, char *err)
{
    int idx = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        const char *end = e ? e : p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if (a == b) return st_err(err, "%s: empty item %d in \"%s\"", what, idx + 1, s);
        if (fn(ctx, idx, a, (size_t)(b - a), err)) return -1;
        idx++;
        if (!e) break;
        p = e + 1;
    }
    return idx;
}

/* A finite number from exactly the text [s, s+len). */
static int parse_num(const char *what, const char *s, size_t len, double *out, char *err)
{
    char buf[64];
    if (len >= sizeof buf) return st_err(err, "%s: \"%.*s\" is not a number", what, (int)len, s);
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end || errno == ERANGE || !isfinite(v))
        return st_err(err, "%s: \"%s\" is not a finite number", what, buf);
    *out = v;
    return 0;
}

static int mode_of(const char *what, const char *s, size_t len, char *err)
{
    for (int m = 0; m < MIX_NMODES; m++)
        if (strlen(names[m]) == len && strncasecmp(s, names[m], len) == 0) return m;
    st_err(err, "%s: unknown mode \"%.*s\" (expected mixup, cutmix, resizemix or fmix)", what,
           (int)len, s);
    return -1;
}

static int cand_item(void *ctx, int idx, const char *s, size_t len, char *err)
{
    mix_config_t *c = ctx;
    if (idx >= MIX_NMODES)
        return st_err(err, "candidates: more than %d modes (each may appear once)", MIX_NMODES);
    int m = mode_of("candidates", s, len, err);
    if (m < 0) return -1;
    for (int j = 0; j < idx; j++)
        if (c->cand[j] == m) return st_err(err, "candidates: \"%s\" appears twice", names[m]);
    c->cand[idx] = m;
    return 0;
}

static int weight_item(void *ctx, int idx, const char *s, size_t len, char *err)
{
    double *w = ctx;
    if (idx >= MIX_NMODES) return st_err(err, "weights: more than %d values", MIX_NMODES);
    if (parse_num("weights", s, len, &w[idx], err)) return -1;
    if (w[idx] < 0.0)
        return st_err(err, "weights: value %d is negative (%.*s)", idx + 1, (int)len, s);
    return 0;
}

int mix_config_parse(mix_config_t *c, const char *candidates, const char *weights, char *err)
{
    mix_config_t t = *c;
    if (candidates) {
        int n = split("candidates", candidates, cand_item, &t, err);
        if (n < 0) return -1;
        t.ncand = n;
        for (int m = 0; m < MIX_NMODES; m++) t.weights[m] = 0.0;
        for (int j = 0; j < n; j++) t.weights[t.cand[j]] = 1.0;
    }
    if (weights) {
        double w[MIX_NMODES];
        int n = split("weights", weights, weight_item, w, err);
        if (n < 0) return -1;
        if (n != t.ncand) {
            char list[64] = "";
            for (int j = 0; j < t.ncand; j++) {
                if (j) strcat(list, ",");
                strcat(list, names[t.cand[j]]);
            }
            return st_err(err, "weights: %d value%s for %d candidate%s (%s)", n, n == 1 ? "" : "s",
                          t.ncand, t.ncand == 1 ? "" : "s", list);
        }
        double sum = 0.0;
        for (int j = 0; j < n; j++) sum += w[j];
        if (!(sum > 0.0))
            return st_err(err, "weights: all zero; at least one candidate needs a weight > 0");
        for (int m = 0; m < MIX_NMODES; m++) t.weights[m] = 0.0;
        for (int j = 0; j < n; j++) t.weights[t.cand[j]] = w[j];
    }
    *c = t;
    return 0;
}

static int alpha_item(void *ctx, int idx, const char *s, size_t len, char *err)
{
    mix_config_t *c = ctx;
    (void)idx;
    const char *eq = memchr(s, '=', len);
    if (!eq) return st_err(err, "alpha: \"%.*s\" should be mode=value", (int)len, s);
    size_t nl = (size_t)(eq - s);
    while (nl > 0 && isspace((unsigned char)s[nl - 1])) nl--;
    int m = mode_of("alpha", s, nl, err);
    if (m < 0) return -1;
    const char *v = eq + 1;
    while (v < s + len && isspace((unsigned char)*v)) v++;
    double a;
    if (parse_num("alpha", v, (size_t)(s + len - v), &a, err)) return -1;
    if (!(a > 0.0)) return st_err(err, "alpha: %s must be > 0 (got %g)", names[m], a);
    c->alpha[m] = a;
    return 0;
}

static int parse_flag(const char *key, const char *v, int *out, char *err)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
             !strcasecmp(v, "off"))
        *out = 0;
    else
        return st_err(err, "%s: expected 0 or 1 (got \"%s\")", key, v);
    return 0;
}

int mix_config_set(mix_config_t *c, const char *key, const char *value, char *err)
{
    if (!key || !value) return st_err(err, "mix option: missing key or value");
    mix_config_t t = *c;
    if (!strcmp(key, "candidates")) return mix_config_parse(c, value, NULL, err);
    if (!strcmp(key, "weights")) return mix_config_parse(c, NULL, value, err);
    if (!strcmp(key, "alpha")) {
        if (!strchr(value, '=')) {
            double a;
            if (parse_num("alpha", value, strlen(value), &a, err)) return -1;
            if (!(a > 0.0)) return st_err(err, "alpha: must be > 0 (got %g)", a);
            for (int m = 0; m < MIX_NMODES; m++) t.alpha[m] = a;
        } else if (split("alpha", value, alpha_item, &t, err) < 0) {
            return -1;
        }
    } else if (!strcmp(key, "prob")) {
        if (parse_num("prob", value, strlen(value), &t.prob, err)) return -1;
        if (t.prob < 0.0 || t.prob > 1.0)
            return st_err(err, "prob: must be in [0, 1] (got %g)", t.prob);
    } else if (!strcmp(key, "elem")) {
        if (parse_flag(key, value, &t.elem, err)) return -1;
    } else if (!strcmp(key, "resize")) {
        const char *comma = strchr(value, ',');
        if (!comma) return st_err(err, "resize: expected lo,hi (got \"%s\")", value);
        if (parse_num("resize", value, (size_t)(comma - value), &t.resize_lo, err) ||
            parse_num("resize", comma + 1, strlen(comma + 1), &t.resize_hi, err))
            return -1;
    } else if (!strcmp(key, "fmix-decay")) {
        if (parse_num("fmix-decay", value, strlen(value), &t.fmix_decay, err)) return -1;
    } else if (!strcmp(key, "fmix-reference")) {
        if (parse_flag(key, value, &t.fmix_reference, err)) return -1;
    } else {
        return st_err(err, "mix option: unknown key \"%s\" (expected candidates, weights, alpha, "
                           "prob, elem, resize, fmix-decay or fmix-reference)", key);
    }
    if (mix_config_check(&t, err)) return -1;
    *c = t;
    return 0;
}

int mix_config_check(const mix_config_t *c, char *err)
{
    if (!c) return st_err(err, "mix config: NULL");
    if (c->ncand < 1 || c->ncand > MIX_NMODES)
        return st_err(err, "candidates: need 1 to %d modes (got %d)", MIX_NMODES, c->ncand);
    int seen[MIX_NMODES] = {0};
    double sum = 0.0;
    for (int j = 0; j < c->ncand; j++) {
        int m = c->cand[j];
        if (m < 0 || m >= MIX_NMODES) return st_err(err, "candidates: bad mode id %d", m);
        if (seen[m]++) return st_err(err, "candidates: \"%s\" appears twice", names[m]);
        double w = c->weights[m];
        if (!isfinite(w) || w < 0.0)
            return st_err(err, "weights: %s has weight %g; weights must be finite and >= 0",
                          names[m], w);
        sum += w;
    }
    if (!isfinite(sum))
        return st_err(err, "weights: their sum overflows (%g); use smaller relative weights", sum);
    if (!(sum > 0.0))
        return st_err(err, "weights: all zero; at least one candidate needs a weight > 0");
    for (int m = 0; m < MIX_NMODES; m++) {
        if (m == MIX_RESIZEMIX) continue; /* tau ~ U(lo, hi), no alpha */
        if (!(c->alpha[m] > 0.0) || !isfinite(c->alpha[m]))
            return st_err(err, "alpha: %s must be a finite number > 0 (got %g)", names[m],
                          c->alpha[m]);
    }
    if (!(c->prob >= 0.0 && c->prob <= 1.0))
        return st_err(err, "prob: must be in [0, 1] (got %g)", c->prob);
    if (c->elem != 0 && c->elem != 1) return st_err(err, "elem: must be 0 or 1 (got %d)", c->elem);
    if (!(c->resize_lo > 0.0 && c->resize_lo <= c->resize_hi && c->resize_hi <= 1.0))
        return st_err(err, "resize: need 0 < lo <= hi <= 1 (got %g, %g)", c->resize_lo,
                      c->resize_hi);
    if (!(c->fmix_decay > 0.0) || !isfinite(c->fmix_decay))
        return st_err(err, "fmix-decay: must be a finite number > 0 (got %g)", c->fmix_decay);
    if (c->fmix_reference != 0 && c->fmix_reference != 1)
        return st_err(err, "fmix-reference: must be 0 or 1 (got %d)", c->fmix_reference);
    return 0;
}

int mix_onehot(float *y, const int *labels, int n, int K, float smoothing)
{
    if (!y || !labels || n < 0 || K < 1 || !(smoothing >= 0.0f && smoothing <= 1.0f)) return -1;
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= K) return -1;
    float off = smoothing / (float)K, on = 1.0f - smoothing + off;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++) y[(size_t)i * K + k] = k == labels[i] ? on : off;
    return 0;
}
