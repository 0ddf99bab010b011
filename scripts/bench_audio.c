/* bench_audio: log-mel throughput of our front end on the clips in an .npy (N, samples),
 * next to the bare real-FFT cost of the same frames on the build's FFT backend (audio/fft.h).
 * Run by scripts/bench_audio.py;
 * prints "key value" lines (clips per second, best of --reps runs).
 *   bench_audio CLIPS.npy [--reps R] [--threads T] [--check OUT.npy] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/threads.h"
#include "audio/fft.h"
#include "audio/mel.h"
#include "common/err.h"
#include "common/npy.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);   /* as the programs do, so a busy host does not make it spin */
    if (argc < 2) {
        fprintf(stderr, "usage: bench_audio CLIPS.npy [--reps R] [--threads T] [--check OUT.npy]\n");
        return 2;
    }
    int reps = 3, threads = 2;
    const char *check = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--check")) check = argv[i + 1];
    }
    char err[ST_ERR_LEN];
    float *x;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    if (npy_read_f32(argv[1], &x, &ndim, shape, err)) {
        fprintf(stderr, "bench_audio: %s\n", err);
        return 1;
    }
    if (ndim != 2) {
        fprintf(stderr, "bench_audio: %s: expected (clips, samples)\n", argv[1]);
        return 1;
    }
    const int n = (int)shape[0];
    feat_config_t c;
    feat_config_default(&c);
    c.clip_samples = (int)shape[1];
    mel_t *m = mel_init(&c, err);
    mel_work_t *w = m ? mel_work_init(m, err) : NULL;
    if (!w) {
        fprintf(stderr, "bench_audio: %s\n", err);
        return 1;
    }
    const int W = mel_frames(m), hw = c.n_mels * W;
    float *out = malloc((size_t)n * hw * sizeof *out);

    /* Bare FFT: the 32 (W) real FFTs a clip needs, on windowed-size slices of the data, no
     * window, power, mel or dB. The lower bound for any front end built on this FFT. */
    fft_real_t *fft = fft_real_init(c.n_fft, 0);
    fft_cpx_t *spec = malloc((size_t)(c.n_fft / 2 + 1) * sizeof *spec);
    float *frame = malloc((size_t)c.n_fft * sizeof *frame);
    double best_fft = 1e30, best_one = 1e30, best_batch = 1e30;
    volatile float sink = 0;
    /* Bare FFT and ours alternate within each repetition, so load from other processes on a
     * shared machine hits both alike; the best repetition of each counts. */
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++)
            for (int t = 0; t < W; t++) {
                long start = (long)t * c.hop;
                if (start + c.n_fft > c.clip_samples) start = c.clip_samples - c.n_fft;
                memcpy(frame, x + (size_t)i * c.clip_samples + start, (size_t)c.n_fft * sizeof *frame);
                fft_real_forward(fft, frame, spec);
                sink += spec[1].r;
            }
        double t1 = now();
        for (int i = 0; i < n; i++) mel_compute(m, w, x + (size_t)i * c.clip_samples, out + (size_t)i * hw);
        double t2 = now();
        best_fft = t1 - t0 < best_fft ? t1 - t0 : best_fft;
        best_one = t2 - t1 < best_one ? t2 - t1 : best_one;
    }
    omp_set_num_threads(threads);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (mel_compute_batch(m, x, n, out, err)) {
            fprintf(stderr, "bench_audio: %s\n", err);
            return 1;
        }
        double t1 = now();
        best_batch = t1 - t0 < best_batch ? t1 - t0 : best_batch;
    }
    printf("backend %s\n", fft_backend());
    printf("clips %d\n", n);
    printf("fft_bare_1thread %.1f\n", n / best_fft);
    printf("ours_1thread %.1f\n", n / best_one);
    printf("ours_batch_%dthreads %.1f\n", threads, n / best_batch);
    if (check) {
        int64_t s[3] = {n, c.n_mels, W};
        if (npy_write_f32(check, out, 3, s, err)) fprintf(stderr, "bench_audio: %s\n", err);
    }
    (void)sink;
    fft_real_free(fft);
    free(spec);
    free(frame);
    free(out);
    free(x);
    mel_work_free(w);
    mel_free(m);
    return 0;
}
