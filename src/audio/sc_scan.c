/* sc_scan.c: walking a Speech Commands folder, reading the split lists, the sha1 rule. */
#include "audio/netinput.h"
#include "audio/sc_internal.h"
#include "common/text.h"
#include "audio/speechcommands.h"

#include "common/err.h"
#include "common/infile.h"

#include <dirent.h>
#include <nettle/sha1.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *const sc_class_names[SC_NCLASSES] = {"yes",  "no",   "up", "down", "left",    "right",
                                                 "on",   "off",  "stop", "go", "silence", "unknown"};
const char *const sc_split_names[SC_NSPLITS] = {"training", "validation", "testing"};

int sc_word_class(const char *word)
{
    for (int k = 0; k < SC_SILENCE; k++)
        if (strcmp(word, sc_class_names[k]) == 0) return k;
    return SC_UNKNOWN;
}

int sc_hash_split(const char *name)
{
    /* TensorFlow's which_set: hash the base name without "_nohash_..." so that all clips of
     * one speaker land in the same split; p = (int(sha1) mod 2^27) * 100 / (2^27 - 1). */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *cut = strstr(base, "_nohash_");
    size_t len = cut ? (size_t)(cut - base) : strlen(base);
    struct sha1_ctx ctx;
    uint8_t dig[SHA1_DIGEST_SIZE];
    sha1_init(&ctx);
    sha1_update(&ctx, len, (const uint8_t *)base);
    sha1_digest(&ctx, SHA1_DIGEST_SIZE, dig);
    /* The digest is a big-endian integer: its value mod 2^27 is the low 27 bits of the
     * last four bytes. */
    uint32_t low = (uint32_t)dig[16] << 24 | (uint32_t)dig[17] << 16 | (uint32_t)dig[18] << 8 | dig[19];
    low &= (1u << 27) - 1;
    double p = (double)low * (100.0 / 134217727.0);
    if (p < 10.0) return SC_VALIDATION;
    if (p < 20.0) return SC_TEST;
    return SC_TRAIN;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const sc_file_t *)a)->rel, ((const sc_file_t *)b)->rel);
}

int sc_list_has(char *const *list, int n, const char *rel)
{
    return list && n > 0 && bsearch(&rel, list, (size_t)n, sizeof *list, text_cmp_ptrs) != NULL;
}

typedef struct {
    sc_file_t *v;
    int n, cap;
} filevec_t;

static int push_file(filevec_t *fv, const char *dir, const char *rel, int label, char *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path)
        return st_err(err, "%s/%s: path too long", dir, rel);
    /* Anything named *.wav is a clip: a directory, FIFO or dangling link is kept, so that
     * decoding reports it as a bad file (skipped, or fatal under --strict) instead of the
     * scan ignoring it without a word. */
    struct stat st;
    if (stat(path, &st) != 0) memset(&st, 0, sizeof st);
    if (fv->n == fv->cap) {
        int cap = fv->cap ? 2 * fv->cap : 256;
        sc_file_t *v = realloc(fv->v, (size_t)cap * sizeof *v);
        if (!v) return st_err(err, "%s: out of memory listing files", dir);
        fv->v = v;
        fv->cap = cap;
    }
    sc_file_t *f = &fv->v[fv->n];
    f->rel = strdup(rel);
    if (!f->rel) return st_err(err, "%s: out of memory listing files", dir);
    f->label = label;
    f->size = (long long)st.st_size;
    f->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    fv->n++;
    return 0;
}

/* Adds every *.wav in DIR/sub to fv. */
static int scan_folder(const char *dir, const char *sub, int label, filevec_t *fv, char *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d) return st_err(err, "%s: cannot open folder", path);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !audio_is_wav(e->d_name)) continue;
        char rel[4096];
        if (snprintf(rel, sizeof rel, "%s/%s", sub, e->d_name) >= (int)sizeof rel) continue;
        rc = push_file(fv, dir, rel, label, err);
    }
    closedir(d);
    return rc;
}

