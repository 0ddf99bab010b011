/* fft.h: the real FFT behind the audio front end, on one of two backends chosen at build time
 * (meson option -Dfft=kissfft|fftw; KissFFT is the default and the reference backend).
 *
 * A plan is one transform size and direction for one thread at a time (KissFFT keeps a work
 * buffer inside its plan); make one plan per concurrent user. Making and freeing plans is safe
 * from several threads at once. The same plan on the same input gives the same bytes on every
 * run (FFTW plans with FFTW_ESTIMATE: no timing decides the algorithm). Both directions are
 * unnormalised, as KissFFT and FFTW: inverse(forward(x)) = n * x.
 *
 * Typical use:
 *     fft_real_t *f = fft_real_init(2048, 0);          // forward, n even
 *     fft_real_forward(f, frame, spec);                 // frame (2048) -> spec (1025)
 *     fft_real_free(f);
 */
#ifndef ST_FFT_H
#define ST_FFT_H

/* Layout of kiss_fft_cpx (float build) and fftwf_complex alike. */
typedef struct {
    float r, i;
} fft_cpx_t;

typedef struct fft_real fft_real_t;

/* The backend's name: "kissfft" or "fftw". */
const char *fft_backend(void);

/* A plan for real transforms of even size n: forward (inverse 0) or inverse (inverse 1).
 * NULL when out of memory or n is not even and positive. */
fft_real_t *fft_real_init(int n, int inverse);
void fft_real_free(fft_real_t *f);

/* in (n) real -> out (n/2 + 1) half spectrum. in and out must not overlap. */
void fft_real_forward(fft_real_t *f, const float *in, fft_cpx_t *out);
/* in (n/2 + 1) half spectrum -> out (n) real. in may be overwritten. */
void fft_real_inverse(fft_real_t *f, fft_cpx_t *in, float *out);

#endif
