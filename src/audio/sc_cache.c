/* sc_cache.c: the decoded-audio cache file next to a Speech Commands folder.
 *
 * Layout (host byte order, checked by a marker): a 64-byte header, then scale[nitems]
 * (float), bad[nitems] (uint8, padded to 8 bytes), pcm[nitems][clip] (int16, padded to 8),
 * noise[nnoise] (float), then one record per bad file: uint32 index, NUL-terminated message.
 * The header's key digests every input file's path, size and mtime; any change rebuilds the
 * whole cache. The header's sum is a checksum of the whole file (sum read as 0), and every
 * scale and noise sample must be finite: a damaged cache is reported and rebuilt, never
 * trained on. The file is mapped read-only, so the OS pages it in and shares it.
 */
#include "audio/sc_internal.h"

#include "common/atomicfile.h"
#include "common/err.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "STSCACHE"
#define CACHE_VERSION 2u
#define CACHE_ENDIAN 0x01020304u

typedef struct {
    char magic[8];
    uint32_t version, endian;
    uint64_t key;
    uint32_t nitems, clip, nnoise_files, nmsgs;
    uint64_t nnoise;
    uint64_t msg_bytes;
    uint64_t sum; /* sum_t of the file with this field 0 */
} header_t;

_Static_assert(sizeof(header_t) == 64, "cache header is 64 bytes");

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Checksum: four multiply-xor lanes over 8-byte words, so checking a cache of gigabytes costs
 * a fraction of reading it; byte-wise FNV-1a (the checkpoints' hash) was 20 times slower,
 * seconds per start on the full dataset. */
typedef struct {
    uint64_t lane[4];
    uint8_t buf[32];
    size_t nbuf;
    uint64_t total;
} sum_t;

#define SUM_PRIME 0x100000001b3ull

static void sum_block(sum_t *s, const uint8_t *p)
{
    for (int k = 0; k < 4; k++) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);
        s->lane[k] = (s->lane[k] ^ w) * SUM_PRIME;
    }
}

static void sum_init(sum_t *s)
{
    memset(s, 0, sizeof *s);
    for (int k = 0; k < 4; k++) s->lane[k] = 0xcbf29ce484222325ull + (uint64_t)k;
}

static void sum_feed(sum_t *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (n == 0) return; /* data may be NULL */
    s->total += n;
    if (s->nbuf) {
        size_t t = 32 - s->nbuf < n ? 32 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, t);
        s->nbuf += t;
        p += t;
        n -= t;
        if (s->nbuf < 32) return;
        sum_block(s, s->buf);
        s->nbuf = 0;
    }
    for (; n >= 32; p += 32, n -= 32) sum_block(s, p);
    memcpy(s->buf, p, n);
    s->nbuf = n;
}

static uint64_t sum_end(sum_t *s)
{
    memset(s->buf + s->nbuf, 0, 32 - s->nbuf);
    sum_block(s, s->buf);
    uint64_t h = s->total;
    for (int k = 0; k < 4; k++) {
        h = (h ^ s->lane[k]) * SUM_PRIME;
        h ^= h >> 29;
    }
    return h;
}

/* The sum of a file image: the header with sum 0, then the body. */
static uint64_t sum_file(const header_t *h, const void *body, size_t n)
{
    header_t z = *h;
    z.sum = 0;
    sum_t s;
    sum_init(&s);
    sum_feed(&s, &z, sizeof z);
    sum_feed(&s, body, n);
    return sum_end(&s);
}

/* Offsets of the arrays after the header. */
typedef struct {
    size_t scale, bad, pcm, noise, msgs, end;
} layout_t;

static int layout(uint64_t nitems, uint64_t clip, uint64_t nnoise, uint64_t msg_bytes, layout_t *l)
{
    /* Reject sizes whose byte counts could overflow before multiplying. */
    if (nitems > (1u << 30) || clip > (1u << 26) || nnoise > ((uint64_t)1 << 40) ||
        msg_bytes > ((uint64_t)1 << 40) || nitems * clip > ((uint64_t)1 << 40))
        return -1;
    l->scale = sizeof(header_t);
    l->bad = l->scale + pad8(nitems * sizeof(float));
    l->pcm = l->bad + pad8(nitems);
    l->noise = l->pcm + pad8(nitems * clip * sizeof(int16_t));
    l->msgs = l->noise + nnoise * sizeof(float);
    l->end = l->msgs + msg_bytes;
    return 0;
}

