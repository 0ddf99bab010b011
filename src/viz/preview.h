/* preview.h: a picture of what the mixer does to a few pairs of inputs.
 *
 * One row per pair (a, b); the columns are: a, b, then mixup, cutmix, resizemix and fmix
 * of a with b, then n_random RandomMix draws (modes drawn with the given weights). Every
 * mixed tile comes from mix_apply (src/mix), the very call training makes, on a batch of
 * the two rows [a, b]; the tile shows row 0 and its caption the mode and the label weight
 * lam of a. Images (c = 3, values in [0, 1]) are drawn as RGB; spectrograms (c = 1, the
 * network input in [-0.5, 0.5]) through the viridis colour map, low frequencies at the
 * bottom.
 *
 * Layout, in canvas pixels: a tile is (w*scale) x (h*scale); below it are two caption
 * lines (PREVIEW_CAPTION_H pixels); tiles and rows are separated and framed by
 * PREVIEW_GAP pixels. So the canvas is
 *     width  = PREVIEW_GAP + cols * (w*scale + PREVIEW_GAP),  cols = 6 + n_random
 *     height = PREVIEW_GAP + pairs * (h*scale + PREVIEW_CAPTION_H + PREVIEW_GAP).
 */
#ifndef ST_IMAGE_PREVIEW_H
#define ST_IMAGE_PREVIEW_H

#include <stdint.h>

#include "viz/canvas.h"
#include "mix/mix.h"

#define PREVIEW_GAP 6
#define PREVIEW_CAPTION_H 22

typedef struct {
    int c, h, w;                 /* one input: c = 3 (RGB in [0, 1]) or 1 (spectrogram) */
    int pairs;                   /* rows */
    const float *a, *b;          /* (pairs, c, h, w) each */
    const char *const *a_names;  /* (pairs) captions of the inputs, or NULL */
    const char *const *b_names;
    int scale;                   /* each input pixel becomes scale x scale canvas pixels */
    int n_random;                /* RandomMix draws per pair */
    const mix_config_t *mix;     /* RandomMix candidates, weights, alpha; prob and elem are
                                  * ignored (every tile is mixed, batch-wise) */
    uint64_t seed;
} preview_t;

/* The canvas size of a preview, per the layout above. */
void preview_size(const preview_t *p, int *width, int *height);

/* Draws the preview into out (initialised here; free with canvas_free). */
int preview_render(const preview_t *p, canvas_t *out, char *err);

#endif
