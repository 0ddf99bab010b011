/* fft.c: fft.h on KissFFT (default) or FFTW single precision (-Dfft=fftw, ST_FFT_FFTW). */
#include "audio/fft.h"

#include <stdlib.h>

#ifdef ST_FFT_FFTW

#include <fftw3.h>
#include <string.h>

/* FFTW's planner (plan creation and destruction) is not thread-safe; execution is. The
 * planner calls run in one named OpenMP critical section (the project's one thread runtime;
 * libgomp's lock also serialises threads that OpenMP did not start). */

struct fft_real {
    int n, inverse;
    fftwf_plan plan;
    float *rbuf;         /* (n) aligned copy, used when a caller's array is not SIMD-aligned */
    fftwf_complex *cbuf; /* (n/2 + 1) likewise */
};

const char *fft_backend(void) { return "fftw"; }

fft_real_t *fft_real_init(int n, int inverse)
{
    if (n < 2 || n % 2) return NULL;
    fft_real_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = n, f->inverse = inverse;
#pragma omp critical(fftw_planner)
    {
        f->rbuf = fftwf_malloc((size_t)n * sizeof *f->rbuf);
        f->cbuf = fftwf_malloc((size_t)(n / 2 + 1) * sizeof *f->cbuf);
        /* FFTW_ESTIMATE does not touch the arrays and picks the same plan every run. */
        if (f->rbuf && f->cbuf)
            f->plan = inverse ? fftwf_plan_dft_c2r_1d(n, f->cbuf, f->rbuf, FFTW_ESTIMATE)
                              : fftwf_plan_dft_r2c_1d(n, f->rbuf, f->cbuf, FFTW_ESTIMATE);
    }
    if (!f->plan) {
        fft_real_free(f);
        return NULL;
    }
    return f;
}

void fft_real_free(fft_real_t *f)
{
    if (!f) return;
#pragma omp critical(fftw_planner)
    {
        if (f->plan) fftwf_destroy_plan(f->plan);
        fftwf_free(f->rbuf);
        fftwf_free(f->cbuf);
    }
    free(f);
}

/* A plan runs on other arrays only if they have the alignment of the planned ones; otherwise
 * the data goes through the plan's own buffers, so callers may pass any float array. */
void fft_real_forward(fft_real_t *f, const float *in, fft_cpx_t *out)
{
    const size_t nb = (size_t)(f->n / 2 + 1);
    float *i = (float *)in;
    fftwf_complex *o = (fftwf_complex *)out;
    if (fftwf_alignment_of(i) || fftwf_alignment_of((float *)o)) {
        memcpy(f->rbuf, in, (size_t)f->n * sizeof *f->rbuf);
        fftwf_execute_dft_r2c(f->plan, f->rbuf, f->cbuf);
        memcpy(out, f->cbuf, nb * sizeof *out);
        return;
    }
    fftwf_execute_dft_r2c(f->plan, i, o);
}

void fft_real_inverse(fft_real_t *f, fft_cpx_t *in, float *out)
{
    const size_t nb = (size_t)(f->n / 2 + 1);
    fftwf_complex *i = (fftwf_complex *)in;
    if (fftwf_alignment_of((float *)i) || fftwf_alignment_of(out)) {
        memcpy(f->cbuf, in, nb * sizeof *in);
        fftwf_execute_dft_c2r(f->plan, f->cbuf, f->rbuf);
        memcpy(out, f->rbuf, (size_t)f->n * sizeof *out);
        return;
    }
    fftwf_execute_dft_c2r(f->plan, i, out);
}

#else

#include <kiss_fftr.h>

_Static_assert(sizeof(kiss_fft_scalar) == sizeof(float) && sizeof(kiss_fft_cpx) == sizeof(fft_cpx_t),
               "KissFFT must be the float build (kissfft-float)");

struct fft_real {
    kiss_fftr_cfg cfg;
};

const char *fft_backend(void) { return "kissfft"; }

fft_real_t *fft_real_init(int n, int inverse)
{
    if (n < 2 || n % 2) return NULL;
    fft_real_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->cfg = kiss_fftr_alloc(n, inverse, NULL, NULL);
    if (!f->cfg) {
        free(f);
        return NULL;
    }
    return f;
}

void fft_real_free(fft_real_t *f)
{
    if (!f) return;
    kiss_fftr_free(f->cfg);
    free(f);
}

void fft_real_forward(fft_real_t *f, const float *in, fft_cpx_t *out)
{
    kiss_fftr(f->cfg, in, (kiss_fft_cpx *)out);
}

void fft_real_inverse(fft_real_t *f, fft_cpx_t *in, float *out)
{
    kiss_fftri(f->cfg, (const kiss_fft_cpx *)in, out);
}

#endif
