/* reader.c: block-wise decoding with streaming resampling. */
#include "audio/reader.h"

#include "common/err.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096 /* input frames per read */

struct audio_reader {
    char name[1024];
    SNDFILE *sf;          /* or raw PCM from fd */
    int fd, channels, rate, target;
    SRC_STATE *src;
    float *in, *mono;     /* (BLOCK * channels), (BLOCK) */
    int16_t *raw;         /* (BLOCK * channels) */
    long mono_n, mono_pos;
    int eof, done;
};

static audio_reader_t *common_init(audio_reader_t *r, char *err)
{
    r->in = malloc((size_t)BLOCK * r->channels * sizeof *r->in);
    r->mono = malloc((size_t)BLOCK * sizeof *r->mono);
    r->raw = r->sf ? NULL : malloc((size_t)BLOCK * r->channels * sizeof *r->raw);
    if (!r->in || !r->mono || (!r->sf && !r->raw)) {
        st_err(err, "%s: out of memory", r->name);
        audio_reader_close(r);
        return NULL;
    }
    if (r->rate != r->target) {
        int e = 0;
        r->src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &e);
        if (!r->src) {
            st_err(err, "%s: resampler: %s", r->name, src_strerror(e));
            audio_reader_close(r);
            return NULL;
        }
    }
    return r;
}

audio_reader_t *audio_reader_open(const char *path, int target_rate, char *err)
{
    audio_reader_t *r = calloc(1, sizeof *r);
    if (!r) {
        st_err(err, "%s: out of memory", path);
        return NULL;
    }
    snprintf(r->name, sizeof r->name, "%s", path);
    SF_INFO info = {0};
    r->fd = -1;
    r->sf = sf_open(path, SFM_READ, &info);
    if (!r->sf) {
        st_err(err, "%s: cannot read audio: %s", path, sf_strerror(NULL));
        free(r);
        return NULL;
    }
    if (info.channels < 1 || info.channels > 1024 || info.samplerate < 1) {
        st_err(err, "%s: bad header (%d channels, %d Hz)", path, info.channels, info.samplerate);
        sf_close(r->sf);
        free(r);
        return NULL;
    }
    r->channels = info.channels, r->rate = info.samplerate, r->target = target_rate;
    return common_init(r, err);
}

audio_reader_t *audio_reader_open_pcm16(int fd, const char *name, int rate, int channels, int target_rate,
                                        char *err)
{
    if (rate < 1000 || rate > 384000 || channels < 1 || channels > 64) {
        st_err(err, "%s: raw PCM needs a rate of 1000..384000 Hz and 1..64 channels", name);
        return NULL;
    }
    audio_reader_t *r = calloc(1, sizeof *r);
    if (!r) {
        st_err(err, "%s: out of memory", name);
        return NULL;
    }
    snprintf(r->name, sizeof r->name, "%s", name);
    r->fd = fd, r->channels = channels, r->rate = rate, r->target = target_rate;
    return common_init(r, err);
}

/* Reads up to BLOCK input frames into r->mono (averaged channels); 0 at the end. */
static long read_block(audio_reader_t *r, char *err)
{
    long frames;
    const int C = r->channels;
    if (r->sf) {
        frames = (long)sf_readf_float(r->sf, r->in, BLOCK);
        if (frames == 0 && sf_error(r->sf)) return st_err(err, "%s: read error: %s", r->name, sf_strerror(r->sf));
    } else {
        /* Whatever the pipe has (at least one whole frame), so that live input is not held back. */
        size_t want = (size_t)BLOCK * C * 2, got = 0, fb = (size_t)C * 2;
        uint8_t *b = (uint8_t *)r->raw;
        while (got < fb || got % fb) {
            ssize_t k = read(r->fd, b + got, want - got);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return st_err(err, "%s: read error: %s", r->name, strerror(errno));
            if (k == 0) break;
            got += (size_t)k;
        }
        frames = (long)(got / fb);
        for (long i = 0; i < frames * C; i++) r->in[i] = (float)(int16_t)(b[2 * i] | b[2 * i + 1] << 8) / 32768.0f;
    }
    for (long i = 0; i < frames; i++) {
        float s = 0.0f;
        for (int c = 0; c < C; c++) s += r->in[i * C + c];
        s /= (float)C;
        r->mono[i] = isfinite(s) ? s : 0.0f;
    }
    return frames;
}

long audio_reader_read(audio_reader_t *r, float *out, long max, char *err)
{
    if (max <= 0 || r->done) return 0;
    if (!r->src) {
        long k = read_block(r, err);
        if (k <= 0) return r->done = 1, k;
        /* max >= BLOCK is the normal case; otherwise keep the rest for the next call */
        if (k > max) k = max; /* callers pass max >= BLOCK (see cmd_detect) */
        memcpy(out, r->mono, (size_t)k * sizeof *out);
        return k;
    }
    for (;;) {
        if (r->mono_pos == r->mono_n && !r->eof) {
            long k = read_block(r, err);
            if (k < 0) return -1;
            if (k == 0) r->eof = 1;
            r->mono_n = k, r->mono_pos = 0;
        }
        SRC_DATA d = {0};
        d.data_in = r->mono + r->mono_pos;
        d.input_frames = r->mono_n - r->mono_pos;
        d.data_out = out;
        d.output_frames = max;
        d.src_ratio = (double)r->target / r->rate;
        d.end_of_input = r->eof;
        int e = src_process(r->src, &d);
        if (e) return st_err(err, "%s: resampler: %s", r->name, src_strerror(e));
        r->mono_pos += d.input_frames_used;
        if (d.output_frames_gen > 0) return d.output_frames_gen;
        if (r->eof && d.input_frames_used == 0) return r->done = 1, 0;
    }
}

void audio_reader_close(audio_reader_t *r)
{
    if (!r) return;
    if (r->sf) sf_close(r->sf);
    if (r->src) src_delete(r->src);
    free(r->in), free(r->mono), free(r->raw);
    free(r);
}
