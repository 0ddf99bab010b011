/* mel.c: centred STFT (real FFT, audio/fft.h) -> power -> sparse Slaney mel bands -> dB. */
#include "audio/mel.h"

#include "audio/fft.h"
#include "common/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scratch of one concurrent user: an FFT plan is for one thread at a time (KissFFT keeps a
 * work buffer inside its plan). */
struct mel_work {
    fft_real_t *fft;
    float *frame;          /* (n_fft) windowed frame, then the power spectrum */
    fft_cpx_t *spec;       /* (n_fft/2 + 1) */
    float *padded;         /* (clip_samples + n_fft) the clip with reflect padding, sanitised */
    float *block;          /* the one allocation the three buffers are carved from */
};

struct mel {
    feat_config_t c;
    int frames, nbins;
    float *window;         /* (n_fft) periodic Hann */
    int *band_lo, *band_len, *band_off; /* (n_mels) each, one allocation at band_lo: first bin,
                                         * bin count, offset into weights */
    float *weights;        /* concatenated nonzero triangle weights */
};

void feat_config_default(feat_config_t *c)
{
    *c = (feat_config_t){.sample_rate = 16000, .clip_samples = 16000, .n_fft = 2048, .hop = 512,
                         .n_mels = 32, .fmin = 0.0, .fmax = 8000.0};
}

int feat_config_check(const feat_config_t *c, char *err)
{
    if (c->sample_rate < 1000 || c->sample_rate > 384000)
        return st_err(err, "sample rate %d Hz: must be 1000..384000", c->sample_rate);
    if (c->n_fft < 4 || c->n_fft > 65536 || c->n_fft % 2)
        return st_err(err, "n_fft %d: must be even, 4..65536", c->n_fft);
    if (c->clip_samples < 1 || c->clip_samples > (1 << 26))
        return st_err(err, "clip length %d samples: must be 1..%d", c->clip_samples, 1 << 26);
    if (c->n_fft / 2 >= c->clip_samples)
        return st_err(err, "n_fft %d: reflect padding needs n_fft/2 < clip length (%d samples)",
                      c->n_fft, c->clip_samples);
    if (c->hop < 1 || c->hop > c->clip_samples)
        return st_err(err, "hop %d: must be 1..clip length (%d)", c->hop, c->clip_samples);
    if (c->n_mels < 1 || c->n_mels > c->n_fft / 2 + 1)
        return st_err(err, "n_mels %d: must be 1..n_fft/2+1 (%d)", c->n_mels, c->n_fft / 2 + 1);
    if (!(c->fmin >= 0.0) || !(c->fmax > c->fmin) || c->fmax > c->sample_rate / 2.0)
        return st_err(err, "fmin %g / fmax %g Hz: need 0 <= fmin < fmax <= sample_rate/2 (%g)",
                      c->fmin, c->fmax, c->sample_rate / 2.0);
    return 0;
}

int feat_config_frames(const feat_config_t *c) { return 1 + c->clip_samples / c->hop; }

/* Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above. */
static double hz_to_mel(double f)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, logstep = log(6.4) / 27.0;
    return f < min_log_hz ? f / f_sp : min_log_hz / f_sp + log(f / min_log_hz) / logstep;
}

static double mel_to_hz(double m)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, logstep = log(6.4) / 27.0;
    const double min_log_mel = min_log_hz / f_sp;
    return m < min_log_mel ? m * f_sp : min_log_hz * exp(logstep * (m - min_log_mel));
}

/* The torchaudio/librosa filterbank (slaney scale and norm): triangles between mel-spaced
 * points over the bin frequencies linspace(0, sr//2, nbins); kept as one span per band. */
