/* mix_cifar.c: RandomMix on a CIFAR batch, through the installed speechtrain-mix library.
 *
 *   cc mix_cifar.c $(pkg-config --cflags --libs speechtrain-mix) -o mix_cifar
 *   ./mix_cifar data_batch_1.bin 256 7 out.f32 [KEY=VALUE ...]
 *
 * Reads the first N records of a CIFAR-10 binary file (1 label byte + 3x32x32 pixel bytes,
 * channel planes), scales pixels to [0, 1], one-hot labels, mixes the batch with the seed and
 * writes x (N, 3, 32, 32) then y (N, 10) as raw little-endian float32 to OUT. Prints the mode
 * and lam the mixer drew. Options are mix_config_set keys, e.g. candidates=mixup,cutmix
 * weights=1,2 alpha=0.4 elem=1; the default is the paper's RandomMix (mix_config_default).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <speechtrain/mix/mix.h>

enum { C = 3, H = 32, W = 32, K = 10, REC = 1 + C * H * W };

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: mix_cifar CIFAR.bin N SEED OUT.f32 [KEY=VALUE ...]\n");
        return 2;
    }
    const char *in = argv[1], *out = argv[4];
    int n = atoi(argv[2]);
    unsigned long long seed = strtoull(argv[3], NULL, 10);
    char err[ST_ERR_LEN];
    if (n < 1) return fprintf(stderr, "mix_cifar: N must be >= 1\n"), 2;

    float *x = malloc((size_t)n * C * H * W * sizeof *x);   // (N, C, H, W)
    float *y = malloc((size_t)n * K * sizeof *y);           // (N, K)
    int *labels = malloc((size_t)n * sizeof *labels);       // (N)
    unsigned char rec[REC];
    FILE *f = fopen(in, "rb");
    if (!x || !y || !labels || !f) return fprintf(stderr, "mix_cifar: %s: cannot open (or out of memory)\n", in), 1;
    for (int i = 0; i < n; i++) {
        if (fread(rec, 1, REC, f) != REC) return fprintf(stderr, "mix_cifar: %s: fewer than %d records\n", in, n), 1;
        labels[i] = rec[0];
        for (int j = 0; j < C * H * W; j++) x[(size_t)i * C * H * W + j] = rec[1 + j] / 255.0f;
    }
    fclose(f);
    if (mix_onehot(y, labels, n, K, 0.0f)) return fprintf(stderr, "mix_cifar: %s: a label is not in 0..9\n", in), 1;

    mix_config_t cfg;
    mix_config_default(&cfg);
    for (int a = 5; a < argc; a++) {
        char *eq = strchr(argv[a], '=');
        if (!eq) return fprintf(stderr, "mix_cifar: '%s' is not KEY=VALUE\n", argv[a]), 2;
        *eq = 0;
        if (mix_config_set(&cfg, argv[a], eq + 1, err)) return fprintf(stderr, "mix_cifar: %s\n", err), 2;
    }
    mix_ctx_t *m = mix_init(&cfg, n, C, H, W, K, err);
    if (!m) return fprintf(stderr, "mix_cifar: %s\n", err), 1;
    rng_t rng;
    rng_init(&rng, seed);
    mix_report_t rep;
    if (mix_apply(m, &rng, x, y, n, &rep, err)) return fprintf(stderr, "mix_cifar: %s\n", err), 1;
    printf("mode %s lam %.6f\n", mix_mode_name(rep.mode), rep.lam);

    FILE *o = fopen(out, "wb");
    int bad = !o || fwrite(x, sizeof *x, (size_t)n * C * H * W, o) != (size_t)n * C * H * W ||
              fwrite(y, sizeof *y, (size_t)n * K, o) != (size_t)n * K;
    if (o && fclose(o)) bad = 1;
    if (bad) return fprintf(stderr, "mix_cifar: %s: cannot write\n", out), 1;
    mix_free(m);
    free(x), free(y), free(labels);
    return 0;
}
