/* c_driver.c: runs a model written by `speechtrain export --format c` (symbol prefix kws,
 * included as kws_model.c for its KWS_* macros) on feature files and prints the CSV
 * run_ort.js writes: fname, p_<class>..., z_<class>...
 *   cc -std=c11 -I DIR_OF_kws_model.c c_driver.c -lm -o driver && ./driver FEATURES.npy... */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kws_model.c"

/* A little-endian float32 .npy file of n floats into x; -1 on any mismatch. */
static int read_npy(const char *path, float *x, size_t n)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[10];
    int rc = -1;
    if (!f) return -1;
    if (fread(h, 1, 10, f) == 10 && !memcmp(h, "\x93NUMPY\x01", 7)) {
        size_t hl = h[8] | (size_t)h[9] << 8;
        char hdr[512];
        if (hl < sizeof hdr && fread(hdr, 1, hl, f) == hl) {
            hdr[hl] = 0;
            if (strstr(hdr, "'<f4'") && fread(x, sizeof *x, n, f) == n && fgetc(f) == EOF) rc = 0;
        }
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    const int C = KWS_IN_CH, H = KWS_H, W = KWS_W, K = KWS_CLASSES;
    const size_t scratch_n = KWS_SCRATCH;
    float *x = malloc((size_t)C * H * W * sizeof *x), *z = malloc((size_t)K * sizeof *z);
    float *scratch = malloc(scratch_n * sizeof *scratch);
    if (!x || !z || !scratch) return 1;
    printf("fname");
    for (int k = 0; k < K; k++) printf(",p_%s", kws_classes[k]);
    for (int k = 0; k < K; k++) printf(",z_%s", kws_classes[k]);
    printf("\n");
    for (int i = 1; i < argc; i++) {
        if (read_npy(argv[i], x, (size_t)C * H * W)) {
            fprintf(stderr, "c_driver: %s: not a float32 .npy of %d x %d x %d\n", argv[i], C, H, W);
            return 1;
        }
        kws_forward(x, z, scratch);
        double mx = z[0], sum = 0.0;
        for (int k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < K; k++) sum += exp(z[k] - mx);
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        printf("%.*s.wav", (int)(strlen(base) - 4), base);
        for (int k = 0; k < K; k++) printf(",%.9g", exp(z[k] - mx) / sum);
        for (int k = 0; k < K; k++) printf(",%.9g", z[k]);
        printf("\n");
    }
    free(x), free(z), free(scratch);
    return 0;
}
