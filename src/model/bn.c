/* bn.c: batch norm fused with the ReLU that always follows it in PreAct-ResNet.
 *
 * Channel-major activations make each channel one contiguous run of M = N*H*W floats, so the
 * loops parallelise over channels and each channel's sums are taken by one thread in a fixed
 * order: results do not depend on the thread count. Sums are accumulated in double over
 * eight interleaved lanes (vectorisable, and accurate for M in the hundreds of thousands).
 */
#include "model/layers.h"

#include <math.h>
#include <string.h>

/* GNU C vector types (GCC and clang) for the loops GCC does not vectorise by itself. */
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));

static double sum_f(const float *x, size_t n)
{
    double a[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) a[l] += x[i + l];
    for (; i < n; i++) a[0] += x[i];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static double sumsq_centered(const float *x, size_t n, float mean)
{
    double a[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            float d = x[i + l] - mean;
            a[l] += (double)d * d;
        }
    for (; i < n; i++) {
        float d = x[i] - mean;
        a[0] += (double)d * d;
    }
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static void scale_shift_relu(float *out, const float *in, size_t n, float alpha, float shift)
{
    for (size_t i = 0; i < n; i++) {
        float v = in[i] * alpha + shift;
        out[i] = v < 0.0f ? 0.0f : v; /* NaN passes through, as torch.relu: a NaN must reach the loss */
    }
}

void bnrelu_forward(float *out, const float *in, const float *gamma, const float *beta,
                    float *mean, float *rstd, float *run_mean, float *run_var, int C, size_t M,
                    int train, float momentum, float eps)
{
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        const float *x = in + (size_t)c * M;
        double mu, var;
        if (train) {
            mu = sum_f(x, M) / (double)M;
            var = sumsq_centered(x, M, (float)mu) / (double)M;
            run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * (float)mu;
            double unbiased = M > 1 ? var * (double)M / (double)(M - 1) : var;
            run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)unbiased;
        } else {
            mu = run_mean[c];
            var = run_var[c];
        }
        mean[c] = (float)mu;
        rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
        float alpha = rstd[c] * gamma[c];
        scale_shift_relu(out + (size_t)c * M, x, M, alpha, beta[c] - mean[c] * alpha);
    }
}

void bnrelu_apply(float *out, const float *in, const float *gamma, const float *beta,
                  const float *mean, const float *rstd, int C, size_t M)
{
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        float alpha = rstd[c] * gamma[c];
        scale_shift_relu(out + (size_t)c * M, in + (size_t)c * M, M, alpha,
                         beta[c] - mean[c] * alpha);
    }
}

/* Channel sums of the ReLU-masked gradient g: *sdy = sum g, *sdyx = sum g*(x - mu). The
 * mask is a select, not a multiply, so a NaN or inf gradient under a zero output stays out.
 * Eight lanes, lane l summing elements l, l+8, ... in double, written with vector types
 * because GCC does not vectorise the select in the equivalent scalar loop. */
static void grad_sums(const float *dy, const float *x, const float *y, size_t M, float mu,
                      double *sdy, double *sdyx)
{
    v8d s1 = {0}, s2 = {0};
    const v8f zero = {0}, vmu = zero + mu;
    size_t i = 0;
    for (; i + 8 <= M; i += 8) {
        v8f yv, dv, xv;
        memcpy(&yv, y + i, sizeof yv);
        memcpy(&dv, dy + i, sizeof dv);
        memcpy(&xv, x + i, sizeof xv);
        v8f g = (v8f)((v8i)dv & (yv > zero));
        v8d gd = __builtin_convertvector(g, v8d);
        s1 += gd;
        s2 += gd * __builtin_convertvector(xv - vmu, v8d);
    }
    for (; i < M; i++) {
        float g = y[i] > 0.0f ? dy[i] : 0.0f;
        s1[0] += g;
        s2[0] += (double)g * (x[i] - mu);
    }
    *sdy = ((s1[0] + s1[1]) + (s1[2] + s1[3])) + ((s1[4] + s1[5]) + (s1[6] + s1[7]));
    *sdyx = ((s2[0] + s2[1]) + (s2[2] + s2[3])) + ((s2[4] + s2[5]) + (s2[6] + s2[7]));
}

/* dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat)) over one channel's M local
 * elements, the means taken over Mt elements (Mt = M in one process); sdyx is already
 * times rstd. */
