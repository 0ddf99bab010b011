/* model.h: PreAct-ResNet18 (FMix variant, docs/reference.md §5) for training on the CPU.
 *
 * The network: conv3x3(in_ch->k) -> BN -> ReLU, four stages of two PreActBlocks with widths
 * k, 2k, 4k, 8k (first-block strides 1, 2, 2, 2), global average pool, linear(8k->classes).
 * k = 64 is the paper's model (about 11.2 M parameters at 1 input channel, 12 classes).
 *
 * Parameters, gradients, SGD momentum and activations each live in one allocation. The
 * parameter order is the PyTorch named_parameters() order of the reference module in
 * scripts/gen_model_fixtures.py (stem conv, stem bn, then per block bn1, conv1, bn2, conv2,
 * shortcut, then linear weight, linear bias), so flat vectors can be compared one to one.
 *
 * Typical step:
 *   model_forward(m, x, n, 1); loss = model_loss(m, y, n);
 *   model_zero_grad(m); model_backward(m, n); model_sgd_step(m, lr, 0.9f, 5e-4f);
 * Not thread-safe: one model is used by one thread at a time (it runs OpenMP/BLAS inside).
 */
#ifndef ST_MODEL_H
#define ST_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct {
    int in_ch;    /* input channels (1 for log-mel, 3 for images) */
    int classes;  /* output classes */
    int width;    /* width multiplier k: stage widths k, 2k, 4k, 8k */
    int h, w;     /* input height (mel bands) and width (frames); each >= 8 */
} model_config_t;

typedef struct model model_t;

/* Batch-norm epsilon of every BN layer (PyTorch's default). */
#define MODEL_BN_EPS 1e-5f

/* Builds the network with PyTorch's default initialisation drawn from rng_init(seed):
 * conv/linear weights kaiming-uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * linear bias U(-1/sqrt(fan_in), ..), BN weight 1, bias 0, running mean 0, var 1.
 * max_batch: the largest n passed to forward. Returns NULL with a message on bad config or
 * out of memory. */
model_t *model_init(const model_config_t *cfg, int max_batch, uint64_t seed, char *err);
void model_free(model_t *m);

/* Parameter count of the network a config describes, without building it (0 if invalid). */
size_t model_param_count(const model_config_t *cfg);

const model_config_t *model_config(const model_t *m);
int model_max_batch(const model_t *m);
size_t model_num_params(const model_t *m);

/* Flat views (model_num_params floats each), in the order described above. Writable so that
 * tests and checkpoints can set them. */
float *model_params(model_t *m);
float *model_grads(model_t *m);
float *model_momentum(model_t *m);
/* BN running statistics: for each BN layer in order, running_mean[C] then running_var[C]. */
float *model_bn_stats(model_t *m);
size_t model_num_bn_stats(const model_t *m);

/* Synchronised BatchNorm for data-parallel training: fn adds n doubles elementwise over all
 * processes, in place, in the same order everywhere (an allreduce). With fn set, train-mode
 * forward and backward take each BN layer's per-channel sums over the union of the
 * processes' batches (two calls per layer forward, one backward), so every process
 * normalises as one process would on the whole batch; parameter gradients still hold only
 * this process's share. fn = NULL (the default): statistics of the local batch. -1: out of
 * memory (the setting is then off). */
typedef void (*model_reduce_fn)(void *ctx, double *buf, int n);
int model_set_bn_reduce(model_t *m, model_reduce_fn fn, void *ctx);

/* x: (n, in_ch, h, w) row-major; 1 <= n <= max_batch. train=1: batch statistics and a
 * running-statistics update (PyTorch train mode); train=0: running statistics (eval mode).
 * Returns 0, or -1 if n is out of range (then nothing is done). */
int model_forward(model_t *m, const float *x, int n, int train);
/* (n, classes) logits of the last forward. */
const float *model_logits(const model_t *m);
/* Mean over the batch of -sum_k y_k log softmax(z)_k (torch.nn.functional.cross_entropy
 * with probability targets); y: (n, classes). Keeps dL/dlogits for model_backward. */
float model_loss(model_t *m, const float *y, int n);
void model_zero_grad(model_t *m);
/* Backpropagates the last model_loss through the last (train-mode) forward and adds the
 * parameter gradients into model_grads(). Does nothing after an eval-mode forward, and
 * nothing the second time: the backward overwrites the activations the forward saved (it
 * works in them), so each forward allows one model_backward or model_input_grad. */
void model_backward(model_t *m, int n);
/* Input gradient for adversarial examples: after model_forward(m, x, n, 0) (eval mode) and
 * model_loss(m, y, n), dx (n, in_ch, h, w) <- dL/dx through the eval-mode network (BN with
 * running statistics, as torch's model.eval()). Parameter gradients are neither computed nor
 * touched. Returns -1 (nothing done) when the last forward was not eval mode with n rows,
 * or when a backward has used it already. */
int model_input_grad(model_t *m, int n, float *dx);
/* torch.optim.SGD(momentum=mu, weight_decay=wd, dampening=0, nesterov=False) step over every
 * parameter: g = grad + wd*p; v = mu*v + g (v = g on the first step; momentum buffers start
 * at zero so this is the same thing); p -= lr*v. */
void model_sgd_step(model_t *m, float lr, float momentum, float weight_decay);

/* Learning rate at `step` of `total_steps` (steps or epochs: the caller picks the unit and
 * calls it with the same unit). With warmup_steps = 0 this is torch's CosineAnnealingLR
 * (T_max = total_steps, eta_min = 0) after `step` scheduler.step() calls:
 *   base_lr * (1 + cos(pi * step / total_steps)) / 2.
 * With warmup_steps = W > 0: steps 0..W-1 ramp linearly, lr = base_lr * (step + 1) / W, then
 * the cosine runs over the remaining total_steps - W steps. Steps past the end give 0. */
double lr_cosine(double base_lr, long step, long total_steps, long warmup_steps);

/* Threads for our OpenMP loops and for OpenBLAS (the OpenMP build); n < 1 means 1. */
void model_set_threads(int n);

/* Convolution algorithm for the 3x3 stride-1 convolutions of the residual blocks:
 * MODEL_CONV_WINOGRAD (Winograd F(4x4, 3x3), the default) or MODEL_CONV_IM2COL (im2col + GEMM).
 * The stem, strided and 1x1 convolutions always use im2col. model_init starts with Winograd;
 * both give the same result up to float32 rounding. */
enum { MODEL_CONV_IM2COL = 0, MODEL_CONV_WINOGRAD = 1 };
void model_set_conv(model_t *m, int algo);
int model_get_conv(const model_t *m);

/* Optional per-layer timing (wall clock, seconds), off by default. Entries are named
 * "stem", "layer1".."layer4", "head" x kind ("gemm", "im2col", "col2im", "bn", "other")
 * accumulated over forward and backward. */
void model_profile_enable(model_t *m, int on);
/* Returns the number of entries; fills up to max of them. */
int model_profile_get(const model_t *m, const char **names, double *seconds, int max);
void model_profile_reset(model_t *m);

/* FLOPs (2 x multiply-adds) of one sample's forward pass through convs and linear. */
double model_forward_flops(const model_t *m);
/* The multiply-add FLOPs the forward pass really performs in its GEMMs with the current
 * convolution algorithm: a Winograd convolution does 36 cin cout per 4x4 output tile instead
 * of 144 (model_forward_flops counts direct convolution, the usual "effective" measure). */
double model_gemm_flops(const model_t *m);

#endif
