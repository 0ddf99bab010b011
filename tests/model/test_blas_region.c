/* OpenBLAS's OpenMP build inside our parallel regions (the Winograd convolution runs one
 * single-threaded sgemm per frequency on each thread of its region, when its products are on
 * OpenBLAS: conv_wino_own_products in model/layers.h). The suite defines
 * GOMP_parallel itself, so every parallel region opened by this program or by OpenBLAS passes
 * through the counter below before libgomp starts it: OpenBLAS threads a large sgemm called
 * outside a region, opens no region at all when called inside one, and each thread's product
 * is the same bytes as a single-threaded call outside (a threaded product may round
 * differently: OpenBLAS's Haswell kernel does). */
#define _GNU_SOURCE
#include <check.h>
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

typedef void (*gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);

static int regions_outside, regions_nested;

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags)
{
    static gomp_parallel_fn real;
    if (!real) real = (gomp_parallel_fn)dlsym(RTLD_NEXT, "GOMP_parallel");
    if (omp_in_parallel()) {
#pragma omp atomic
        regions_nested++;
    } else {
        regions_outside++;
    }
    real(fn, data, num_threads, flags);
}

#define NN 256

static void fill(float *a, int n, unsigned seed)
{
    for (int i = 0; i < n; i++) a[i] = (float)sin(0.1 * (i + 1) * seed) * 0.5f;
}

static void product(float *c, const float *a, const float *b)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, NN, NN, NN, 1.0f, a, NN, b, NN, 0.0f, c, NN);
}

START_TEST(test_sgemm_single_threaded_in_region)
{
    const int n = NN * NN;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *ref = malloc(n * sizeof *ref);
    float *c = malloc(2 * n * sizeof *c), *one = malloc(n * sizeof *one);
    ck_assert(a && b && ref && c && one);
    fill(a, n, 3);
    fill(b, n, 7);
    omp_set_num_threads(2);

    int before = regions_outside;
    product(ref, a, b);
    /* The hook sees OpenBLAS's own threading: a large product outside a region is threaded. */
    ck_assert_int_ge(regions_outside - before, 1);
    /* and it is right (spot checks against a double sum) */
    for (int k = 0; k < n; k += 997) {
        int i = k / NN, j = k % NN;
        double s = 0;
        for (int q = 0; q < NN; q++) s += (double)a[i * NN + q] * b[q * NN + j];
        ck_assert_double_eq_tol(ref[k], s, 1e-4);
    }

    omp_set_num_threads(1);
    product(one, a, b);
    omp_set_num_threads(2);
    int team = 0;
    regions_nested = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        team = omp_get_num_threads();
        product(c + (size_t)omp_get_thread_num() * n, a, b);
    }
    ck_assert_int_eq(team, 2);
    ck_assert_int_eq(regions_nested, 0);
    ck_assert(memcmp(c, one, n * sizeof *c) == 0);
    ck_assert(memcmp(c + n, one, n * sizeof *c) == 0);
    free(a), free(b), free(ref), free(c), free(one);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blas_region");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sgemm_single_threaded_in_region);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return check_run(suite()); }
