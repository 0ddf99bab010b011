/* checkpoint.c: the versioned checkpoint file (layout in docs/model.md).
 *
 * Writing streams every section through a running FNV-1a 64 hash and appends it. Reading
 * loads the whole file, checks magic, version and the hash before parsing, and then parses
 * through a bounds-checked cursor, so no field is trusted before it is known to fit.
 */
#include "model/checkpoint.h"

#include "common/atomicfile.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/infile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c writes little-endian files by copying memory; port it for big-endian hosts"
#endif

static const char MAGIC[8] = {'S', 'T', 'C', 'K', 'P', 'T', '0', '1'};
#define ARCH_PREACT_RESNET18 1u
#define MAX_TEXT (1u << 24)
#define MAX_NAMES 1000000u
#define MAX_RNGS 65536u    /* version 1's generator-state list, skipped on load */
#define RNG_STATE_BYTES 32u


typedef struct {
    FILE *f;
    uint64_t h;
} writer_t;

static void put(writer_t *w, const void *p, size_t n)
{
    if (n == 0) return;
    w->h = hash_fnv1a(w->h, p, n);
    fwrite(p, 1, n, w->f);
}

static void put_u32(writer_t *w, uint32_t v) { put(w, &v, 4); }
static void put_i64(writer_t *w, int64_t v) { put(w, &v, 8); }
static void put_u64(writer_t *w, uint64_t v) { put(w, &v, 8); }

static void put_str(writer_t *w, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : 0;
    put_u32(w, n);
    put(w, s, n);
}

int ckpt_save(const char *path, const model_t *m, const ckpt_meta_t *meta, char *err)
{
    if (!path || !m) return st_err(err, "ckpt_save: no path or model");
    ckpt_meta_t none = {0};
    if (!meta) meta = &none;
    if (meta->n_classes < 0 || (meta->n_classes > 0 && !meta->class_names))
        return st_err(err, "%s: bad class name list (%d names)", path, meta->n_classes);
    if (meta->meta_text && strlen(meta->meta_text) >= MAX_TEXT)
        return st_err(err, "%s: meta text longer than %u bytes", path, MAX_TEXT);
    for (int i = 0; i < meta->n_classes; i++)
        if (!meta->class_names[i] || strlen(meta->class_names[i]) >= MAX_TEXT)
            return st_err(err, "%s: class name %d missing or too long", path, i);

    /* The model's flat views are writable for tests; here they are only read. */
    model_t *mm = (model_t *)m;
    const model_config_t *c = model_config(m);
    afile_t a;
    if (afile_open(&a, path, err) != 0) return -1;
    writer_t w = {a.f, HASH_FNV_OFFSET};
    put(&w, MAGIC, 8);
    put_u32(&w, CKPT_VERSION);
    put_u32(&w, ARCH_PREACT_RESNET18);
    put_u32(&w, (uint32_t)c->in_ch);
    put_u32(&w, (uint32_t)c->classes);
    put_u32(&w, (uint32_t)c->width);
    put_u32(&w, (uint32_t)c->h);
    put_u32(&w, (uint32_t)c->w);
    put_u64(&w, model_num_params(m));
    put_u64(&w, model_num_bn_stats(m));
    put_i64(&w, meta->epoch);
    put_i64(&w, meta->step);
    put_str(&w, meta->meta_text);
    put_u32(&w, (uint32_t)meta->n_classes);
    for (int i = 0; i < meta->n_classes; i++) put_str(&w, meta->class_names[i]);
    put(&w, model_params(mm), model_num_params(m) * sizeof(float));
    put(&w, model_bn_stats(mm), model_num_bn_stats(m) * sizeof(float));
    put(&w, model_momentum(mm), model_num_params(m) * sizeof(float));
    uint64_t h = w.h;
    fwrite(&h, 1, 8, a.f);
    return afile_commit(&a, err);
}

typedef struct {
    const unsigned char *p;
    size_t n, at;
    int bad;
} reader_t;