static int build_filterbank(mel_t *m)
{
    const int nm = m->c.n_mels, nb = m->nbins;
    double *fp = malloc((size_t)(nm + 2) * sizeof *fp);
    double *dense = malloc((size_t)nm * nb * sizeof *dense);
    m->band_lo = malloc(3 * (size_t)nm * sizeof(int));   /* the three band tables in one */
    if (!fp || !dense || !m->band_lo) {
        free(fp);
        free(dense);
        return -1;
    }
    m->band_len = m->band_lo + nm;
    m->band_off = m->band_lo + 2 * nm;
    double mmin = hz_to_mel(m->c.fmin), mmax = hz_to_mel(m->c.fmax);
    for (int i = 0; i < nm + 2; i++) fp[i] = mel_to_hz(mmin + (mmax - mmin) * i / (nm + 1));
    const double top = (double)(m->c.sample_rate / 2);
    long total = 0;
    for (int b = 0; b < nm; b++) {
        double enorm = 2.0 / (fp[b + 2] - fp[b]);
        int lo = -1, hi = -1;
        for (int k = 0; k < nb; k++) {
            double f = nb > 1 ? top * k / (nb - 1) : 0.0;
            double down = (f - fp[b]) / (fp[b + 1] - fp[b]);
            double up = (fp[b + 2] - f) / (fp[b + 2] - fp[b + 1]);
            double w = fmax(0.0, fmin(down, up)) * enorm;
            dense[(size_t)b * nb + k] = w;
            if (w > 0) {
                if (lo < 0) lo = k;
                hi = k;
            }
        }
        /* A band narrower than one bin has no weights (torchaudio warns, output is 0). */
        m->band_lo[b] = lo < 0 ? 0 : lo;
        m->band_len[b] = lo < 0 ? 0 : hi - lo + 1;
        m->band_off[b] = (int)total;
        total += m->band_len[b];
    }
    m->weights = malloc((size_t)(total ? total : 1) * sizeof *m->weights);
    if (!m->weights) {
        free(fp);
        free(dense);
        return -1;
    }
    for (int b = 0; b < nm; b++)
        for (int j = 0; j < m->band_len[b]; j++)
            m->weights[m->band_off[b] + j] = (float)dense[(size_t)b * nb + m->band_lo[b] + j];
    free(fp);
    free(dense);
    return 0;
}

void mel_work_free(mel_work_t *w)
{
    if (!w) return;
    fft_real_free(w->fft);
    free(w->block);
    free(w);
}

mel_work_t *mel_work_init(const mel_t *m, char *err)
{
    mel_work_t *w = calloc(1, sizeof *w);
    const size_t n = (size_t)m->c.n_fft, nb = (size_t)m->nbins, np = (size_t)m->c.clip_samples + n;
    if (w) {
        w->fft = fft_real_init(m->c.n_fft, 0);
        w->block = malloc((n + 2 * nb + np) * sizeof(float));
    }
    if (!w || !w->fft || !w->block) {
        mel_work_free(w);
        st_err(err, "mel: out of memory for FFT scratch");
        return NULL;
    }
    w->frame = w->block;
    w->spec = (fft_cpx_t *)(w->block + n);   /* a pair of floats, float-aligned */
    w->padded = w->block + n + 2 * nb;
    return w;
}

mel_t *mel_init(const feat_config_t *c, char *err)
{
    if (feat_config_check(c, err)) return NULL;
    mel_t *m = calloc(1, sizeof *m);
    if (!m) {
        st_err(err, "mel: out of memory");
        return NULL;
    }
    m->c = *c;
    m->frames = feat_config_frames(c);
    m->nbins = c->n_fft / 2 + 1;
    m->window = malloc((size_t)c->n_fft * sizeof *m->window);
    if (!m->window || build_filterbank(m)) {
        st_err(err, "mel: out of memory");
        mel_free(m);
        return NULL;
    }
    for (int i = 0; i < c->n_fft; i++)
        m->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / c->n_fft));
    return m;
}

int mel_frames(const mel_t *m) { return m->frames; }

const feat_config_t *mel_config(const mel_t *m) { return &m->c; }

/* Fills p->padded with the centred-STFT input: n_fft/2 reflected samples (the edge sample
 * not repeated, as torch.stft's reflect pad), the clip, n_fft/2 reflected samples. Every
 * frame is then a plain slice. Non-finite samples become 0; absurdly loud input is scaled
 * to peak 1 (the output is relative to the clip's maximum, so only overflow changes). */
static void pad_clip(const mel_t *m, const float *clip, float *padded)
{
    const int L = m->c.clip_samples, h = m->c.n_fft / 2;
    float *mid = padded + h;
    /* x*0 is 0 for finite x and NaN otherwise: the copy finds bad input for free. */
    float probe = 0.0f, peak = 0.0f;
    for (int i = 0; i < L; i++) {
        float v = clip[i];
        mid[i] = v;
        probe += v * 0.0f;
        float a = fabsf(v);
        peak = a > peak ? a : peak;
    }
    if (probe != 0.0f || peak > 1e4f) {
        float pk = 0.0f;
        for (int i = 0; i < L; i++) {
            mid[i] = isfinite(mid[i]) ? mid[i] : 0.0f;
            pk = fabsf(mid[i]) > pk ? fabsf(mid[i]) : pk;
        }
        if (pk > 1e4f)
            for (int i = 0; i < L; i++) mid[i] /= pk;
    }
    /* h < L (feat_config_check), so one reflection reaches every padded sample. */
    for (int i = 1; i <= h; i++) {
        mid[-i] = mid[i < L ? i : L - 1];
        mid[L - 1 + i] = mid[L - 1 - i >= 0 ? L - 1 - i : 0];
    }
}

/* Dot product with 8 independent partial sums: a single running sum is one long chain of
 * dependent adds (the compiler may not reorder float adds), 8 lanes fill a vector FMA. */
