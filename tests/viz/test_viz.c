/* Tests for src/viz: canvas + PNG round trip, the colour map, and the preview grid: the grid is a valid PNG of the documented size, and its
 * tiles are what the mixer core does to the inputs (mixup tiles lie between a and b,
 * cutmix tiles take each pixel from a or from b), the same bytes for the same seed. */
#include <check.h>
#include <png.h>
#include <math.h>

#include "pngread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "viz/canvas.h"
#include "image/cifar.h"
#include "viz/preview.h"
#include "mix/mix.h"

static const char *fixtures;
static char tmpdir[256];

enum { PAIRS = 2, NRAND = 2, SCALE = 3 };
static float a[PAIRS * CIFAR_PIXELS], b[PAIRS * CIFAR_PIXELS];
static mix_config_t mc;

static void setup_inputs(void)
{
    char path[1024], err[ST_ERR_LEN];
    snprintf(path, sizeof path, "%s/image/cifar10/test_batch.bin", fixtures);
    uint8_t *pix, *lab;
    int n;
    ck_assert_msg(cifar_read_file(path, 1, 10, &pix, &lab, &n, err) == 0, "%s", err);
    ck_assert_int_ge(n, 2 * PAIRS);
    for (int i = 0; i < PAIRS * CIFAR_PIXELS; i++) {
        a[i] = pix[i] / 255.0f;
        b[i] = pix[PAIRS * CIFAR_PIXELS + i] / 255.0f;
    }
    free(pix);
    free(lab);
    mix_config_default(&mc);
}

static preview_t make(uint64_t seed)
{
    static const char *an[PAIRS] = {"cat", "dog"}, *bn[PAIRS] = {"ship", "frog"};
    preview_t p = {.c = 3, .h = 32, .w = 32, .pairs = PAIRS, .a = a, .b = b, .a_names = an,
                   .b_names = bn, .scale = SCALE, .n_random = NRAND, .mix = &mc, .seed = seed};
    return p;
}

/* Byte of channel k at input pixel (r, q) of tile (row, col), read from the picture. */
static int tile_px(const uint8_t *px, int width, int row, int col, int r, int q, int k)
{
    int tx = 6 + col * (32 * SCALE + 6), ty = 6 + row * (32 * SCALE + 22 + 6);
    int x = tx + q * SCALE + SCALE / 2, y = ty + r * SCALE + SCALE / 2;
    return px[3 * ((size_t)y * width + x) + k];
}

