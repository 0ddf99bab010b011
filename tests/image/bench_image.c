/* bench_image: throughput of the CIFAR input pipeline (pad + random crop + flip +
 * normalise), one thread, images per second. Run by scripts/bench_image.sh next to the
 * PyTorch equivalent.
 *     bench_image CIFAR10_DIR [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/rng.h"
#include "image/augment.h"
#include "image/cifar.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_image CIFAR10_DIR [REPEATS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    char err[512];
    cifar_t c;
    if (cifar_load(&c, argv[1], 0, err)) {
        fprintf(stderr, "bench_image: %s\n", err);
        return 1;
    }
    float mean[3], std[3];
    cifar_channel_stats(c.pix[CIFAR_TRAIN], c.n[CIFAR_TRAIN], mean, std);
    int n = c.n[CIFAR_TRAIN], B = 256;
    float *x = malloc(sizeof(float) * B * CIFAR_PIXELS);
    uint8_t tmp[CIFAR_PIXELS];
    double best = 1e30, sink = 0;
    for (int r = 0; r < reps; r++) {
        rng_t g;
        rng_init(&g, (uint64_t)r);
        double t0 = now();
        for (int i = 0; i < n; i++) {
            image_augment_u8(tmp, c.pix[CIFAR_TRAIN] + (size_t)i * CIFAR_PIXELS, 3, 32, 32, 4, &g);
            image_normalize(x + (size_t)(i % B) * CIFAR_PIXELS, tmp, 3, 1024, mean, std);
        }
        double t = now() - t0;
        sink += x[0];
        if (t < best) best = t;
    }
    printf("ours: %d images, best of %d: %.4f s, %.0f images/s (checksum %g)\n", n, reps, best, n / best, sink);
    free(x);
    cifar_free(&c);
    return 0;
}
