/* layers.h: the layers of src/model as plain forward/backward function pairs (internal).
 *
 * Activations are channel-major, (C, N, H, W): each channel of the whole mini-batch is one
 * contiguous run, so a convolution is one GEMM over the batch (C_out x K) . (K x N*Ho*Wo)
 * (im2col, conv.c) or 36 GEMMs (C_out x C_in) . (C_in x tiles) in the Winograd domain
 * (conv_wino.c), and batch norm reduces contiguous memory. Backward functions accumulate into parameter
 * gradients; for input gradients an `accumulate` flag says whether to add to or overwrite
 * the destination (overwriting saves zeroing big buffers).
 */
#ifndef ST_MODEL_LAYERS_H
#define ST_MODEL_LAYERS_H

#include <stddef.h>

/* Wall-clock accumulators a layer may fill (NULL = not timed). */
typedef struct {
    double gemm, im2col, col2im, bn, other;
} layer_time_t;

typedef struct {
    int n, cin, h, w;       /* input (cin, n, h, w) */
    int cout, k, stride, pad;
    int ho, wo;             /* output (cout, n, ho, wo); filled by conv_dims */
} conv_dims_t;

void conv_dims(conv_dims_t *d, int n, int cin, int h, int w, int cout, int k, int stride, int pad);
/* Images per im2col chunk: at most col_cap floats of columns (but >= 1 image), split evenly
 * over the batch. The result depends only on the shapes and col_cap. */
int conv_chunk(const conv_dims_t *d, size_t col_cap);

/* out (cout, n, ho, wo) = conv(in (cin, n, h, w), wt (cout, cin, k, k)) [+ out if accumulate].
 * col: scratch of at least cin*k*k*ho*wo * conv_chunk(d, col_cap) floats. */
void conv_forward(float *out, const float *in, const float *wt, const conv_dims_t *d,
                  float *col, size_t col_cap, int accumulate, layer_time_t *t);
/* dwt (may be NULL: not needed) += dL/dwt; din (may be NULL: not needed) = or += dL/din. */
void conv_backward(float *din, float *dwt, const float *dout, const float *in, const float *wt,
                   const conv_dims_t *d, float *col, size_t col_cap, int accumulate,
                   layer_time_t *t);

/* Winograd F(4x4, 3x3) for 3x3, stride 1, pad 1 convolutions (conv_wino.c): same contract as
 * conv_forward / conv_backward. cap: floats per transform buffer (36 x max(cin, cout) x tiles
 * of a chunk of images, a tile being a 4x4 output block), raised to one image and to
 * 18 x cin x cout (half the transformed weights) when those are more; ws: at least
 * conv_wino_ws_size(d, cap) floats, a size that does not depend on d->n. Any H, W >= 1 (odd
 * sizes included). */
/* Whether the per-frequency products run on wgemm.h's kernels (1) or on OpenBLAS's sgemm (0):
 * ours in an AVX-512 build while OpenBLAS runs a kernel without AVX-512 (conv_wino.c says
 * why), unless conv_wino_set_products(0 or 1) fixed it for the process (-1 restores the
 * rule; for tests). The choice changes the bytes of the results, not their accuracy. */
int conv_wino_own_products(void);
void conv_wino_set_products(int own);
int conv_wino_ok(const conv_dims_t *d);
int conv_wino_chunk(const conv_dims_t *d, size_t cap);
size_t conv_wino_ws_size(const conv_dims_t *d, size_t cap);
void conv_wino_forward(float *out, const float *in, const float *wt, const conv_dims_t *d,
                       float *ws, size_t cap, int accumulate, layer_time_t *t);
void conv_wino_backward(float *din, float *dwt, const float *dout, const float *in,
                        const float *wt, const conv_dims_t *d, float *ws, size_t cap,
                        int accumulate, layer_time_t *t);

/* Fused batch norm + ReLU over (C, M) with M = N*H*W per channel.
 * train=1: batch mean and biased variance normalise; saves mean and rstd = 1/sqrt(var+eps);
 * running_mean/var move by `momentum` toward the mean and the unbiased variance.
 * train=0: normalises with the running statistics (mean/rstd are still written). */
void bnrelu_forward(float *out, const float *in, const float *gamma, const float *beta,
                    float *mean, float *rstd, float *run_mean, float *run_var, int C, size_t M,
                    int train, float momentum, float eps);
/* Recomputes the forward output from saved mean/rstd (what bnrelu_forward wrote). */
void bnrelu_apply(float *out, const float *in, const float *gamma, const float *beta,
                  const float *mean, const float *rstd, int C, size_t M);
/* Train-mode backward. dout: grad of the ReLU output; out: the ReLU output (its mask).
 * din may equal dout (in place) only when accumulate = 0. */
void bnrelu_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                     const float *out, const float *gamma, const float *mean, const float *rstd,
                     int C, size_t M, int accumulate);

/* Synchronised batch norm: train-mode forward and backward whose per-channel sums are
 * added over the processes of a data-parallel run by fn (in place, elementwise, the same
 * order on every process) between the local passes. buf: scratch of 2 C + 1 doubles. The
 * parameter gradients get this process's share only (the caller sums gradients). */
typedef struct {
    void (*fn)(void *ctx, double *buf, int n);
    void *ctx;
    double *buf;
} bn_reduce_t;
void bnrelu_forward_reduced(float *out, const float *in, const float *gamma, const float *beta,
                            float *mean, float *rstd, float *run_mean, float *run_var, int C,
                            size_t M, float momentum, float eps, const bn_reduce_t *r);
void bnrelu_backward_reduced(float *din, float *dgamma, float *dbeta, const float *dout,
                             const float *in, const float *out, const float *gamma,
                             const float *mean, const float *rstd, int C, size_t M,
                             int accumulate, const bn_reduce_t *r);

/* Eval-mode backward (the forward normalised with running statistics, which are constants):
 * din = or += gamma*rstd * dout where out > 0. No parameter gradients. din may equal dout
 * only when accumulate = 0. */
void bnrelu_backward_eval(float *din, const float *dout, const float *out, const float *gamma,
                          const float *rstd, int C, size_t M, int accumulate);

/* Global average pool: in (C, N, HW) -> out (N, C). */
void avgpool_forward(float *out, const float *in, int C, int N, int HW);
void avgpool_backward(float *din, const float *dout, int C, int N, int HW, int accumulate);

/* out (N, K) = in (N, C) . wt (K, C)^T + bias (K). */
void linear_forward(float *out, const float *in, const float *wt, const float *bias, int N, int C,
                    int K);
/* dwt, dbias += (both skipped when dwt is NULL); din (N, C) = or += (NULL: skipped). */
void linear_backward(float *din, float *dwt, float *dbias, const float *dout, const float *in,
                     const float *wt, int N, int C, int K, int accumulate);

/* Mean over N of -sum_k y log softmax(z); dlogits = (softmax(z) * sum_k y - y) / N. */
float softmax_ce(float *dlogits, const float *logits, const float *y, int N, int K);

#endif
