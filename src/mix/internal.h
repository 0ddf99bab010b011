/* internal.h: pieces shared between the mixer's source files (not part of the API). */
#ifndef ST_MIX_INTERNAL_H
#define ST_MIX_INTERNAL_H

/* mix_resize_bilinear in two steps, so a batch that pastes one box size computes the
 * source indices and weights once: tables ix, wx (2*ow) and iy, wy (2*oh). Same arithmetic,
 * so the same bytes. */
void mix_resize_tables(int oh, int ow, int H, int W, int *ix, float *wx, int *iy, float *wy);
void mix_resize_apply(float *dst, int oh, int ow, const float *src, int C, int H, int W,
                      const int *ix, const float *wx, const int *iy, const float *wy);

#endif
