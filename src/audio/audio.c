/* audio.c: libsndfile decoding, mono mixdown, libsamplerate conversion, fixed length. */
#include "audio/audio.h"

#include "common/err.h"
#include "common/infile.h"

#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- in-memory file image for sf_open_virtual ---- */

typedef struct {
    const unsigned char *data;
    sf_count_t size, pos;
} memfile_t;

static sf_count_t mem_len(void *u) { return ((memfile_t *)u)->size; }

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    memfile_t *m = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->size + off;
    if (p < 0 || p > m->size) return -1;
    m->pos = p;
    return p;
}

static sf_count_t mem_read(void *dst, sf_count_t count, void *u)
{
    memfile_t *m = u;
    if (count < 0) return 0;
    sf_count_t left = m->size - m->pos;
    if (count > left) count = left;
    memcpy(dst, m->data + m->pos, (size_t)count);
    m->pos += count;
    return count;
}

static sf_count_t mem_write(const void *src, sf_count_t count, void *u)
{
    (void)src, (void)count, (void)u;
    return 0;
}

static sf_count_t mem_tell(void *u) { return ((memfile_t *)u)->pos; }

/* libsndfile accepts a WAV whose data chunk runs past the end of the file and silently
 * shortens it, logging "data : <declared> (should be <actual>)". That is a truncated file
 * to us, unless the declared size is a streaming placeholder (~4 GiB); a declared 0 is not
 * truncation but gives no frames at all, which decode() refuses. */
static int wav_truncated(SNDFILE *f, long long *declared, long long *actual)
{
    char log[8192];
    log[0] = 0;
    sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
    for (const char *p = log; (p = strstr(p, "data :")) != NULL; p++) {
        long long d, a;
        if (sscanf(p, "data : %lld (should be %lld)", &d, &a) == 2 && d > 0 && d < 0xFFFFFF00LL &&
            a < d) {
            *declared = d;
            *actual = a;
            return 1;
        }
    }
    return 0;
}

/* Decodes an open handle into malloc'd mono samples at the file's rate. */
static int decode(SNDFILE *f, const SF_INFO *info, const char *name, float **out, long *n, char *err)
{
    *out = NULL;
    *n = 0;
    if (info->channels < 1 || info->channels > 1024)
        return st_err(err, "%s: unsupported channel count %d", name, info->channels);
    if (info->samplerate < 1000 || info->samplerate > 1000000)
        return st_err(err, "%s: unsupported sample rate %d Hz", name, info->samplerate);
    if (info->frames <= 0) return st_err(err, "%s: no audio frames", name);
    if (info->frames > AUDIO_MAX_FRAMES)
        return st_err(err, "%s: too long (%lld frames, limit %ld)", name, (long long)info->frames,
                      AUDIO_MAX_FRAMES);
    long long declared, actual;
    if (wav_truncated(f, &declared, &actual))
        return st_err(err, "%s: truncated (data chunk declares %lld bytes, file holds %lld)", name,
                      declared, actual);

    const int ch = info->channels;
    const long want = (long)info->frames;
    const long block = 4096;
    /* The output grows with what really decodes: a header may promise 2^29 frames in a file
     * of 88 bytes (a FLAC found by the fuzzer), and that must not cost gigabytes up front. */
    long cap = want < 65536 ? want : 65536;
    float *mono = malloc((size_t)cap * sizeof *mono);
    float *buf = malloc((size_t)block * (size_t)ch * sizeof *buf);
    if (!mono || !buf) {
        free(mono);
        free(buf);
        return st_err(err, "%s: out of memory for %ld frames", name, cap);
    }
    long got = 0;
    while (got < want) {
        long req = want - got < block ? want - got : block;
        sf_count_t r = sf_readf_float(f, buf, req);
        if (r <= 0) break;
        if (got + r > cap) {
            long nc = cap * 2 < want ? cap * 2 : want;
            float *grown = realloc(mono, (size_t)nc * sizeof *mono);
            if (!grown) {
                free(mono);
                free(buf);
                return st_err(err, "%s: out of memory for %ld frames", name, nc);
            }
            mono = grown;
            cap = nc;
        }
        for (sf_count_t i = 0; i < r; i++) {
            /* Sum in double so that averaging many channels does not lose bits. */
            double s = 0;
            for (int c = 0; c < ch; c++) s += buf[i * ch + c];
            float v = (float)(s / ch);
            if (!isfinite(v)) {
                free(mono);
                free(buf);
                return st_err(err, "%s: non-finite sample (NaN or Inf) at frame %ld", name,
                              got + (long)i);
            }
            mono[got + i] = v;
        }
        got += (long)r;
    }
    free(buf);
    if (got < want) {
        free(mono);
        return st_err(err, "%s: truncated (read %ld of %ld frames)", name, got, want);
    }
    *out = mono;
    *n = got;
    return 0;
}