START_TEST(test_preview_png_size_and_tiles)
{
    char err[ST_ERR_LEN], path[600];
    snprintf(path, sizeof path, "%s/preview.png", tmpdir);
    preview_t p = make(5);
    canvas_t cv;
    ck_assert_msg(preview_render(&p, &cv, err) == 0, "%s", err);
    ck_assert_msg(canvas_write_png(&cv, path, err) == 0, "%s", err);
    canvas_free(&cv);
    int w, h;
    uint8_t *px = read_png(path, &w, &h);
    /* The documented layout: 6 px gaps, 22 px of captions, 2 inputs + 4 modes + NRAND. */
    ck_assert_int_eq(w, 6 + (2 + 4 + NRAND) * (32 * SCALE + 6));
    ck_assert_int_eq(h, 6 + PAIRS * (32 * SCALE + 22 + 6));
    int pw, ph;
    preview_size(&p, &pw, &ph);
    ck_assert_int_eq(pw, w);
    ck_assert_int_eq(ph, h);

    for (int row = 0; row < PAIRS; row++) {
        int from_a = 0, from_b = 0;
        for (int k = 0; k < 3; k++)
            for (int r = 0; r < 32; r++)
                for (int q = 0; q < 32; q++) {
                    int i = row * CIFAR_PIXELS + k * 1024 + r * 32 + q;
                    int va = (int)(a[i] * 255 + 0.5f), vb = (int)(b[i] * 255 + 0.5f);
                    /* input tiles are the inputs */
                    ck_assert_int_eq(tile_px(px, w, row, 0, r, q, k), va);
                    ck_assert_int_eq(tile_px(px, w, row, 1, r, q, k), vb);
                    /* mixup: a convex combination of a and b (1 level of rounding) */
                    int m = tile_px(px, w, row, 2, r, q, k);
                    int lo = va < vb ? va : vb, hi = va < vb ? vb : va;
                    ck_assert_msg(m >= lo - 1 && m <= hi + 1, "mixup pixel %d outside [%d, %d]", m, lo, hi);
                    /* cutmix: every pixel from one of them */
                    int c = tile_px(px, w, row, 3, r, q, k);
                    ck_assert_msg(c == va || c == vb, "cutmix pixel %d is neither %d nor %d", c, va, vb);
                    from_a += c == va && va != vb;
                    from_b += c == vb && va != vb;
                }
        /* A box of b inside a (lam strictly between 0 and 1 almost surely for this seed). */
        ck_assert_int_gt(from_a, 0);
        ck_assert_int_gt(from_b, 0);
    }
    free(px);

    /* Same seed, same picture; another seed, another picture. */
    canvas_t c1, c2, c3;
    ck_assert_int_eq(preview_render(&p, &c1, err), 0);
    ck_assert_int_eq(preview_render(&p, &c2, err), 0);
    preview_t q = make(6);
    ck_assert_int_eq(preview_render(&q, &c3, err), 0);
    ck_assert_int_eq(memcmp(c1.rgb, c2.rgb, (size_t)c1.w * c1.h * 3), 0);
    ck_assert_int_ne(memcmp(c1.rgb, c3.rgb, (size_t)c1.w * c1.h * 3), 0);
    canvas_free(&c1);
    canvas_free(&c2);
    canvas_free(&c3);
}
END_TEST

START_TEST(test_preview_spectrogram_and_errors)
{
    /* One channel through the colour map; bad arguments are errors, not crashes. */
    char err[ST_ERR_LEN];
    static float s[2 * 16 * 20];
    for (int i = 0; i < 2 * 16 * 20; i++) s[i] = (float)(i % 20) / 20.0f - 0.5f;
    preview_t p = {.c = 1, .h = 16, .w = 20, .pairs = 1, .a = s, .b = s + 16 * 20, .scale = 2,
                   .n_random = 1, .mix = &mc, .seed = 1};
    canvas_t cv;
    ck_assert_msg(preview_render(&p, &cv, err) == 0, "%s", err);
    ck_assert_int_eq(cv.w, 6 + 7 * (40 + 6));
    ck_assert_int_eq(cv.h, 6 + 32 + 22 + 6);
    /* Input a, column 0 is value -0.5 -> viridis(0) = #440154 at every row. */
    ck_assert_int_eq(cv.rgb[3 * (6 * cv.w + 6) + 0], 0x44);
    ck_assert_int_eq(cv.rgb[3 * (6 * cv.w + 6) + 2], 0x54);
    canvas_free(&cv);
    p.c = 2;
    ck_assert_int_eq(preview_render(&p, &cv, err), -1);
    ck_assert_ptr_null(cv.rgb);
    p.c = 1;
    p.pairs = 0;
    ck_assert_int_eq(preview_render(&p, &cv, err), -1);
    p.pairs = 1;
    mix_config_t bad = mc;
    bad.alpha[MIX_MIXUP] = -1;
    p.mix = &bad;
    ck_assert_int_eq(preview_render(&p, &cv, err), -1);
    ck_assert_ptr_null(cv.rgb);
}
END_TEST