static float dot(const float *a, const float *b, int n)
{
    float acc[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int q = 0; q < 8; q++) acc[q] += a[j + q] * b[j + q];
    float s = 0.0f;
    for (; j < n; j++) s += a[j] * b[j];
    for (int q = 0; q < 8; q++) s += acc[q];
    return s;
}

/* Mel powers of one frame (n_fft samples at src) into out[b * stride], b < n_mels. The one
 * per-frame path of both the clip front end and the running spectrogram (mel_frame), so
 * their frames are bit-identical. */
static void frame_power(const mel_t *m, mel_work_t *p, const float *src, float *out, size_t stride)
{
    const int nm = m->c.n_mels, nb = m->nbins, n = m->c.n_fft;
    const float *w = m->window;
    float *power = p->frame; /* reused after the FFT has consumed the frame */
    for (int i = 0; i < n; i++) p->frame[i] = src[i] * w[i];
    fft_real_forward(p->fft, p->frame, p->spec);
    for (int k = 0; k < nb; k++) power[k] = p->spec[k].r * p->spec[k].r + p->spec[k].i * p->spec[k].i;
    for (int b = 0; b < nm; b++) {
        const float *wt = m->weights + m->band_off[b];
        const float *pw = power + m->band_lo[b];
        out[(size_t)b * stride] = dot(wt, pw, m->band_len[b]);
    }
}

/* The mel power spectrogram (n_mels, frames) of one clip using p's scratch. */
static void mel_power(const mel_t *m, mel_work_t *p, const float *clip, float *out)
{
    const int W = m->frames, hop = m->c.hop;
    pad_clip(m, clip, p->padded);
    for (int t = 0; t < W; t++) frame_power(m, p, p->padded + (size_t)t * hop, out + t, (size_t)W);
}

void mel_frame(const mel_t *m, mel_work_t *w, const float *frame, float *out, size_t stride)
{
    frame_power(m, w, frame, out, stride);
}

void mel_compute_power(const mel_t *m, mel_work_t *w, const float *clip, float *out)
{
    mel_power(m, w, clip, out);
}

/* power_to_db(ref=max, amin=1e-10, top_db=80): the top value is 0 dB, the floor -80 dB
 * (an all-zero input, max below amin, is 0 dB everywhere). With net set, writes the network
 * input (dB + 40) / 80 instead. */
static void power_to_db(float *s, size_t n, int net)
{
    const double amin = 1e-10;
    float mx = 0.0f;
    for (size_t i = 0; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    const double ref = fmax((double)mx, amin);
    /* 10*log10(v/ref) as one float log: float keeps ~1e-6 dB here, far inside tolerance. */
    const float inv_ref = (float)(1.0 / ref);
    const float a = net ? 1.0f / 80.0f : 1.0f, b = net ? 0.5f : 0.0f; /* (db + 40)/80 */
    const float floor_v = -80.0f * a + b;
    /* max(s, amin) below ref*1e-8 is under the floor: skip its logarithm. When amin itself is
     * above that level nothing can be skipped (those values sit at 10log10(amin/ref)). */
    const float below = ref * 1e-8 > amin ? (float)(ref * 1e-8) : 0.0f;
    const float amin_f = (float)amin;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < below) {
            s[i] = floor_v;
            continue;
        }
        float v = s[i] > amin_f ? s[i] : amin_f;
        float db = 10.0f * log10f(v * inv_ref);
        db = db < -80.0f ? -80.0f : db;
        s[i] = db * a + b;
    }
}

void mel_power_to_input(const mel_t *m, float *s)
{
    power_to_db(s, (size_t)m->c.n_mels * m->frames, 1);
}

void mel_compute_db(const mel_t *m, mel_work_t *w, const float *clip, float *out)
{
    mel_power(m, w, clip, out);
    power_to_db(out, (size_t)m->c.n_mels * m->frames, 0);
}

void mel_compute(const mel_t *m, mel_work_t *w, const float *clip, float *out)
{
    mel_power(m, w, clip, out);
    power_to_db(out, (size_t)m->c.n_mels * m->frames, 1);
}

int mel_compute_batch(const mel_t *m, const float *clips, int n, float *out, char *err)
{
    const size_t in_stride = (size_t)m->c.clip_samples, out_stride = (size_t)m->c.n_mels * m->frames;
    int failed = 0;
#pragma omp parallel reduction(+ : failed)
    {
        mel_work_t *w = mel_work_init(m, NULL);
        failed += !w;
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++)
            if (w) mel_compute(m, w, clips + i * in_stride, out + i * out_stride);
        mel_work_free(w);
    }
    return failed ? st_err(err, "mel: out of memory for FFT scratch") : 0;
}

void mel_free(mel_t *m)
{
    if (!m) return;
    free(m->window);
    free(m->band_lo);   /* and band_len, band_off */
    free(m->weights);
    free(m);
}
