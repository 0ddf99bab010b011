/* wgemm.c: the per-frequency products of the Winograd convolution (wgemm.h).
 *
 * Register-blocked kernels over the target's vector width, written with GCC vector types:
 * an nr x (nv vectors) block of C stays in registers while the shared dimension runs, so A
 * and B are read in place, with no packing copies. The file is compiled with
 * -ffp-contract=fast (src/model/meson.build) so that `s += a * b` becomes one fused
 * multiply-add; the project's other files keep contraction off.
 *
 * Summation order is fixed by the code and the vector width alone, never by the thread
 * count or the data, so a build gives the same bytes for the same inputs. */
#include "model/wgemm.h"

#include <string.h>

#if defined(__AVX512F__)
#define VL 16          /* floats per vector */
#define NR 6           /* rows of C per block (nn) */
#define NV 4           /* vectors of C per row of a block (nn): 24 accumulators of 32 */
#define RT 4           /* rows x columns of C per block (nt): 16 accumulators */
#elif defined(__AVX__)
#define VL 8
#define NR 6
#define NV 2           /* 12 accumulators of 16 registers */
#define RT 3
#else
#define VL 4
#define NR 6
#define NV 2
#define RT 3
#endif

typedef float vf __attribute__((vector_size(VL * sizeof(float))));

#define INLINE static inline __attribute__((always_inline))

INLINE vf vload(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

INLINE void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }

/* One nr x (nv * VL) block of C = or += A . B; nr and nv are constants at every call site,
 * so the loops unroll and the accumulators live in registers. */
INLINE void nn_block(int nr, int nv, int k, const float *a, size_t ars, size_t aks,
                     const float *b, size_t ldb, float *c, size_t ldc, int accumulate)
{
    vf s[NR][NV];
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nv; j++)
            s[i][j] = accumulate ? vload(c + i * ldc + (size_t)j * VL) : (vf){0};
    for (int p = 0; p < k; p++) {
        vf bv[NV];
        for (int j = 0; j < nv; j++) bv[j] = vload(b + (size_t)p * ldb + (size_t)j * VL);
        for (int i = 0; i < nr; i++) {
            const vf av = (vf){0} + a[i * ars + p * aks];
            for (int j = 0; j < nv; j++) s[i][j] += av * bv[j];
        }
    }
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nv; j++) vstore(c + i * ldc + (size_t)j * VL, s[i][j]);
}

/* The rows i0.. of a column block: full blocks of NR rows, then the rest. */
#define NN_ROWS(NVC)                                                                          \
    do {                                                                                      \
        int i = 0;                                                                            \
        for (; i + NR <= m; i += NR)                                                          \
            nn_block(NR, NVC, k, a + i * ars, ars, aks, b + j0, ldb, c + i * ldc + j0, ldc,   \
                     accumulate);                                                             \
        const float *ai = a + i * ars;                                                        \
        float *ci = c + i * ldc + j0;                                                         \
        switch (m - i) {                                                                      \
        case 5: nn_block(5, NVC, k, ai, ars, aks, b + j0, ldb, ci, ldc, accumulate); break;   \
        case 4: nn_block(4, NVC, k, ai, ars, aks, b + j0, ldb, ci, ldc, accumulate); break;   \
        case 3: nn_block(3, NVC, k, ai, ars, aks, b + j0, ldb, ci, ldc, accumulate); break;   \
        case 2: nn_block(2, NVC, k, ai, ars, aks, b + j0, ldb, ci, ldc, accumulate); break;   \
        case 1: nn_block(1, NVC, k, ai, ars, aks, b + j0, ldb, ci, ldc, accumulate); break;   \
        default: break;                                                                       \
        }                                                                                     \
    } while (0)

void wgemm_nn(int m, int n, int k, const float *a, size_t ars, size_t aks, const float *b,
              size_t ldb, float *c, size_t ldc, int accumulate)
{
    _Static_assert(NR == 6, "NN_ROWS handles row tails of 1..5");
    size_t j0 = 0;
    /* Column blocks outer, rows inner: a block's k x (NV * VL) panel of B stays in L1 while
     * every row block uses it. */
    for (; j0 + NV * VL <= (size_t)n; j0 += NV * VL) NN_ROWS(NV);
    for (; j0 + VL <= (size_t)n; j0 += VL) NN_ROWS(1);
    for (; j0 < (size_t)n; j0++)   /* fewer than VL columns left */
        for (int i = 0; i < m; i++) {
            float s = accumulate ? c[i * ldc + j0] : 0.0f;
            for (int p = 0; p < k; p++) s += a[i * ars + p * aks] * b[(size_t)p * ldb + j0];
            c[i * ldc + j0] = s;
        }
}

INLINE float hsum(vf v)
{
    float s = 0.0f;
    for (int l = 0; l < VL; l++) s += v[l];
    return s;
}

#if VL == 16 && RT == 4
typedef int vi __attribute__((vector_size(VL * sizeof(int))));

