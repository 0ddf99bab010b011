/* augment.c: pad + random crop + horizontal flip, and per-channel normalisation. */
#include "image/augment.h"

#include <math.h>
#include <stddef.h>

void image_crop_flip_u8(uint8_t *dst, const uint8_t *src, int c, int h, int w, int pad, int dy,
                        int dx, int flip)
{
    /* Padded-image row py = dy + y maps to source row py - pad; the same for columns. */
    for (int ch = 0; ch < c; ch++) {
        const uint8_t *s = src + (size_t)ch * h * w;
        uint8_t *d = dst + (size_t)ch * h * w;
        for (int y = 0; y < h; y++) {
            int sy = dy + y - pad;
            for (int x = 0; x < w; x++) {
                int sx = dx + (flip ? w - 1 - x : x) - pad;
                d[y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? s[sy * w + sx] : 0;
            }
        }
    }
}

void image_augment_u8(uint8_t *dst, const uint8_t *src, int c, int h, int w, int pad, rng_t *r)
{
    int dy = (int)rng_below(r, (uint64_t)(2 * pad + 1));
    int dx = (int)rng_below(r, (uint64_t)(2 * pad + 1));
    int flip = rng_uniform(r) < 0.5;
    image_crop_flip_u8(dst, src, c, h, w, pad, dy, dx, flip);
}

void image_normalize(float *dst, const uint8_t *src, int c, int hw, const float *mean,
                     const float *std)
{
    for (int ch = 0; ch < c; ch++)
        for (int k = 0; k < hw; k++)
            dst[ch * hw + k] = ((float)src[ch * hw + k] / 255.0f - mean[ch]) / std[ch];
}

void image_denormalize(uint8_t *dst, const float *src, int c, int hw, const float *mean,
                       const float *std)
{
    for (int ch = 0; ch < c; ch++)
        for (int k = 0; k < hw; k++) {
            float v = (src[ch * hw + k] * std[ch] + mean[ch]) * 255.0f;
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            dst[ch * hw + k] = (uint8_t)lrintf(v);
        }
}
