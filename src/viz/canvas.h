/* canvas.h: a plain RGB picture to draw preview grids on, and writing it as PNG (libpng).
 *
 * Pixels are (h, w, 3) bytes, row-major. Drawing calls clip to the canvas, so a tile or a
 * label that does not fit is cut, never written out of bounds. Text uses a built-in 5x7
 * bitmap font (digits, letters shown in capitals, and . , : = - + _ / ( ) %): enough for
 * "mixup lam=0.63", and it needs no font files.
 */
#ifndef ST_IMAGE_CANVAS_H
#define ST_IMAGE_CANVAS_H

#include <stdint.h>

typedef struct {
    int w, h;
    uint8_t *rgb; /* (h, w, 3) */
} canvas_t;

/* Allocates a w x h canvas filled with bg; w, h in 1..16384. */
int canvas_init(canvas_t *c, int w, int h, const uint8_t bg[3], char *err);
void canvas_free(canvas_t *c);

void canvas_rect(canvas_t *c, int x, int y, int w, int h, const uint8_t rgb[3]);

/* Draws img, (3, ih, iw) planar bytes (an image in CHW order), with its top-left corner at
 * (x, y), each pixel enlarged to scale x scale. */
void canvas_blit_planar(canvas_t *c, int x, int y, const uint8_t *img, int ih, int iw, int scale);
/* The same for (ih, iw, 3) interleaved bytes. */
void canvas_blit_rgb(canvas_t *c, int x, int y, const uint8_t *rgb, int ih, int iw, int scale);

/* Text of the 5x7 font at (x, y) (top-left), each font pixel scale x scale; glyphs advance by
 * 6*scale. Returns the width drawn. Characters without a glyph show as '?'. */
int canvas_text(canvas_t *c, int x, int y, const char *s, int scale, const uint8_t rgb[3]);
int canvas_text_width(const char *s, int scale);
#define CANVAS_FONT_H 7

/* Writes the canvas as an 8-bit RGB PNG, atomically (common/atomicfile.h). */
int canvas_write_png(const canvas_t *c, const char *path, char *err);

/* Perceptually uniform colour map (viridis) for t in [0, 1] (clamped; NaN shows as 0). */
void colormap_viridis(float t, uint8_t rgb[3]);

#endif
