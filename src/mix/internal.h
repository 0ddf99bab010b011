/* internal.h: pieces shared between the mixer's source files (not part of the API). */
#ifndef ST_MIX_INTERNAL_H
#define ST_MIX_INTERNAL_H

#include <stddef.h>
#include <string.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

/* mix_resize_bilinear in two steps, so a batch that pastes one box size computes the
 * source indices and weights once: tables ix, wx (2*ow: the ow left sources, then the ow
 * right ones) and iy, wy (2*oh, interleaved). Same arithmetic, so the same bytes. */
void mix_resize_tables(int oh, int ow, int H, int W, int *ix, float *wx, int *iy, float *wy);
/* dst: channel c, output row oy at dst + c*dplane + oy*drow (a compact patch: drow = ow,
 * dplane = oh*ow; or a box inside a (C, H, W) row: drow = W, dplane = H*W). */
void mix_resize_apply(float *dst, size_t drow, size_t dplane, int oh, int ow, const float *src,
                      int C, int H, int W, const int *ix, const float *wx, const int *iy,
                      const float *wy);

/* d[0, n) <- s[0, n) for the short runs of box lines (a few to a few dozen floats): inline,
 * where a memcpy call per line would cost more than the copy. */
static inline void mix_copy_run(float *d, const float *s, size_t n)
{
#ifdef __AVX512F__
    for (; n >= 16; n -= 16, d += 16, s += 16) _mm512_storeu_ps(d, _mm512_loadu_ps(s));
    if (n) {
        __mmask16 k = (__mmask16)((1u << n) - 1);
        _mm512_mask_storeu_ps(d, k, _mm512_maskz_loadu_ps(k, s));
    }
#else
    memcpy(d, s, n * sizeof *d);
#endif
}

#endif
