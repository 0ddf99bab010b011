/* resize.c: the geometry of the box modes: CutMix and ResizeMix boxes and the bilinear
 * resize ResizeMix pastes (PyTorch's align_corners=False arithmetic, as its CPU kernel
 * rounds it, so the patch matches F.interpolate to a few ulp). */
#include <math.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "mix/internal.h"
#include "mix/mix.h"

/* Source index and weights for output index d of an in -> out resize, as PyTorch's CPU
 * kernel: the scale in float (in/out), the source position and its fraction in double
 * (area_pixel_compute_source_index, clamped at 0), the weights rounded to float. */
static void src_index(int d, double scale, int in, int *i0, int *i1, float *l0, float *l1)
{
    double s = scale * ((double)d + 0.5) - 0.5;
    if (s < 0.0) s = 0.0;
    int i = (int)s;
    if (i > in - 1) i = in - 1;
    double l = s - (double)i;
    if (l < 0.0) l = 0.0;
    if (l > 1.0) l = 1.0;
    *i0 = i;
    *i1 = i + (i < in - 1 ? 1 : 0);
    *l0 = (float)(1.0 - l);
    *l1 = (float)l;
}

void mix_resize_tables(int oh, int ow, int H, int W, int *ix, float *wx, int *iy, float *wy)
{
    double sy = (double)((float)H / (float)oh), sx = (double)((float)W / (float)ow);
    for (int ox = 0; ox < ow; ox++)
        src_index(ox, sx, W, &ix[ox], &ix[ow + ox], &wx[ox], &wx[ow + ox]);
    for (int oy = 0; oy < oh; oy++)
        src_index(oy, sy, H, &iy[2 * oy], &iy[2 * oy + 1], &wy[2 * oy], &wy[2 * oy + 1]);
}

/* One plane: output row oy, column j of dst (row stride drow) from source plane p (W wide):
 * rows iy[2oy], iy[2oy+1] weighted wy[2oy], wy[2oy+1]; columns ix0[j], ix1[j] weighted
 * wx0[j], wx1[j]. Same association as PyTorch: interpolate along x within each source row,
 * then blend the rows (mul, mul, add: no fused multiply-add, so both paths below give the
 * same bytes). */
static void resize_plane(float *dst, size_t drow, const float *p, int W, int oh, int ow,
                         const int *ix0, const int *ix1, const float *wx0, const float *wx1,
                         const int *iy, const float *wy)
{
#ifdef __AVX512F__
    /* Rows up to 32 wide (32x32 spectrograms, CIFAR) fit two registers: the scattered
     * column reads become two-register permutes, with the column indices and weights of a
     * 16-column block held in registers over all output rows. */
    if (W <= 32) {
        __mmask16 lo = W >= 16 ? 0xFFFF : (__mmask16)((1u << W) - 1);
        __mmask16 hi = W <= 16 ? 0 : (__mmask16)((1u << (W - 16)) - 1);
        for (int j = 0; j < ow; j += 16) {
            __mmask16 k = ow - j >= 16 ? 0xFFFF : (__mmask16)((1u << (ow - j)) - 1);
            __m512i i0 = _mm512_maskz_loadu_epi32(k, ix0 + j);
            __m512i i1 = _mm512_maskz_loadu_epi32(k, ix1 + j);
            __m512 w0 = _mm512_maskz_loadu_ps(k, wx0 + j), w1 = _mm512_maskz_loadu_ps(k, wx1 + j);
            for (int oy = 0; oy < oh; oy++) {
                const float *r0 = p + (size_t)iy[2 * oy] * W, *r1 = p + (size_t)iy[2 * oy + 1] * W;
                __m512 a0 = _mm512_maskz_loadu_ps(lo, r0), b0 = _mm512_maskz_loadu_ps(lo, r1);
                __m512 a1 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
                if (W > 16) { /* r0 + 16 may lie past the buffer otherwise */
                    a1 = _mm512_maskz_loadu_ps(hi, r0 + 16);
                    b1 = _mm512_maskz_loadu_ps(hi, r1 + 16);
                }
                __m512 t0 = _mm512_add_ps(_mm512_mul_ps(_mm512_permutex2var_ps(a0, i0, a1), w0),
                                          _mm512_mul_ps(_mm512_permutex2var_ps(a0, i1, a1), w1));
                __m512 t1 = _mm512_add_ps(_mm512_mul_ps(_mm512_permutex2var_ps(b0, i0, b1), w0),
                                          _mm512_mul_ps(_mm512_permutex2var_ps(b0, i1, b1), w1));
                __m512 o = _mm512_add_ps(_mm512_mul_ps(t0, _mm512_set1_ps(wy[2 * oy])),
                                         _mm512_mul_ps(t1, _mm512_set1_ps(wy[2 * oy + 1])));
                _mm512_mask_storeu_ps(dst + oy * drow + j, k, o);
            }
        }
        return;
    }
#endif
    for (int oy = 0; oy < oh; oy++) {
        const float *r0 = p + (size_t)iy[2 * oy] * W, *r1 = p + (size_t)iy[2 * oy + 1] * W;
        float ly0 = wy[2 * oy], ly1 = wy[2 * oy + 1];
        float *o = dst + oy * drow;
        for (int j = 0; j < ow; j++) {
            int x0 = ix0[j], x1 = ix1[j];
            float t0 = r0[x0] * wx0[j] + r0[x1] * wx1[j];
            float t1 = r1[x0] * wx0[j] + r1[x1] * wx1[j];
            o[j] = t0 * ly0 + t1 * ly1;
        }
    }
}

