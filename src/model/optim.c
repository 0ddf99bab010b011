/* optim.c: SGD with momentum and coupled weight decay (torch.optim.SGD), and the cosine
 * learning-rate schedule (torch.optim.lr_scheduler.CosineAnnealingLR, eta_min = 0). */
#include "model/model.h"

#include <math.h>

void model_sgd_step(model_t *m, float lr, float momentum, float weight_decay)
{
    float *p = model_params(m), *g = model_grads(m), *v = model_momentum(m);
    long n = (long)model_num_params(m);
    /* Same float operations as torch: d = g + wd*p; buf = mu*buf + d; p = p - lr*buf. The
     * buffers start at zero, so the first step's mu*0 + d equals torch's buf = clone(d). */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float d = g[i] + weight_decay * p[i];
        float b = momentum * v[i] + d;
        v[i] = b;
        p[i] = p[i] - lr * b;
    }
}

double lr_cosine(double base_lr, long step, long total_steps, long warmup_steps)
{
    if (warmup_steps < 0) warmup_steps = 0;
    if (step < 0) step = 0;
    if (step < warmup_steps) return base_lr * (double)(step + 1) / (double)warmup_steps;
    long t = step - warmup_steps, T = total_steps - warmup_steps;
    if (T <= 0 || t >= T) return 0.0;
    return base_lr * (1.0 + cos(M_PI * (double)t / (double)T)) / 2.0;
}
