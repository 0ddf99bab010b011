/* head.c: global average pool, linear layer and soft-label cross-entropy. These are small
 * (N x 8k x classes), so plain loops in a fixed order; no BLAS call is worth its overhead. */
#include "model/layers.h"

#include <math.h>
#include <string.h>

void avgpool_forward(float *out, const float *in, int C, int N, int HW)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            const float *p = in + ((size_t)c * N + n) * HW;
            float s = 0.0f;
            for (int i = 0; i < HW; i++) s += p[i];
            out[(size_t)n * C + c] = s / (float)HW;
        }
}

void avgpool_backward(float *din, const float *dout, int C, int N, int HW, int accumulate)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (int n = 0; n < N; n++) {
            float *p = din + ((size_t)c * N + n) * HW;
            float g = dout[(size_t)n * C + c] / (float)HW;
            if (accumulate)
                for (int i = 0; i < HW; i++) p[i] += g;
            else
                for (int i = 0; i < HW; i++) p[i] = g;
        }
}

void linear_forward(float *out, const float *in, const float *wt, const float *bias, int N, int C,
                    int K)
{
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            const float *x = in + (size_t)n * C, *w = wt + (size_t)k * C;
            float s = 0.0f;
            for (int c = 0; c < C; c++) s += x[c] * w[c];
            out[(size_t)n * K + k] = s + bias[k];
        }
}

void linear_backward(float *din, float *dwt, float *dbias, const float *dout, const float *in,
                     const float *wt, int N, int C, int K, int accumulate)
{
    for (int k = 0; dwt && k < K; k++) {
        float *dw = dwt + (size_t)k * C;
        float db = 0.0f;
        for (int n = 0; n < N; n++) {
            float g = dout[(size_t)n * K + k];
            const float *x = in + (size_t)n * C;
            db += g;
            for (int c = 0; c < C; c++) dw[c] += g * x[c];
        }
        dbias[k] += db;
    }
    if (!din) return;
    for (int n = 0; n < N; n++) {
        float *dx = din + (size_t)n * C;
        if (!accumulate) memset(dx, 0, sizeof(float) * C);
        for (int k = 0; k < K; k++) {
            float g = dout[(size_t)n * K + k];
            const float *w = wt + (size_t)k * C;
            for (int c = 0; c < C; c++) dx[c] += g * w[c];
        }
    }
}

float softmax_ce(float *dlogits, const float *logits, const float *y, int N, int K)
{
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K, *t = y + (size_t)n * K;
        float *dz = dlogits + (size_t)n * K;
        float mx = z[0];
        for (int k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
        double se = 0.0, ysum = 0.0;
        for (int k = 0; k < K; k++) se += exp((double)z[k] - mx);
        double lse = mx + log(se);
        for (int k = 0; k < K; k++) {
            loss -= (double)t[k] * ((double)z[k] - lse);
            ysum += t[k];
        }
        /* d/dz of -sum_k y_k log softmax_k = softmax * sum(y) - y, then the batch mean. */
        for (int k = 0; k < K; k++)
            dz[k] = (float)((exp((double)z[k] - lse) * ysum - t[k]) / N);
    }
    return (float)(loss / N);
}
