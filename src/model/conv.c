/* conv.c: convolution as im2col + one sgemm per chunk of the mini-batch (channel-major).
 *
 * Column buffer layout: row r = (c*k + ky)*k + kx, column j = (image in chunk)*ho*wo + oy*wo + ox.
 * Forward:  out[:, chunk] = W (cout x K) . col (K x cols)
 * Backward: dW += dout[:, chunk] . col^T ;  dcol = W^T . dout[:, chunk] ; din = col2im(dcol)
 * The chunk columns of out/dout are a sub-block with leading dimension n*ho*wo, so no copies.
 * The image count per chunk depends only on the shapes, never on the thread count, so the
 * GEMM summation order (and the result bits) are fixed for a given batch.
 */
#include "model/layers.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

void conv_dims(conv_dims_t *d, int n, int cin, int h, int w, int cout, int k, int stride, int pad)
{
    d->n = n;
    d->cin = cin;
    d->h = h;
    d->w = w;
    d->cout = cout;
    d->k = k;
    d->stride = stride;
    d->pad = pad;
    d->ho = (h + 2 * pad - k) / stride + 1;
    d->wo = (w + 2 * pad - k) / stride + 1;
}

int conv_chunk(const conv_dims_t *d, size_t col_cap)
{
    size_t per = (size_t)d->cin * d->k * d->k * d->ho * d->wo;
    size_t c = col_cap / per;
    if (c < 1) c = 1;
    if (c > (size_t)d->n) c = (size_t)d->n;
    /* Even chunks: 113+113+30 images would leave a thin last GEMM; 86+85+85 does not. */
    size_t chunks = ((size_t)d->n + c - 1) / c;
    return (int)(((size_t)d->n + chunks - 1) / chunks);
}

/* col (K, nc*ho*wo) <- patches of images n0..n0+nc-1. */
static void im2col(float *col, const float *in, const conv_dims_t *d, int n0, int nc)
{
    const int k = d->k, s = d->stride, pad = d->pad, H = d->h, W = d->w, ho = d->ho, wo = d->wo;
    const int K = d->cin * k * k;
    const size_t plane = (size_t)H * W, cols = (size_t)nc * ho * wo;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < K; r++) {
        int c = r / (k * k), ky = (r / k) % k, kx = r % k;
        float *dst = col + (size_t)r * cols;
        /* Valid output columns: 0 <= ox*s + kx - pad < W. */
        int ox0 = 0, ox1 = wo;
        while (ox0 < wo && ox0 * s + kx - pad < 0) ox0++;
        while (ox1 > ox0 && (ox1 - 1) * s + kx - pad >= W) ox1--;
        for (int i = 0; i < nc; i++) {
            const float *src = in + ((size_t)c * d->n + n0 + i) * plane;
            for (int oy = 0; oy < ho; oy++, dst += wo) {
                int iy = oy * s + ky - pad;
                if (iy < 0 || iy >= H) {
                    memset(dst, 0, sizeof(float) * wo);
                    continue;
                }
                const float *row = src + (size_t)iy * W + kx - pad;
                for (int ox = 0; ox < ox0; ox++) dst[ox] = 0.0f;
                if (s == 1) {
                    memcpy(dst + ox0, row + ox0, sizeof(float) * (ox1 - ox0));
                } else {
                    for (int ox = ox0; ox < ox1; ox++) dst[ox] = row[ox * s];
                }
                for (int ox = ox1; ox < wo; ox++) dst[ox] = 0.0f;
            }
        }
    }
}

/* din[:, n0..n0+nc) (=|+=) sum of the column entries that read each input pixel. Each
 * (channel, image) plane is owned by one thread, so there are no write races. */
static void col2im(float *din, const float *col, const conv_dims_t *d, int n0, int nc,
                   int accumulate)
{
    const int k = d->k, s = d->stride, pad = d->pad, H = d->h, W = d->w, ho = d->ho, wo = d->wo;
    const size_t plane = (size_t)H * W, cols = (size_t)nc * ho * wo;
    const int C = d->cin;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < nc; i++) {
            float *dst = din + ((size_t)c * d->n + n0 + i) * plane;
            if (!accumulate) memset(dst, 0, sizeof(float) * plane);
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    const float *src = col + ((size_t)(c * k + ky) * k + kx) * cols +
                                       (size_t)i * ho * wo;
                    int ox0 = 0, ox1 = wo;
                    while (ox0 < wo && ox0 * s + kx - pad < 0) ox0++;
                    while (ox1 > ox0 && (ox1 - 1) * s + kx - pad >= W) ox1--;
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy * s + ky - pad;
                        if (iy < 0 || iy >= H) continue;
                        float *drow = dst + (size_t)iy * W + kx - pad;
                        const float *srow = src + (size_t)oy * wo;
                        if (s == 1) {
                            for (int ox = ox0; ox < ox1; ox++) drow[ox] += srow[ox];
                        } else {
                            for (int ox = ox0; ox < ox1; ox++) drow[ox * s] += srow[ox];
                        }
                    }
                }
            }
        }
    }
}

/* Images in the chunk that starts at n0 (0 past the end): the chunks cover 0..n-1 in order. */
static int chunk_len(int n, int n0, int chunk) { return n - n0 < chunk ? n - n0 : chunk; }

void conv_forward(float *out, const float *in, const float *wt, const conv_dims_t *d,
                  float *col, size_t col_cap, int accumulate, layer_time_t *t)
{
    const int K = d->cin * d->k * d->k;
    const int hw = d->ho * d->wo, ldo = d->n * hw;
    const int chunk = conv_chunk(d, col_cap);
    for (int n0 = 0, nc; (nc = chunk_len(d->n, n0, chunk)) > 0; n0 += nc) {
        int cols = nc * hw;
        double t0 = t ? omp_get_wtime() : 0;
        im2col(col, in, d, n0, nc);
        double t1 = t ? omp_get_wtime() : 0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->cout, cols, K, 1.0f, wt, K,
                    col, cols, accumulate ? 1.0f : 0.0f, out + (size_t)n0 * hw, ldo);
        if (t) {
            double t2 = omp_get_wtime();
            t->im2col += t1 - t0;
            t->gemm += t2 - t1;
        }
    }
}

void conv_backward(float *din, float *dwt, const float *dout, const float *in, const float *wt,
                   const conv_dims_t *d, float *col, size_t col_cap, int accumulate,
                   layer_time_t *t)
{
    const int K = d->cin * d->k * d->k;
    const int hw = d->ho * d->wo, ldo = d->n * hw;
    const int chunk = conv_chunk(d, col_cap);
    for (int n0 = 0, nc; (nc = chunk_len(d->n, n0, chunk)) > 0; n0 += nc) {
        int cols = nc * hw;
        const float *dchunk = dout + (size_t)n0 * hw;
        double t0 = t ? omp_get_wtime() : 0;
        if (dwt) im2col(col, in, d, n0, nc);
        double t1 = t ? omp_get_wtime() : 0;
        if (dwt)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->cout, K, cols, 1.0f, dchunk, ldo,
                        col, cols, 1.0f, dwt, K);
        double t2 = t ? omp_get_wtime() : 0, t3 = t2;
        if (din) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, cols, d->cout, 1.0f, wt, K,
                        dchunk, ldo, 0.0f, col, cols);
            t3 = t ? omp_get_wtime() : 0;
            col2im(din, col, d, n0, nc, accumulate);
        }
        if (t) {
            double t4 = omp_get_wtime();
            t->im2col += t1 - t0;
            t->gemm += t3 - t1;
            t->col2im += t4 - t3;
        }
    }
}