/* Lane l of the result is the sum of the lanes of v[i][j], l = 4 i + j: a tree of 15 pairwise
 * steps (each sums two vectors' halves side by side) instead of 16 serial lane sums. */
INLINE vf hsum16(vf v[RT][RT])
{
    const vi lo8 = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23};
    const vi hi8 = {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31};
    const vi lo4 = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
    const vi hi4 = {4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31};
    const vi lo2 = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29};
    const vi hi2 = {2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31};
    const vi ev = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    const vi od = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
    vf w[8], x[4], y[2];
    for (int q = 0; q < 8; q++) {   /* lanes 0-7: v[2q]'s halves summed, 8-15: v[2q+1]'s */
        vf a = v[(2 * q) / 4][(2 * q) % 4], b = v[(2 * q + 1) / 4][(2 * q + 1) % 4];
        w[q] = __builtin_shuffle(a, b, lo8) + __builtin_shuffle(a, b, hi8);
    }
    for (int q = 0; q < 4; q++)     /* 4 lanes per sum */
        x[q] = __builtin_shuffle(w[2 * q], w[2 * q + 1], lo4) +
               __builtin_shuffle(w[2 * q], w[2 * q + 1], hi4);
    for (int q = 0; q < 2; q++)     /* 2 lanes per sum */
        y[q] = __builtin_shuffle(x[2 * q], x[2 * q + 1], lo2) +
               __builtin_shuffle(x[2 * q], x[2 * q + 1], hi2);
    return __builtin_shuffle(y[0], y[1], ev) + __builtin_shuffle(y[0], y[1], od);
}
#endif

/* One ri x rj block of C = or += A . B^T (ri, rj constants at every call site). */
INLINE void nt_block(int ri, int rj, int k, const float *a, size_t lda, const float *b,
                     size_t ldb, float *c, size_t ldc, int accumulate)
{
    vf s[RT][RT];
    for (int i = 0; i < ri; i++)
        for (int j = 0; j < rj; j++) s[i][j] = (vf){0};
    int p = 0;
    for (; p + VL <= k; p += VL) {
        vf av[RT], bv[RT];
        for (int i = 0; i < ri; i++) av[i] = vload(a + i * lda + p);
        for (int j = 0; j < rj; j++) bv[j] = vload(b + j * ldb + p);
        for (int i = 0; i < ri; i++)
            for (int j = 0; j < rj; j++) s[i][j] += av[i] * bv[j];
    }
#if VL == 16 && RT == 4
    if (ri == 4 && rj == 4 && p == k) {   /* the 16 sums at once */
        float t[16];
        vstore(t, hsum16(s));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + t[4 * i + j] : t[4 * i + j];
        return;
    }
#endif
    for (int i = 0; i < ri; i++)
        for (int j = 0; j < rj; j++) {
            float t = hsum(s[i][j]);
            for (int q = p; q < k; q++) t += a[i * lda + q] * b[j * ldb + q];
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + t : t;
        }
}

/* Dispatches a block with ri rows (1..RT) and rj columns (1..RT) to a constant-size copy. */
#define NT_CASE(RI, RJ) \
    case (RI) * 8 + (RJ): nt_block(RI, RJ, k, ai, lda, bj, ldb, cij, ldc, accumulate); break

INLINE void nt_any(int ri, int rj, int k, const float *ai, size_t lda, const float *bj,
                   size_t ldb, float *cij, size_t ldc, int accumulate)
{
    switch (ri * 8 + rj) {
        NT_CASE(1, 1); NT_CASE(1, 2); NT_CASE(1, 3);
        NT_CASE(2, 1); NT_CASE(2, 2); NT_CASE(2, 3);
        NT_CASE(3, 1); NT_CASE(3, 2); NT_CASE(3, 3);
#if RT == 4
        NT_CASE(1, 4); NT_CASE(2, 4); NT_CASE(3, 4);
        NT_CASE(4, 1); NT_CASE(4, 2); NT_CASE(4, 3); NT_CASE(4, 4);
#endif
    default: break;
    }
}

void wgemm_nt(int m, int n, int k, const float *a, size_t lda, const float *b, size_t ldb,
              float *c, size_t ldc, int accumulate)
{
    _Static_assert(RT == 3 || RT == 4, "nt_any covers blocks up to 4 x 4");
    for (int i = 0; i < m; i += RT) {
        const int ri = m - i < RT ? m - i : RT;
        for (int j = 0; j < n; j += RT) {
            const int rj = n - j < RT ? n - j : RT;
            const float *ai = a + (size_t)i * lda, *bj = b + (size_t)j * ldb;
            float *cij = c + (size_t)i * ldc + j;
            if (ri == RT && rj == RT)
                nt_block(RT, RT, k, ai, lda, bj, ldb, cij, ldc, accumulate);
            else
                nt_any(ri, rj, k, ai, lda, bj, ldb, cij, ldc, accumulate);
        }
    }
}