int sc_cache_load(const char *path, uint64_t key, int nitems, int nnoise_files, int clip,
                  sc_audio_t *a, char *err)
{
    memset(a, 0, sizeof *a);
    if (err) err[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0) return -1;
    struct stat st;
    header_t h;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof h || pread(fd, &h, sizeof h, 0) != sizeof h) {
        close(fd);
        return -1;
    }
    layout_t l;
    if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.version != CACHE_VERSION || h.endian != CACHE_ENDIAN ||
        h.key != key || h.nitems != (uint32_t)nitems || h.clip != (uint32_t)clip ||
        h.nnoise_files != (uint32_t)nnoise_files ||
        layout(h.nitems, h.clip, h.nnoise, h.msg_bytes, &l) || l.end != (size_t)st.st_size) {
        close(fd);
        return -1;
    }
    void *map = mmap(NULL, l.end, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return -1;
    const char *base = map;
    a->map = map;
    a->map_len = l.end;
    a->nitems = nitems;
    a->clip = clip;
    a->scale = (const float *)(base + l.scale);
    a->bad = (const uint8_t *)(base + l.bad);
    a->pcm = (const int16_t *)(base + l.pcm);
    a->nnoise = (long)h.nnoise;
    a->noise = (const float *)(base + l.noise);
    a->nmsgs = nitems + nnoise_files;
    if (sum_file(&h, base + sizeof h, l.end - sizeof h) != h.sum) {
        st_err(err, "%s: checksum mismatch: the cache is corrupted", path);
        goto bad;
    }
    for (int i = 0; i < nitems; i++)
        if (!isfinite(a->scale[i])) {
            st_err(err, "%s: clip %d has a non-finite scale", path, i);
            goto bad;
        }
    for (long i = 0; i < a->nnoise; i++)
        if (!isfinite(a->noise[i])) {
            st_err(err, "%s: background noise sample %ld is not finite", path, i);
            goto bad;
        }
    a->msgs = calloc((size_t)a->nmsgs + 1, sizeof *a->msgs);
    if (!a->msgs) goto bad;
    /* Messages: validate every record against the mapped bounds. */
    const char *p = base + l.msgs, *end = base + l.end;
    for (uint32_t k = 0; k < h.nmsgs; k++) {
        uint32_t idx;
        if (end - p < 5) goto bad_msgs;
        memcpy(&idx, p, 4);
        p += 4;
        const char *z = memchr(p, 0, (size_t)(end - p));
        if (!z || idx >= (uint32_t)a->nmsgs || a->msgs[idx]) goto bad_msgs;
        if (!(a->msgs[idx] = strdup(p))) goto bad;
        if (idx >= (uint32_t)nitems) a->noise_bad++;
        p = z + 1;
    }
    if (p != end) goto bad_msgs;
    for (int i = 0; i < nitems; i++)
        if (a->bad[i] != (a->msgs[i] != NULL)) goto bad_msgs;
    return 0;
bad_msgs:
    st_err(err, "%s: malformed bad-file records", path);
bad:
    sc_audio_free(a);
    return -1;
}

/* One piece of the body: written to f, or fed to s when f is NULL. 0 or -1. */
static int put(FILE *f, sum_t *s, const void *p, size_t n)
{
    if (!f) return sum_feed(s, p, n), 0;
    if (n == 0) return 0; /* p may be NULL */
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* The body after the header, in file order (see the layout above). */
static int cache_body(FILE *f, sum_t *s, const sc_audio_t *a)
{
    static const uint8_t zeros[8];
    size_t n = (size_t)a->nitems, np = n * (size_t)a->clip;
    int bad = put(f, s, a->scale, n * sizeof(float)) ||
              put(f, s, zeros, pad8(n * sizeof(float)) - n * sizeof(float)) ||
              put(f, s, a->bad, n) || put(f, s, zeros, pad8(n) - n) ||
              put(f, s, a->pcm, np * sizeof(int16_t)) || put(f, s, zeros, pad8(np * 2) - np * 2) ||
              put(f, s, a->noise, (size_t)a->nnoise * sizeof(float));
    for (int i = 0; !bad && i < a->nmsgs; i++)
        if (a->msgs[i]) {
            uint32_t idx = (uint32_t)i;
            bad = put(f, s, &idx, 4) || put(f, s, a->msgs[i], strlen(a->msgs[i]) + 1);
        }
    return bad ? -1 : 0;
}

int sc_cache_save(const char *path, uint64_t key, int nnoise_files, const sc_audio_t *a, char *err)
{
    header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.version = CACHE_VERSION;
    h.endian = CACHE_ENDIAN;
    h.key = key;
    h.nitems = (uint32_t)a->nitems;
    h.clip = (uint32_t)a->clip;
    h.nnoise_files = (uint32_t)nnoise_files;
    h.nnoise = (uint64_t)a->nnoise;
    for (int i = 0; i < a->nmsgs; i++)
        if (a->msgs[i]) {
            h.nmsgs++;
            h.msg_bytes += 4 + strlen(a->msgs[i]) + 1;
        }
    layout_t l;
    if (layout(h.nitems, h.clip, h.nnoise, h.msg_bytes, &l))
        return st_err(err, "%s: dataset too large for the cache format", path);
    sum_t sum;
    sum_init(&sum);
    sum_feed(&sum, &h, sizeof h);
    cache_body(NULL, &sum, a);
    h.sum = sum_end(&sum);
    afile_t f;
    if (afile_open(&f, path, err)) return -1;
    if (fwrite(&h, sizeof h, 1, f.f) != 1 || cache_body(f.f, NULL, a)) {
        afile_abort(&f);
        return st_err(err, "%s: write failed", path);
    }
    return afile_commit(&f, err);
}

void sc_audio_free(sc_audio_t *a)
{
    if (a->map) munmap(a->map, a->map_len);
    for (int i = 0; i < 4; i++) free(a->owned[i]);
    if (a->msgs)
        for (int i = 0; i < a->nmsgs; i++) free(a->msgs[i]);
    free(a->msgs);
    memset(a, 0, sizeof *a);
}
