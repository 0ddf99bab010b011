/* preview.c: grids of mixed pairs, drawn with the mixer core itself. */
#include "viz/preview.h"

#include "common/err.h"
#include "common/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXED_MODES 4 /* mixup, cutmix, resizemix, fmix */

void preview_size(const preview_t *p, int *width, int *height)
{
    int cols = 2 + FIXED_MODES + p->n_random;
    *width = PREVIEW_GAP + cols * (p->w * p->scale + PREVIEW_GAP);
    *height = PREVIEW_GAP + p->pairs * (p->h * p->scale + PREVIEW_CAPTION_H + PREVIEW_GAP);
}

/* Draws one (c, h, w) input as a tile with its top-left corner at (x, y). */
static void draw_tile(canvas_t *cv, const preview_t *p, const float *x, int tx, int ty,
                      uint8_t *rgb /* (h, w, 3) scratch */)
{
    int h = p->h, w = p->w, hw = h * w;
    for (int r = 0; r < h; r++)
        for (int q = 0; q < w; q++) {
            uint8_t *o = rgb + 3 * (r * w + q);
            if (p->c == 3) {
                for (int k = 0; k < 3; k++) {
                    float v = x[k * hw + r * w + q] * 255.0f;
                    o[k] = (uint8_t)lrintf(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            } else {
                /* Mel band 0 is the lowest frequency: draw it at the bottom. */
                colormap_viridis(x[(h - 1 - r) * w + q] + 0.5f, o);
            }
        }
    canvas_blit_rgb(cv, tx, ty, rgb, h, w, p->scale);
}

/* A caption line, cut to the tile width. */
static void caption(canvas_t *cv, int x, int y, int width, const char *s)
{
    static const uint8_t ink[3] = {20, 20, 20};
    char buf[128];
    int fit = (width + 1) / 6;
    snprintf(buf, sizeof buf, "%s", s);
    if ((int)strlen(buf) > fit && fit >= 0 && fit < (int)sizeof buf) buf[fit] = 0;
    canvas_text(cv, x, y, buf, 1, ink);
}

/* Mixes the batch [a, b] with ctx until row 0 is paired with row 1 (a two-row batch keeps
 * its order with probability 1/2, and mixing a with itself would show nothing), then leaves
 * row 0 in x. Each try continues the same rng stream, so the result is fixed by the seed. */
static int mix_pair(mix_ctx_t *ctx, rng_t *rng, const float *a, const float *b, int size,
                    float *x, float *y, mix_report_t *rep, char *err)
{
    static const int labels[2] = {0, 1};
    for (int t = 0; t < 64; t++) {
        memcpy(x, a, sizeof(float) * size);
        memcpy(x + size, b, sizeof(float) * size);
        mix_onehot(y, labels, 2, 2, 0.0f);
        if (mix_apply(ctx, rng, x, y, 2, rep, err)) return -1;
        if (rep->perm[0] == 1) return 0;
    }
    return st_err(err, "preview: the mixer never paired the two inputs in 64 draws");
}

int preview_render(const preview_t *p, canvas_t *out, char *err)
{
    out->rgb = NULL;
    out->w = out->h = 0;
    if ((p->c != 1 && p->c != 3) || p->h < 1 || p->w < 1 || p->h > 1024 || p->w > 1024)
        return st_err(err, "preview: input shape %dx%dx%d is not 1 or 3 channels of 1..1024 pixels",
                      p->c, p->h, p->w);
    if (p->pairs < 1 || p->pairs > 64) return st_err(err, "preview: %d pairs, expected 1..64", p->pairs);
    if (p->scale < 1 || p->scale > 32) return st_err(err, "preview: scale %d, expected 1..32", p->scale);
    if (p->n_random < 0 || p->n_random > 32)
        return st_err(err, "preview: %d RandomMix draws, expected 0..32", p->n_random);
    int W, H;
    preview_size(p, &W, &H);
    const uint8_t bg[3] = {255, 255, 255};
    if (canvas_init(out, W, H, bg, err)) return -1;

    /* One mixer per fixed mode, one for RandomMix; all copies of the caller's settings. */
    mix_ctx_t *ctx[FIXED_MODES + 1] = {0};
    int size = p->c * p->h * p->w;
    float *x = malloc(sizeof(float) * 2 * size);
    uint8_t *rgb = malloc((size_t)3 * p->h * p->w);
    float y[4];
    int rc = -1;
    if (!x || !rgb) {
        st_err(err, "preview: out of memory");
        goto done;
    }
    for (int m = 0; m <= FIXED_MODES; m++) {
        mix_config_t c = *p->mix;
        c.prob = 1.0;
        c.elem = 0;
        if (m < FIXED_MODES && mix_config_parse(&c, mix_mode_name(m), "1", err)) goto done;
        if (!(ctx[m] = mix_init(&c, 2, p->c, p->h, p->w, 2, err))) goto done;
    }
    rng_t rng;
    rng_init(&rng, p->seed);
    int tw = p->w * p->scale, th = p->h * p->scale;
    for (int i = 0; i < p->pairs; i++) {
        const float *a = p->a + (size_t)i * size, *b = p->b + (size_t)i * size;
        int ty = PREVIEW_GAP + i * (th + PREVIEW_CAPTION_H + PREVIEW_GAP);
        int cy = ty + th + 3;
        for (int col = 0; col < 2 + FIXED_MODES + p->n_random; col++) {
            int tx = PREVIEW_GAP + col * (tw + PREVIEW_GAP);
            char l1[64], l2[64];
            if (col < 2) {
                draw_tile(out, p, col ? b : a, tx, ty, rgb);
                const char *const *names = col ? p->b_names : p->a_names;
                snprintf(l1, sizeof l1, "%s", col ? "input b" : "input a");
                snprintf(l2, sizeof l2, "%s", names ? names[i] : "");
            } else {
                int m = col - 2 < FIXED_MODES ? col - 2 : FIXED_MODES;
                mix_report_t rep;
                if (mix_pair(ctx[m], &rng, a, b, size, x, y, &rep, err)) goto done;
                draw_tile(out, p, x, tx, ty, rgb);
                if (m < FIXED_MODES)
                    snprintf(l1, sizeof l1, "%s", mix_mode_name(m));
                else
                    snprintf(l1, sizeof l1, "random:%s", mix_mode_name(rep.mode));
                /* The label weight training would use: y[0][0] after mixing. */
                snprintf(l2, sizeof l2, "lam=%.2f", y[0]);
            }
            caption(out, tx, cy, tw, l1);
            caption(out, tx, cy + 10, tw, l2);
        }
    }
    rc = 0;
done:
    for (int m = 0; m <= FIXED_MODES; m++) mix_free(ctx[m]);
    free(x);
    free(rgb);
    if (rc) canvas_free(out);
    return rc;
}
