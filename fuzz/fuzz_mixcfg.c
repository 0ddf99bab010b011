/* libFuzzer target: the mix option parser. Each input line is "key=value" for
 * mix_config_set (candidates, weights, alpha per mode, prob, elem, resize, fmix-decay,
 * fmix-reference); a config that then passes mix_config_check must build a mixer and mix a
 * small batch with finite results. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "mix/mix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    mix_config_t c;
    mix_config_default(&c);
    char err[ST_ERR_LEN];
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        mix_config_t before = c;
        if (mix_config_set(&c, line, eq + 1, err) != 0 && memcmp(&before, &c, sizeof c) != 0)
            abort(); /* "c is unchanged on error" */
    }
    free(text);
    if (mix_config_check(&c, err) != 0) return 0;
    enum { N = 3, K = 4, H = 5, W = 7 };
    mix_ctx_t *m = mix_init(&c, N, 1, H, W, K, err);
    if (!m) return 0;
    float x[N * H * W], y[N * K];
    for (int i = 0; i < N * H * W; i++) x[i] = (float)(i % 11) - 5.0f;
    int labels[N] = {0, 1, 2};
    mix_onehot(y, labels, N, K, 0.0f);
    rng_t r;
    rng_init(&r, size);
    mix_report_t rep;
    if (mix_apply(m, &r, x, y, N, &rep, err) == 0)
        for (int i = 0; i < N * K; i++)
            if (!isfinite(y[i])) abort();
    mix_free(m);
    return 0;
}
