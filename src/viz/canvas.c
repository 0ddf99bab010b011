/* canvas.c: RGB canvas drawing, PNG output through libpng, and the viridis colour map. */
#include "viz/canvas.h"

#include "common/atomicfile.h"
#include "common/err.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

int canvas_init(canvas_t *c, int w, int h, const uint8_t bg[3], char *err)
{
    c->w = c->h = 0;
    c->rgb = NULL;
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return st_err(err, "canvas: size %dx%d outside 1..16384", w, h);
    c->rgb = malloc((size_t)w * h * 3);
    if (!c->rgb) return st_err(err, "canvas: out of memory for %dx%d", w, h);
    c->w = w;
    c->h = h;
    for (size_t i = 0; i < (size_t)w * h; i++) memcpy(c->rgb + 3 * i, bg, 3);
    return 0;
}

void canvas_free(canvas_t *c)
{
    free(c->rgb);
    c->rgb = NULL;
    c->w = c->h = 0;
}

void canvas_rect(canvas_t *c, int x, int y, int w, int h, const uint8_t rgb[3])
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++) memcpy(c->rgb + 3 * ((size_t)yy * c->w + xx), rgb, 3);
}

/* Both blits: planar reads (3, ih, iw), otherwise (ih, iw, 3). */
static void blit(canvas_t *c, int x, int y, const uint8_t *img, int ih, int iw, int scale, int planar)
{
    size_t plane = (size_t)ih * iw;
    for (int r = 0; r < ih; r++)
        for (int q = 0; q < iw; q++) {
            uint8_t px[3];
            for (int k = 0; k < 3; k++)
                px[k] = planar ? img[k * plane + (size_t)r * iw + q] : img[3 * ((size_t)r * iw + q) + k];
            canvas_rect(c, x + q * scale, y + r * scale, scale, scale, px);
        }
}

void canvas_blit_planar(canvas_t *c, int x, int y, const uint8_t *img, int ih, int iw, int scale)
{
    blit(c, x, y, img, ih, iw, scale, 1);
}

void canvas_blit_rgb(canvas_t *c, int x, int y, const uint8_t *rgb, int ih, int iw, int scale)
{
    blit(c, x, y, rgb, ih, iw, scale, 0);
}

/* libpng reports errors by longjmp; keep its message for ours. */
static void png_fail(png_structp png, png_const_charp msg)
{
    char *err = png_get_error_ptr(png);
    if (err) st_err(err, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings are not errors; library code does not print */
}

int canvas_write_png(const canvas_t *c, const char *path, char *err)
{
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    char msg[ST_ERR_LEN] = "";
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        afile_abort(&a);
        return st_err(err, "%s: cannot set up libpng", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        afile_abort(&a);
        return st_err(err, "%s: PNG write failed: %s", path, msg);
    }
    png_init_io(png, a.f);
    png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < c->h; y++) png_write_row(png, c->rgb + (size_t)y * c->w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return afile_commit(&a, err);
}

/* viridis (matplotlib's default map, CC0) sampled at 10 evenly spaced points; linear
 * interpolation between them stays within a few levels of the full 256-entry table. */
static const uint8_t viridis10[10][3] = {
    {0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3E, 0x4A, 0x89}, {0x31, 0x68, 0x8E}, {0x26, 0x82, 0x8E},
    {0x1F, 0x9E, 0x89}, {0x35, 0xB7, 0x79}, {0x6D, 0xCD, 0x59}, {0xB4, 0xDE, 0x2C}, {0xFD, 0xE7, 0x25},
};

void colormap_viridis(float t, uint8_t rgb[3])
{
    if (!(t > 0)) t = 0; /* also NaN */
    if (t > 1) t = 1;
    float p = t * 9.0f;
    int i = (int)p;
    if (i > 8) i = 8;
    float f = p - (float)i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (uint8_t)lrintf(viridis10[i][k] + f * (viridis10[i + 1][k] - viridis10[i][k]));
}
