/* melstream.c: sliding-window inputs from one running spectrogram. */
#include "audio/melstream.h"

#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mel_stream {
    const mel_t *m;
    mel_work_t *work;     /* the stream's FFT scratch */
    int L, nfft, hop, H, W, nm, step_frames;
    int t0, t1;           /* window frames t0..t1-1 lie wholly inside the window */
    float *buf;           /* samples from absolute index buf_start; capacity cap */
    long buf_start, buf_n, cap;
    long total;           /* samples pushed so far */
    float *ring;          /* (n_mels, W): interior frame g at column g % W */
    long next_g;          /* interior frames below this are in the ring */
    long next_w;          /* next window to emit */
    float *win, *frame;   /* (n_mels, W) window input; (n_fft) an edge frame */
};

mel_stream_t *mel_stream_init(const mel_t *m, int hop_frames, char *err)
{
    if (hop_frames < 1) {
        st_err(err, "window hop of %d frames: must be at least 1", hop_frames);
        return NULL;
    }
    const feat_config_t *c = mel_config(m);
    mel_stream_t *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->m = m;
    s->L = c->clip_samples, s->nfft = c->n_fft, s->hop = c->hop, s->H = c->n_fft / 2;
    s->W = mel_frames(m), s->nm = c->n_mels, s->step_frames = hop_frames;
    s->t0 = (s->H + s->hop - 1) / s->hop;
    s->t1 = s->L >= s->H ? (s->L - s->H) / s->hop + 1 : 0;
    if (s->t1 > s->W) s->t1 = s->W;
    if (s->t1 < s->t0) s->t1 = s->t0; /* no interior frames */
    s->cap = (long)s->L + (long)hop_frames * s->hop + 4096;
    s->buf = malloc((size_t)s->cap * sizeof *s->buf);
    s->ring = malloc((size_t)s->nm * s->W * sizeof *s->ring);
    s->win = malloc((size_t)s->nm * s->W * sizeof *s->win);
    s->frame = malloc((size_t)s->nfft * sizeof *s->frame);
    s->work = mel_work_init(m, NULL);
    if (!s->buf || !s->ring || !s->win || !s->frame || !s->work) goto oom;
    return s;
oom:
    mel_stream_free(s);
    st_err(err, "mel stream: out of memory");
    return NULL;
}

long mel_stream_step(const mel_stream_t *s) { return (long)s->step_frames * s->hop; }

/* Emits window next_w; its samples [start, start + L) are in buf (zeros past the end). */
static int emit(mel_stream_t *s, mel_window_fn fn, void *ctx)
{
    const long w = s->next_w, start = w * mel_stream_step(s);
    const float *x = s->buf + (start - s->buf_start);
    const long gw = w * s->step_frames;
    for (long g = s->next_g > gw + s->t0 ? s->next_g : gw + s->t0; g < gw + s->t1; g++)
        mel_frame(s->m, s->work, x + (g - gw) * s->hop - s->H, s->ring + g % s->W, (size_t)s->W);
    if (gw + s->t1 > s->next_g) s->next_g = gw + s->t1;
    for (int t = 0; t < s->W; t++) {
        if (t >= s->t0 && t < s->t1) {
            const float *col = s->ring + (gw + t) % s->W;
            for (int b = 0; b < s->nm; b++) s->win[(size_t)b * s->W + t] = col[(size_t)b * s->W];
            continue;
        }
        /* An edge frame: the window's reflect padding, as mel_compute pads a clip. */
        for (int i = 0; i < s->nfft; i++) {
            long k = (long)t * s->hop + i - s->H;
            if (k < 0) k = -k;
            if (k >= s->L) k = 2L * (s->L - 1) - k;
            if (k < 0) k = 0;
            s->frame[i] = x[k];
        }
        mel_frame(s->m, s->work, s->frame, s->win + t, (size_t)s->W);
    }
    mel_power_to_input(s->m, s->win);
    s->next_w++;
    return fn(ctx, w, s->win);
}

/* Drops samples before the next window's start. */
static void compact(mel_stream_t *s)
{
    long keep_from = s->next_w * mel_stream_step(s);
    long drop = keep_from - s->buf_start;
    if (drop <= 0) return;
    if (drop > s->buf_n) drop = s->buf_n;
    memmove(s->buf, s->buf + drop, (size_t)(s->buf_n - drop) * sizeof *s->buf);
    s->buf_n -= drop;
    s->buf_start += drop;
}

int mel_stream_push(mel_stream_t *s, const float *x, long n, mel_window_fn fn, void *ctx)
{
    while (n > 0) {
        compact(s);
        long room = s->cap - s->buf_n, k = n < room ? n : room;
        for (long i = 0; i < k; i++) s->buf[s->buf_n + i] = isfinite(x[i]) ? x[i] : 0.0f;
        s->buf_n += k, s->total += k, x += k, n -= k;
        for (;;) {
            long start = s->next_w * mel_stream_step(s);
            if (start + s->L > s->buf_start + s->buf_n) break;
            int r = emit(s, fn, ctx);
            if (r) return r;
        }
    }
    return 0;
}

int mel_stream_finish(mel_stream_t *s, mel_window_fn fn, void *ctx)
{
    for (;;) {
        long start = s->next_w * mel_stream_step(s);
        long last_end = s->next_w ? (s->next_w - 1) * mel_stream_step(s) + s->L : 0;
        if (s->next_w > 0 && last_end >= s->total) return 0;
        compact(s);
        long have = s->buf_start + s->buf_n;
        long need = start + s->L - have; /* zeros past the end */
        if (need > 0) {
            memset(s->buf + s->buf_n, 0, (size_t)need * sizeof *s->buf);
            s->buf_n += need;
        }
        int r = emit(s, fn, ctx);
        if (r) return r;
    }
}

void mel_stream_free(mel_stream_t *s)
{
    if (!s) return;
    free(s->buf), free(s->ring), free(s->win), free(s->frame);
    mel_work_free(s->work);
    free(s);
}
