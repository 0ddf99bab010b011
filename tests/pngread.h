/* pngread.h: the image tests' one PNG reader (libpng). Asserts an 8-bit RGB PNG, decodes
 * every row (so a corrupt stream fails the test) and returns the pixels (h, w, 3), malloc'd. */
#ifndef ST_TESTS_PNGREAD_H
#define ST_TESTS_PNGREAD_H

#include <check.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_png(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no %s", path);
    uint8_t sig[8];
    ck_assert_int_eq((int)fread(sig, 1, 8, f), 8);
    ck_assert_int_eq(png_sig_cmp(sig, 0, 8), 0);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert_int_eq(setjmp(png_jmpbuf(png)), 0);
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    *w = (int)png_get_image_width(png, info);
    *h = (int)png_get_image_height(png, info);
    ck_assert_int_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGB);
    ck_assert_int_eq(png_get_bit_depth(png, info), 8);
    uint8_t *px = malloc((size_t)*w * *h * 3);
    for (int y = 0; y < *h; y++) png_read_row(png, px + (size_t)y * *w * 3, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return px;
}

#endif