static const void *get(reader_t *r, size_t n)
{
    if (r->bad || n > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    const void *p = r->p + r->at;
    r->at += n;
    return p;
}

static uint32_t get_u32(reader_t *r)
{
    const void *p = get(r, 4);
    uint32_t v = 0;
    if (p) memcpy(&v, p, 4);
    return v;
}

static uint64_t get_u64(reader_t *r)
{
    const void *p = get(r, 8);
    uint64_t v = 0;
    if (p) memcpy(&v, p, 8);
    return v;
}

/* Returns a malloc'd NUL-terminated copy, or NULL (r->bad set, or out of memory). */
static char *get_str(reader_t *r)
{
    uint32_t n = get_u32(r);
    if (n >= MAX_TEXT) r->bad = 1;
    const char *p = get(r, n);
    if (!p) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

void ckpt_info_free(ckpt_info_t *info)
{
    if (!info) return;
    free(info->meta_text);
    if (info->class_names)
        for (int i = 0; i < info->n_classes; i++) free(info->class_names[i]);
    free(info->class_names);
    memset(info, 0, sizeof *info);
}

/* Larger than any model this engine can train on one machine (width 64: 90 MB). */
#define CKPT_MAX_BYTES ((size_t)8 << 30)

static int read_all(const char *path, unsigned char **buf, size_t *len, char *err)
{
    /* The six-byte family prefix only: parse() tells an unsupported format version apart. */
    return infile_read_all(path, CKPT_MAX_BYTES, MAGIC, 6, "speechtrain checkpoint", buf, len, err);
}

/* Parses and validates everything; on success *info holds owned copies and *body points at
 * the parameter block inside buf. */
static int parse(const char *path, const unsigned char *buf, size_t len, ckpt_info_t *info,
                 uint64_t *nparams, uint64_t *nstats, const float **params,
                 const float **stats, const float **mom, char *err)
{
    memset(info, 0, sizeof *info);
    if (len >= 8 && memcmp(buf, MAGIC, 6) == 0 && memcmp(buf, MAGIC, 8) != 0)
        return st_err(err, "%s: checkpoint format %.2s is not supported (expected 01)", path,
                      (const char *)buf + 6);
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0)
        return st_err(err, "%s: not a speechtrain checkpoint (bad magic)", path);
    if (len < 8 + 4 + 8)
        return st_err(err, "%s: truncated checkpoint (%zu bytes)", path, len);
    uint32_t version;
    memcpy(&version, buf + 8, 4);
    if (version < 1 || version > CKPT_VERSION)
        return st_err(err, "%s: checkpoint version %u is not supported (this build reads 1 to %d)",
                      path, version, CKPT_VERSION);
    uint64_t stored;
    memcpy(&stored, buf + len - 8, 8);
    if (hash_fnv1a(HASH_FNV_OFFSET, buf, len - 8) != stored)
        return st_err(err, "%s: checksum mismatch: the file is truncated or corrupted", path);

    reader_t r = {buf, len - 8, 12, 0};
    uint32_t arch = get_u32(&r);
    if (arch != ARCH_PREACT_RESNET18)
        return st_err(err, "%s: unknown architecture id %u", path, arch);
    model_config_t *c = &info->config;
    c->in_ch = (int)get_u32(&r);
    c->classes = (int)get_u32(&r);
    c->width = (int)get_u32(&r);
    c->h = (int)get_u32(&r);
    c->w = (int)get_u32(&r);
    *nparams = get_u64(&r);
    *nstats = get_u64(&r);
    info->epoch = (long)get_u64(&r);
    info->step = (long)get_u64(&r);
    info->meta_text = get_str(&r);
    uint32_t nc = get_u32(&r);
    if (!r.bad && nc > MAX_NAMES) r.bad = 1;
    if (!r.bad && nc > 0) {
        info->class_names = calloc(nc, sizeof(char *));
        if (!info->class_names) r.bad = 1;
        for (uint32_t i = 0; i < nc && !r.bad; i++) {
            info->class_names[i] = get_str(&r);
            info->n_classes = (int)i + 1;
        }
    }
    if (version == 1) {
        uint32_t nr = get_u32(&r);
        if (nr > MAX_RNGS) r.bad = 1;
        else get(&r, (size_t)nr * RNG_STATE_BYTES);
    }
    if (r.bad || *nparams > len || *nstats > len) {
        ckpt_info_free(info);
        return st_err(err, "%s: malformed checkpoint header", path);
    }
    *params = get(&r, *nparams * sizeof(float));
    *stats = get(&r, *nstats * sizeof(float));
    *mom = get(&r, *nparams * sizeof(float));
    if (r.bad || r.at != r.n) {
        ckpt_info_free(info);
        return st_err(err, "%s: section sizes do not add up to the file size", path);
    }
    if (!info->meta_text) info->meta_text = calloc(1, 1);
    return 0;
}

static int fill(const char *path, model_t *m, uint64_t np, uint64_t ns, const float *params,
                const float *stats, const float *mom, char *err)
{
    if (np != model_num_params(m) || ns != model_num_bn_stats(m))
        return st_err(err, "%s: wrong shape: %llu parameters and %llu BN statistics stored, the "
                      "architecture needs %zu and %zu", path, (unsigned long long)np,
                      (unsigned long long)ns, model_num_params(m), model_num_bn_stats(m));
    memcpy(model_params(m), params, np * sizeof(float));
    memcpy(model_bn_stats(m), stats, ns * sizeof(float));
    memcpy(model_momentum(m), mom, np * sizeof(float));
    return 0;
}

/* A checksum only proves the bytes are the ones written: a run that diverged saves NaN
 * weights with a valid checksum, and evaluating them gives a "successful" run of garbage. */
static int check_finite(const char *path, const char *what, const float *v, uint64_t n,
                        char *err)
{
    for (uint64_t i = 0; i < n; i++) {
        float x;
        memcpy(&x, v + i, sizeof x); /* the body need not be float-aligned in the buffer */
        if (!isfinite(x))
            return st_err(err, "%s: %s value %llu of %llu is %s; the run that wrote it diverged",
                          path, what, (unsigned long long)i, (unsigned long long)n,
                          isnan(x) ? "NaN" : "infinite");
    }
    return 0;
}

static int load(const char *path, model_t **mp, model_t *into, int max_batch, ckpt_info_t *out,
                char *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_all(path, &buf, &len, err) != 0) return -1;
    ckpt_info_t info;
    uint64_t np = 0, ns = 0;
    const float *params = NULL, *stats = NULL, *mom = NULL;
    if (parse(path, buf, len, &info, &np, &ns, &params, &stats, &mom, err) != 0) {
        free(buf);
        return -1;
    }
    if (check_finite(path, "parameter", params, np, err) ||
        check_finite(path, "BatchNorm statistic", stats, ns, err) ||
        check_finite(path, "momentum", mom, np, err)) {
        ckpt_info_free(&info);
        free(buf);
        return -1;
    }
    int rc = 0;
    if (into) {
        const model_config_t *c = model_config(into), *s = &info.config;
        if (c->in_ch != s->in_ch || c->classes != s->classes || c->width != s->width ||
            c->h != s->h || c->w != s->w) {
            rc = st_err(err, "%s: wrong shape: stored model is in_ch=%d classes=%d width=%d "
                        "input %dx%d, this one in_ch=%d classes=%d width=%d input %dx%d", path,
                        s->in_ch, s->classes, s->width, s->h, s->w, c->in_ch, c->classes,
                        c->width, c->h, c->w);
        } else {
            rc = fill(path, into, np, ns, params, stats, mom, err);
        }
    } else {
        char e2[ST_ERR_LEN];
        model_t *m = model_init(&info.config, max_batch, 0, e2);
        if (!m) {
            rc = st_err(err, "%s: %s", path, e2);
        } else if (fill(path, m, np, ns, params, stats, mom, err) != 0) {
            model_free(m);
            rc = -1;
        } else {
            model_zero_grad(m);
            *mp = m;
        }
    }
    free(buf);
    if (rc == 0 && out) *out = info;
    else ckpt_info_free(&info);
    return rc;
}

int ckpt_load(const char *path, model_t **m, int max_batch, ckpt_info_t *out, char *err)
{
    if (!m) return st_err(err, "ckpt_load: no model pointer");
    *m = NULL;
    if (!path) return st_err(err, "ckpt_load: no path");
    return load(path, m, NULL, max_batch, out, err);
}

int ckpt_load_into(const char *path, model_t *m, ckpt_info_t *out, char *err)
{
    if (!path || !m) return st_err(err, "ckpt_load_into: no path or model");
    return load(path, NULL, m, 0, out, err);
}
