/* sc_cache.c: the decoded-audio cache file next to a Speech Commands folder.
 *
 * Layout (host byte order, checked by a marker): a 64-byte header, then scale[nitems]
 * (float), bad[nitems] (uint8, padded to 8 bytes), pcm[nitems][clip] (int16, padded to 8),
 * noise[nnoise] (float), then one record per bad file: uint32 index, NUL-terminated message.
 * The header's key digests every input file's path, size and mtime; any change rebuilds the
 * whole cache. The file is mapped read-only, so the OS pages it in and shares it.
 */
#include "audio/sc_internal.h"

#include "common/atomicfile.h"
#include "common/err.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "STSCACHE"
#define CACHE_VERSION 1u
#define CACHE_ENDIAN 0x01020304u

typedef struct {
    char magic[8];
    uint32_t version, endian;
    uint64_t key;
    uint32_t nitems, clip, nnoise_files, nmsgs;
    uint64_t nnoise;
    uint64_t msg_bytes;
    uint8_t pad[8];
} header_t;

_Static_assert(sizeof(header_t) == 64, "cache header is 64 bytes");

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

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
                  sc_audio_t *a)
{
    memset(a, 0, sizeof *a);
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
    a->msgs = calloc((size_t)a->nmsgs + 1, sizeof *a->msgs);
    if (!a->msgs) goto bad;
    /* Messages: validate every record against the mapped bounds. */
    const char *p = base + l.msgs, *end = base + l.end;
    for (uint32_t k = 0; k < h.nmsgs; k++) {
        uint32_t idx;
        if (end - p < 5) goto bad;
        memcpy(&idx, p, 4);
        p += 4;
        const char *z = memchr(p, 0, (size_t)(end - p));
        if (!z || idx >= (uint32_t)a->nmsgs || a->msgs[idx]) goto bad;
        if (!(a->msgs[idx] = strdup(p))) goto bad;
        if (idx >= (uint32_t)nitems) a->noise_bad++;
        p = z + 1;
    }
    if (p != end) goto bad;
    for (int i = 0; i < nitems; i++)
        if (a->bad[i] != (a->msgs[i] != NULL)) goto bad;
    return 0;
bad:
    sc_audio_free(a);
    return -1;
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
    afile_t f;
    if (afile_open(&f, path, err)) return -1;
    static const uint8_t zeros[8];
    size_t n = (size_t)a->nitems;
    int ok = fwrite(&h, sizeof h, 1, f.f) == 1;
    ok = ok && fwrite(a->scale, sizeof(float), n, f.f) == n;
    ok = ok && fwrite(zeros, 1, pad8(n * sizeof(float)) - n * sizeof(float), f.f) == pad8(n * sizeof(float)) - n * sizeof(float);
    ok = ok && fwrite(a->bad, 1, n, f.f) == n;
    ok = ok && fwrite(zeros, 1, pad8(n) - n, f.f) == pad8(n) - n;
    size_t np = n * (size_t)a->clip;
    ok = ok && fwrite(a->pcm, sizeof(int16_t), np, f.f) == np;
    ok = ok && fwrite(zeros, 1, pad8(np * 2) - np * 2, f.f) == pad8(np * 2) - np * 2;
    ok = ok && fwrite(a->noise, sizeof(float), (size_t)a->nnoise, f.f) == (size_t)a->nnoise;
    for (int i = 0; ok && i < a->nmsgs; i++)
        if (a->msgs[i]) {
            uint32_t idx = (uint32_t)i;
            ok = fwrite(&idx, 4, 1, f.f) == 1 && fputs(a->msgs[i], f.f) >= 0 && fputc(0, f.f) == 0;
        }
    if (!ok) {
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
