/* The Winograd products' kernels (src/model/wgemm.c) against OpenBLAS's sgemm on the same
 * operands: every shape class the kernels split into (full register blocks, row and column
 * tails, a shared dimension shorter than a vector or not a multiple of it), A read directly
 * and transposed, overwrite and accumulate. Tolerance: the two results may differ by the sum
 * of both worst-case float rounding bounds, 2 k eps sum_p |a_ip b_pj| (+ eps |c| when
 * accumulating); a wrong index or a lost term is off by the size of a term. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "model/wgemm.h"

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)sin(0.37 * (double)(i + 1) * seed + seed) * 0.75f;
}

/* |C - ref| within the rounding bound; abs_ab[i*n+j] = sum_p |a_ip b_pj| */
static void expect_close(const float *c, const float *ref, const double *abs_ab, const float *c0,
                         int m, int n, int k, const char *what)
{
    /* one assertion per product: Check records every assertion it passes */
    size_t bad = (size_t)m * n;
    for (size_t q = 0; q < (size_t)m * n && bad == (size_t)m * n; q++) {
        double tol = 2.0 * (k + 1) * FLT_EPSILON * abs_ab[q] + (c0 ? FLT_EPSILON * fabs(c0[q]) : 0) + 1e-30;
        if (!(fabs((double)c[q] - ref[q]) <= tol)) bad = q;
    }
    ck_assert_msg(bad == (size_t)m * n, "%s m=%d n=%d k=%d at (%zu,%zu): %.9g vs sgemm %.9g", what, m, n, k,
                  bad / (size_t)n, bad % (size_t)n, c[bad % ((size_t)m * n)], ref[bad % ((size_t)m * n)]);
}

/* ab[i*n+j] = sum_p |a[i*k+p] B(p, j)|, B(p, j) = b[p*bps + j*bjs]: the scale of each
 * element's rounding bound. */
static void abs_products(double *ab, const float *a, const float *b, size_t bps, size_t bjs, int m, int n,
                         int k)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += fabs((double)a[(size_t)i * k + p] * b[p * bps + j * bjs]);
            ab[(size_t)i * n + j] = s;
        }
}

static const int sizes[] = {1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 31, 33, 64, 67, 100, 130};
#define NS ((int)(sizeof sizes / sizeof sizes[0]))

START_TEST(test_nn_matches_sgemm)
{
    for (int im = 0; im < NS; im++)
        for (int in = 0; in < NS; in++)
            for (int ik = 0; ik < NS; ik += 3) {
                const int m = sizes[im], n = sizes[in], k = sizes[ik];
                float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
                float *at = malloc(sizeof(float) * m * k), *c = malloc(sizeof(float) * m * n);
                float *c0 = malloc(sizeof(float) * m * n), *ref = malloc(sizeof(float) * m * n);
                double *ab = malloc(sizeof(double) * m * n);
                ck_assert(a && b && at && c && c0 && ref && ab);
                fill(a, (size_t)m * k, 3), fill(b, (size_t)k * n, 5), fill(c0, (size_t)m * n, 11);
                for (int i = 0; i < m; i++)
                    for (int p = 0; p < k; p++) at[(size_t)p * m + i] = a[(size_t)i * k + p];
                abs_products(ab, a, b, (size_t)n, 1, m, n, k);
                for (int acc = 0; acc < 2; acc++) {
                    memcpy(ref, c0, sizeof(float) * m * n);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n,
                                acc ? 1.0f : 0.0f, ref, n);
                    memcpy(c, c0, sizeof(float) * m * n);
                    wgemm_nn(m, n, k, a, (size_t)k, 1, b, (size_t)n, c, (size_t)n, acc);
                    expect_close(c, ref, ab, acc ? c0 : NULL, m, n, k, "nn");
                    /* the same product with A stored transposed (the backward's U^T) */
                    memcpy(c, c0, sizeof(float) * m * n);
                    wgemm_nn(m, n, k, at, 1, (size_t)m, b, (size_t)n, c, (size_t)n, acc);
                    expect_close(c, ref, ab, acc ? c0 : NULL, m, n, k, "nn, A transposed");
                }
                free(a), free(b), free(at), free(c), free(c0), free(ref), free(ab);
            }
}
END_TEST

START_TEST(test_nt_matches_sgemm)
{
    for (int im = 0; im < NS; im++)
        for (int in = 0; in < NS; in += 2)
            for (int ik = 0; ik < NS; ik++) {
                const int m = sizes[im], n = sizes[in], k = sizes[ik];
                float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k);
                float *c = malloc(sizeof(float) * m * n), *c0 = malloc(sizeof(float) * m * n);
                float *ref = malloc(sizeof(float) * m * n);
                double *ab = malloc(sizeof(double) * m * n);
                ck_assert(a && b && c && c0 && ref && ab);
                fill(a, (size_t)m * k, 7), fill(b, (size_t)n * k, 13), fill(c0, (size_t)m * n, 17);
                abs_products(ab, a, b, 1, (size_t)k, m, n, k);
                for (int acc = 0; acc < 2; acc++) {
                    memcpy(ref, c0, sizeof(float) * m * n);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k,
                                acc ? 1.0f : 0.0f, ref, n);
                    memcpy(c, c0, sizeof(float) * m * n);
                    wgemm_nt(m, n, k, a, (size_t)k, b, (size_t)k, c, (size_t)n, acc);
                    expect_close(c, ref, ab, acc ? c0 : NULL, m, n, k, "nt");
                }
                free(a), free(b), free(c), free(c0), free(ref), free(ab);
            }
}
END_TEST

/* Leading dimensions larger than the row length (sub-blocks of bigger arrays) */
START_TEST(test_strided_operands)
{
    const int m = 19, n = 37, k = 29, lda = 41, ldb = 53, ldc = 47;
    float *a = malloc(sizeof(float) * m * lda), *b = malloc(sizeof(float) * k * ldb);
    float *c = malloc(sizeof(float) * m * ldc), *ref = malloc(sizeof(float) * m * ldc);
    ck_assert(a && b && c && ref);
    fill(a, (size_t)m * lda, 19), fill(b, (size_t)k * ldb, 23);
    for (int i = 0; i < m * ldc; i++) c[i] = ref[i] = -7.0f;   /* padding must stay untouched */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, ref, ldc);
    wgemm_nn(m, n, k, a, (size_t)lda, 1, b, (size_t)ldb, c, (size_t)ldc, 0);
    int pad_ok = 1, close = 1;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            if (j >= n) pad_ok &= c[i * ldc + j] == -7.0f;
            else close &= fabsf(c[i * ldc + j] - ref[i * ldc + j]) <= 1e-4f;
        }
    ck_assert_msg(pad_ok, "wgemm_nn wrote past n columns");
    ck_assert_msg(close, "wgemm_nn with leading dimensions differs from sgemm");
    free(a), free(b), free(c), free(ref);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("wgemm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_nn_matches_sgemm);
    tcase_add_test(tc, test_nt_matches_sgemm);
    tcase_add_test(tc, test_strided_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    openblas_set_num_threads(1);   /* thousands of tiny references: threading them only costs */
    return check_run(suite());
}
