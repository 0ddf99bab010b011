/* wgemm.h: the small dense products of the Winograd convolution (internal to src/model).
 *
 * conv_wino.c multiplies, for each of its 36 frequencies, a cout x cin matrix with a
 * cin x tiles one (and the two transposed forms in the backward). At 16-128 channels these
 * are thin products that a general sgemm spends much of its time packing; these kernels read
 * both operands where they lie. Single-threaded: the caller shares frequencies over threads.
 * Row-major, strides in floats; no aliasing between C and A or B. */
#ifndef ST_MODEL_WGEMM_H
#define ST_MODEL_WGEMM_H

#include <stddef.h>

/* C (m x n, row stride ldc) = A . B, or += when accumulate. A(i, p) = a[i*ars + p*aks], so
 * (ars, aks) = (lda, 1) is A and (1, lda) is A's transpose; B is k x n with row stride ldb. */
void wgemm_nn(int m, int n, int k, const float *a, size_t ars, size_t aks, const float *b,
              size_t ldb, float *c, size_t ldc, int accumulate);

/* C (m x n) = A . B^T, or += when accumulate: A is m x k (row stride lda), B is n x k (ldb). */
void wgemm_nt(int m, int n, int k, const float *a, size_t lda, const float *b, size_t ldb,
              float *c, size_t ldc, int accumulate);

#endif