START_TEST(test_canvas_png_roundtrip)
{
    char err[ST_ERR_LEN], path[600];
    snprintf(path, sizeof path, "%s/canvas.png", tmpdir);
    canvas_t c;
    const uint8_t bg[3] = {10, 20, 30}, red[3] = {255, 0, 0}, white[3] = {255, 255, 255};
    ck_assert_msg(canvas_init(&c, 37, 23, bg, err) == 0, "%s", err);
    canvas_rect(&c, 30, 20, 100, 100, red); /* clipped at the corner */
    uint8_t img[3 * 2 * 3];                 /* (3, 2, 3) planar */
    for (int i = 0; i < 18; i++) img[i] = (uint8_t)(i * 14);
    canvas_blit_planar(&c, 1, 1, img, 2, 3, 2);
    int tw = canvas_text(&c, 2, 10, "l=1", 1, white);
    ck_assert_int_eq(tw, canvas_text_width("l=1", 1));
    ck_assert_int_eq(tw, 17);
    ck_assert_msg(canvas_write_png(&c, path, err) == 0, "%s", err);
    int w, h;
    uint8_t *px = read_png(path, &w, &h);
    ck_assert_int_eq(w, 37);
    ck_assert_int_eq(h, 23);
    ck_assert_int_eq(memcmp(px, c.rgb, (size_t)w * h * 3), 0);
    /* Spot checks against the drawing calls, independent of the canvas memory. */
    ck_assert_int_eq(px[3 * (22 * 37 + 36) + 0], 255);                  /* red corner */
    ck_assert_int_eq(px[3 * (0 * 37 + 0) + 2], 30);                     /* background */
    ck_assert_int_eq(px[3 * (1 * 37 + 1) + 0], img[0]);                 /* R of pixel (0,0) */
    ck_assert_int_eq(px[3 * (4 * 37 + 6) + 1], img[6 + 1 * 3 + 2]);     /* G of pixel (1,2) */
    /* 'L' at (2,10): its left column is lit on all 7 rows, its row 0 column 1 is not. */
    for (int r = 0; r < 7; r++) ck_assert_int_eq(px[3 * ((10 + r) * 37 + 2)], 255);
    ck_assert_int_eq(px[3 * (10 * 37 + 3) + 2], 30);
    free(px);
    canvas_free(&c);

    /* Unwritable destination: error names the path. */
    ck_assert_int_eq(canvas_init(&c, 4, 4, bg, err), 0);
    ck_assert_int_eq(canvas_write_png(&c, "/nonexistent/dir/x.png", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.png"));
    canvas_free(&c);
    ck_assert_int_eq(canvas_init(&c, 0, 4, bg, err), -1);
}
END_TEST

START_TEST(test_viridis)
{
    /* Ends of matplotlib's viridis (#440154, #fde725) and its defining property: lightness
     * (approximated by Rec. 601 luma) rises monotonically. */
    uint8_t a[3], b[3];
    colormap_viridis(0.0f, a);
    ck_assert(a[0] == 0x44 && a[1] == 0x01 && a[2] == 0x54);
    colormap_viridis(1.0f, a);
    ck_assert(a[0] == 0xFD && a[1] == 0xE7 && a[2] == 0x25);
    colormap_viridis(NAN, a);
    ck_assert_int_eq(a[0], 0x44);
    colormap_viridis(2.0f, a);
    ck_assert_int_eq(a[0], 0xFD);
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
        colormap_viridis(i / 100.0f, b);
        double luma = 0.299 * b[0] + 0.587 * b[1] + 0.114 * b[2];
        ck_assert_double_ge(luma, prev);
        prev = luma;
    }
}
END_TEST

int main(void)
{
    fixtures = check_require_env("ST_FIXTURES");
    if (!fixtures) return EXIT_FAILURE;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/st_viz_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("viz");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, setup_inputs, NULL);
    tcase_add_test(tc, test_preview_png_size_and_tiles);
    tcase_add_test(tc, test_preview_spectrogram_and_errors);
    tcase_add_test(tc, test_canvas_png_roundtrip);
    tcase_add_test(tc, test_viridis);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    check_rm_tmpdir(tmpdir);
    return status;
}