/* Reads a split list into a sorted array; *list stays NULL when the file does not exist. */
static int read_list(const char *dir, const char *name, char ***list, int *n, char *err)
{
    *list = NULL;
    *n = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) return 0;
    FILE *f = infile_open(path, NULL, err);
    if (!f) return -1;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    int cap = 0, lineno = 0;
    char **v = NULL;
    while ((got = getline(&line, &lcap, f)) > 0) {
        size_t len = (size_t)got;
        lineno++;
        /* A NUL or control byte means this is not a text list: refuse it rather than let
         * garbage entries silently match nothing and empty the split. */
        for (size_t k = 0; k < len; k++) {
            unsigned char ch = (unsigned char)line[k];
            if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
                st_err(err, "%s: line %d: binary content; a split list is text, one "
                       "WORD/FILE.wav per line", path, lineno);
                goto fail;
            }
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            line[--len] = 0;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (p[0] == '.' && p[1] == '/') p += 2; /* "./yes/x.wav" means "yes/x.wav" */
        if (!*p) continue;
        if (*p == '/') {
            st_err(err, "%s: line %d: absolute path \"%.200s\"; entries are relative to the "
                   "dataset folder, e.g. yes/0a7c2a8d_nohash_0.wav", path, lineno, p);
            goto fail;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[*n] = strdup(p))) goto oom;
        (*n)++;
    }
    free(line);
    line = NULL;
    if (!v) v = malloc(sizeof *v); /* an empty list still counts as present */
    if (!v) goto oom;
    fclose(f);
    qsort(v, (size_t)*n, sizeof *v, text_cmp_ptrs);
    *list = v;
    return 0;
oom:
    st_err(err, "%s: out of memory", path);
fail:
    free(line);
    fclose(f);
    for (int i = 0; i < *n; i++) free(v[i]);
    free(v);
    *n = 0;
    return -1;
}

int sc_scan(const char *dir, sc_scan_t *s, char *err)
{
    memset(s, 0, sizeof *s);
    DIR *d = opendir(dir);
    if (!d) return st_err(err, "%s: cannot open dataset folder", dir);
    /* Collect the folder names first: readdir order is arbitrary, sorting happens later. */
    char **subs = NULL;
    int nsub = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (nsub == cap) {
            cap = cap ? 2 * cap : 64;
            char **ns = realloc(subs, (size_t)cap * sizeof *ns);
            if (!ns) {
                rc = st_err(err, "%s: out of memory", dir);
                break;
            }
            subs = ns;
        }
        if (!(subs[nsub] = strdup(e->d_name))) {
            rc = st_err(err, "%s: out of memory", dir);
            break;
        }
        nsub++;
    }
    closedir(d);
    filevec_t words = {0}, noise = {0};
    for (int i = 0; rc == 0 && i < nsub; i++) {
        if (strcmp(subs[i], "_background_noise_") == 0)
            rc = scan_folder(dir, subs[i], -1, &noise, err);
        else if (subs[i][0] != '_') /* '_' folders are not words */
            rc = scan_folder(dir, subs[i], sc_word_class(subs[i]), &words, err);
    }
    for (int i = 0; i < nsub; i++) free(subs[i]);
    free(subs);
    s->words = words.v;
    s->nwords = words.n;
    s->noise = noise.v;
    s->nnoise = noise.n;
    if (rc == 0) rc = read_list(dir, "validation_list.txt", &s->val, &s->nval, err);
    if (rc == 0) rc = read_list(dir, "testing_list.txt", &s->test, &s->ntest, err);
    if (rc) {
        sc_scan_free(s);
        return -1;
    }
    s->have_lists = s->val || s->test;
    if (s->nwords) qsort(s->words, (size_t)s->nwords, sizeof *s->words, cmp_file);
    if (s->nnoise) qsort(s->noise, (size_t)s->nnoise, sizeof *s->noise, cmp_file);
    return 0;
}

void sc_scan_free(sc_scan_t *s)
{
    for (int i = 0; i < s->nwords; i++) free(s->words[i].rel);
    for (int i = 0; i < s->nnoise; i++) free(s->noise[i].rel);
    for (int i = 0; i < s->nval; i++) free(s->val[i]);
    for (int i = 0; i < s->ntest; i++) free(s->test[i]);
    free(s->words);
    free(s->noise);
    free(s->val);
    free(s->test);
    memset(s, 0, sizeof *s);
}

static void sha1_ll(struct sha1_ctx *c, long long v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((unsigned long long)v >> (8 * i));
    sha1_update(c, sizeof b, b);
}

uint64_t sc_scan_key(const sc_scan_t *s, int sample_rate, int clip_samples)
{
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, 12, (const uint8_t *)"sc-cache-v1");
    sha1_ll(&c, sample_rate);
    sha1_ll(&c, clip_samples);
    const sc_file_t *sets[2] = {s->words, s->noise};
    int counts[2] = {s->nwords, s->nnoise};
    for (int k = 0; k < 2; k++) {
        sha1_ll(&c, counts[k]);
        for (int i = 0; i < counts[k]; i++) {
            const sc_file_t *f = &sets[k][i];
            sha1_update(&c, strlen(f->rel) + 1, (const uint8_t *)f->rel);
            sha1_ll(&c, f->size);
            sha1_ll(&c, f->mtime_ns);
        }
    }
    uint8_t dig[SHA1_DIGEST_SIZE];
    sha1_digest(&c, SHA1_DIGEST_SIZE, dig);
    uint64_t key = 0;
    for (int i = 0; i < 8; i++) key = key << 8 | dig[i];
    return key;
}