int audio_resample(const float *in, long n, int in_rate, int out_rate, float **out, long *nout,
                   char *err)
{
    *out = NULL;
    *nout = 0;
    if (in_rate <= 0 || out_rate <= 0)
        return st_err(err, "resample: bad rates %d -> %d Hz", in_rate, out_rate);
    double ratio = (double)out_rate / in_rate;
    if (ratio > 256.0 || ratio < 1.0 / 256.0)
        return st_err(err, "resample: ratio %d -> %d Hz outside libsamplerate's 1/256..256",
                      in_rate, out_rate);
    long cap = (long)ceil(n * ratio) + 16;
    float *o = malloc((size_t)cap * sizeof *o);
    if (!o) return st_err(err, "resample: out of memory for %ld samples", cap);
    SRC_DATA d = {0};
    d.data_in = in;
    d.input_frames = n;
    d.data_out = o;
    d.output_frames = cap;
    d.src_ratio = ratio;
    d.end_of_input = 1;
    int e = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
    if (e) {
        free(o);
        return st_err(err, "resample %d -> %d Hz: %s", in_rate, out_rate, src_strerror(e));
    }
    *out = o;
    *nout = (long)d.output_frames_gen;
    return 0;
}

static int finish(SNDFILE *f, const SF_INFO *info, const char *name, int target_rate,
                  float **samples, long *n, char *err)
{
    float *raw;
    long nraw;
    int rc = decode(f, info, name, &raw, &nraw, err);
    sf_close(f);
    if (rc) return rc;
    if (target_rate <= 0 || info->samplerate == target_rate) {
        *samples = raw;
        *n = nraw;
        return 0;
    }
    char sub[ST_ERR_LEN];
    rc = audio_resample(raw, nraw, info->samplerate, target_rate, samples, n, sub);
    free(raw);
    if (rc) return st_err(err, "%s: %s", name, sub);
    if (*n <= 0) {
        free(*samples);
        *samples = NULL;
        return st_err(err, "%s: no audio frames after resampling to %d Hz", name, target_rate);
    }
    return 0;
}

int audio_read(const char *path, int target_rate, float **samples, long *n, char *err)
{
    *samples = NULL;
    *n = 0;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    int fd = infile_open_fd(path, NULL, err); /* a FIFO or directory is refused, not waited on */
    if (fd < 0) return -1;
    SNDFILE *f = sf_open_fd(fd, SFM_READ, &info, SF_TRUE);
    if (!f) {
        close(fd);
        return st_err(err, "%s: cannot read as audio (%s)", path, sf_strerror(NULL));
    }
    return finish(f, &info, path, target_rate, samples, n, err);
}

int audio_read_mem(const void *data, size_t size, const char *name, int target_rate,
                   float **samples, long *n, char *err)
{
    *samples = NULL;
    *n = 0;
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    memfile_t m = {data, (sf_count_t)size, 0};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!f) return st_err(err, "%s: cannot read as audio (%s)", name, sf_strerror(NULL));
    return finish(f, &info, name, target_rate, samples, n, err);
}

void audio_fix_length(const float *in, long n, float *out, int clip_samples)
{
    long k = n < clip_samples ? n : clip_samples;
    if (k > 0) memcpy(out, in, (size_t)k * sizeof *out);
    for (long i = k; i < clip_samples; i++) out[i] = 0.0f;
}

int audio_load_clip(const char *path, int target_rate, int clip_samples, float *out, char *err)
{
    float *s;
    long n;
    if (audio_read(path, target_rate, &s, &n, err)) return -1;
    audio_fix_length(s, n, out, clip_samples);
    free(s);
    return 0;
}
