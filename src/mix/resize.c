/* resize.c: the geometry of the box modes: CutMix and ResizeMix boxes and the bilinear
 * resize ResizeMix pastes (PyTorch's align_corners=False arithmetic, as its CPU kernel
 * rounds it, so the patch matches F.interpolate to a few ulp). */
#include <math.h>

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
        src_index(ox, sx, W, &ix[2 * ox], &ix[2 * ox + 1], &wx[2 * ox], &wx[2 * ox + 1]);
    for (int oy = 0; oy < oh; oy++)
        src_index(oy, sy, H, &iy[2 * oy], &iy[2 * oy + 1], &wy[2 * oy], &wy[2 * oy + 1]);
}

void mix_resize_apply(float *dst, int oh, int ow, const float *src, int C, int H, int W,
                      const int *ix, const float *wx, const int *iy, const float *wy)
{
    for (int c = 0; c < C; c++) {
        const float *p = src + (size_t)c * H * W;
        for (int oy = 0; oy < oh; oy++) {
            const float *r0 = p + (size_t)iy[2 * oy] * W, *r1 = p + (size_t)iy[2 * oy + 1] * W;
            float ly0 = wy[2 * oy], ly1 = wy[2 * oy + 1];
            float *o = dst + ((size_t)c * oh + oy) * ow;
            /* same association as PyTorch: interpolate along x within each source row,
             * then blend the rows */
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ix[2 * ox], x1 = ix[2 * ox + 1];
                float lx0 = wx[2 * ox], lx1 = wx[2 * ox + 1];
                float t0 = r0[x0] * lx0 + r0[x1] * lx1;
                float t1 = r1[x0] * lx0 + r1[x1] * lx1;
                o[ox] = t0 * ly0 + t1 * ly1;
            }
        }
    }
}

void mix_resize_bilinear(float *dst, int oh, int ow, const float *src, int C, int H, int W)
{
    /* the same arithmetic as the table version, in chunks of columns so no allocation */
    enum { CH = 64 };
    int ix[2 * CH];
    float wx[2 * CH];
    double sx = (double)((float)W / (float)ow), sy = (double)((float)H / (float)oh);
    for (int c0 = 0; c0 < ow; c0 += CH) {
        int n = ow - c0 < CH ? ow - c0 : CH;
        for (int j = 0; j < n; j++)
            src_index(c0 + j, sx, W, &ix[2 * j], &ix[2 * j + 1], &wx[2 * j], &wx[2 * j + 1]);
        for (int oy = 0; oy < oh; oy++) {
            int y0, y1;
            float ly0, ly1;
            src_index(oy, sy, H, &y0, &y1, &ly0, &ly1);
            for (int c = 0; c < C; c++) {
                const float *p = src + (size_t)c * H * W;
                const float *r0 = p + (size_t)y0 * W, *r1 = p + (size_t)y1 * W;
                float *o = dst + ((size_t)c * oh + oy) * ow + c0;
                for (int j = 0; j < n; j++) {
                    int x0 = ix[2 * j], x1 = ix[2 * j + 1];
                    float t0 = r0[x0] * wx[2 * j] + r0[x1] * wx[2 * j + 1];
                    float t1 = r1[x0] * wx[2 * j] + r1[x1] * wx[2 * j + 1];
                    o[j] = t0 * ly0 + t1 * ly1;
                }
            }
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