void mix_resize_apply(float *dst, size_t drow, size_t dplane, int oh, int ow, const float *src,
                      int C, int H, int W, const int *ix, const float *wx, const int *iy,
                      const float *wy)
{
    for (int c = 0; c < C; c++)
        resize_plane(dst + c * dplane, drow, src + (size_t)c * H * W, W, oh, ow, ix, ix + ow, wx,
                     wx + ow, iy, wy);
}

void mix_resize_bilinear(float *dst, int oh, int ow, const float *src, int C, int H, int W)
{
    /* the table version in blocks of 64 x 64 output pixels, so no allocation */
    enum { CH = 64 };
    int ix[2 * CH], iy[2 * CH];
    float wx[2 * CH], wy[2 * CH];
    double sx = (double)((float)W / (float)ow), sy = (double)((float)H / (float)oh);
    for (int c0 = 0; c0 < ow; c0 += CH) {
        int n = ow - c0 < CH ? ow - c0 : CH;
        for (int j = 0; j < n; j++)
            src_index(c0 + j, sx, W, &ix[j], &ix[CH + j], &wx[j], &wx[CH + j]);
        for (int r0 = 0; r0 < oh; r0 += CH) {
            int m = oh - r0 < CH ? oh - r0 : CH;
            for (int j = 0; j < m; j++)
                src_index(r0 + j, sy, H, &iy[2 * j], &iy[2 * j + 1], &wy[2 * j], &wy[2 * j + 1]);
            for (int c = 0; c < C; c++)
                resize_plane(dst + ((size_t)c * oh + r0) * ow + c0, (size_t)ow,
                             src + (size_t)c * H * W, W, m, n, ix, ix + CH, wx, wx + CH, iy, wy);
        }
    }
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

mix_box_t mix_cutmix_box(rng_t *rng, int H, int W, double lam0)
{
    double cut = sqrt(1.0 - lam0);
    int ch = (int)(H * cut), cw = (int)(W * cut);
    int cy = (int)rng_below(rng, (uint64_t)H), cx = (int)rng_below(rng, (uint64_t)W);
    /* CutMix-PyTorch's rand_bbox: edges at centre -/+ side//2, clipped to the image */
    int y1 = clampi(cy - ch / 2, 0, H), y2 = clampi(cy + ch / 2, 0, H);
    int x1 = clampi(cx - cw / 2, 0, W), x2 = clampi(cx + cw / 2, 0, W);
    mix_box_t b = {y1, x1, y2 - y1, x2 - x1};
    if (b.h == 0 || b.w == 0) b = (mix_box_t){0, 0, 0, 0};
    return b;
}

mix_box_t mix_resizemix_box(rng_t *rng, int H, int W, double tau)
{
    int h = (int)(H * tau), w = (int)(W * tau);
    if (h < 1 || w < 1) return (mix_box_t){0, 0, 0, 0};
    if (h > H) h = H;
    if (w > W) w = W;
    int y0 = (int)rng_below(rng, (uint64_t)(H - h + 1));
    int x0 = (int)rng_below(rng, (uint64_t)(W - w + 1));
    return (mix_box_t){y0, x0, h, w};
}