static void grad_input(float *dx, const float *dy, const float *x, const float *y, size_t M,
                       double Mt, float gamma, float mu, float rs, double sdy, double sdyx,
                       int accumulate)
{
    const float k = gamma * rs, mdy = (float)(sdy / Mt);
    const float mdyx = (float)(sdyx / Mt) * rs;  /* times (x - mu) gives xhat*mean */
    if (accumulate) {
        for (size_t j = 0; j < M; j++) {
            float g = y[j] > 0.0f ? dy[j] : 0.0f;
            dx[j] += k * (g - mdy - (x[j] - mu) * mdyx);
        }
    } else {
        for (size_t j = 0; j < M; j++) {
            float g = y[j] > 0.0f ? dy[j] : 0.0f;
            dx[j] = k * (g - mdy - (x[j] - mu) * mdyx);
        }
    }
}

void bnrelu_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                     const float *out, const float *gamma, const float *mean, const float *rstd,
                     int C, size_t M, int accumulate)
{
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        const float *dy = dout + (size_t)c * M, *x = in + (size_t)c * M, *y = out + (size_t)c * M;
        double sdy, sdyx;
        grad_sums(dy, x, y, M, mean[c], &sdy, &sdyx);
        sdyx *= rstd[c];
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        grad_input(din + (size_t)c * M, dy, x, y, M, (double)M, gamma[c], mean[c], rstd[c], sdy, sdyx,
                   accumulate);
    }
}

/* ---- statistics summed over processes (synchronised batch norm) ----
 * The same arithmetic as above with each per-channel sum split in two: local sums, then
 * r->fn adds them over the processes (the element count M rides along as the last entry),
 * then the rest. With one process r->fn does nothing and the result is bnrelu_forward's. */
void bnrelu_forward_reduced(float *out, const float *in, const float *gamma, const float *beta,
                            float *mean, float *rstd, float *run_mean, float *run_var, int C,
                            size_t M, float momentum, float eps, const bn_reduce_t *r)
{
    double *buf = r->buf;   /* (C + 1) */
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) buf[c] = sum_f(in + (size_t)c * M, M);
    buf[C] = (double)M;
    r->fn(r->ctx, buf, C + 1);
    const double Mt = buf[C];
    for (int c = 0; c < C; c++) mean[c] = (float)(buf[c] / Mt);
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) buf[c] = sumsq_centered(in + (size_t)c * M, M, mean[c]);
    buf[C] = 0;
    r->fn(r->ctx, buf, C + 1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        double var = buf[c] / Mt;
        run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * mean[c];
        double unbiased = Mt > 1 ? var * Mt / (Mt - 1) : var;
        run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)unbiased;
        rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
        float alpha = rstd[c] * gamma[c];
        scale_shift_relu(out + (size_t)c * M, in + (size_t)c * M, M, alpha, beta[c] - mean[c] * alpha);
    }
}

void bnrelu_backward_reduced(float *din, float *dgamma, float *dbeta, const float *dout,
                             const float *in, const float *out, const float *gamma,
                             const float *mean, const float *rstd, int C, size_t M,
                             int accumulate, const bn_reduce_t *r)
{
    double *buf = r->buf;   /* (2C + 1): sdy, sdyx per channel, then M */
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        size_t o = (size_t)c * M;
        grad_sums(dout + o, in + o, out + o, M, mean[c], &buf[c], &buf[C + c]);
        buf[C + c] *= rstd[c];
        /* this process's share: the gradient allreduce adds the others' */
        dgamma[c] += (float)buf[C + c];
        dbeta[c] += (float)buf[c];
    }
    buf[2 * C] = (double)M;
    r->fn(r->ctx, buf, 2 * C + 1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        size_t o = (size_t)c * M;
        grad_input(din + o, dout + o, in + o, out + o, M, buf[2 * C], gamma[c], mean[c], rstd[c], buf[c],
                   buf[C + c], accumulate);
    }
}

void bnrelu_backward_eval(float *din, const float *dout, const float *out, const float *gamma,
                          const float *rstd, int C, size_t M, int accumulate)
{
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        const float *dy = dout + (size_t)c * M, *y = out + (size_t)c * M;
        float *dx = din + (size_t)c * M;
        const float k = gamma[c] * rstd[c];
        /* A select, not a multiply by the mask: a NaN gradient under a zero output stays out. */
        if (accumulate)
            for (size_t j = 0; j < M; j++) dx[j] += y[j] > 0.0f ? k * dy[j] : 0.0f;
        else
            for (size_t j = 0; j < M; j++) dx[j] = y[j] > 0.0f ? k * dy[j] : 0.0f;
    }
}
