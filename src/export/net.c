/* net.c: the PreAct-ResNet18 of model.h walked in its parameter order (model.h), naming
 * each tensor as the reference module does. */
#include "export/net.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

typedef struct {
    net_t *net;
    float *P, *S;          /* parameters, BN statistics */
    size_t pc, sc;         /* cursors into them */
} walk_t;

static void add(walk_t *w, const char *name, int from_stats, int ndim, const int64_t *dims)
{
    net_tensor_t *t = &w->net->t[w->net->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) t->dims[i] = dims[i], t->count *= (size_t)dims[i];
    size_t *cur = from_stats ? &w->sc : &w->pc;
    t->data = (from_stats ? w->S : w->P) + *cur;
    *cur += t->count;
}

static void add_conv(walk_t *w, const char *name, int cout, int cin, int k)
{
    const int64_t d[4] = {cout, cin, k, k};
    add(w, name, 0, 4, d);
}

/* BN weight and bias are parameters; running mean and var sit in the statistics array in
 * BN order, which is the parameter order too, so both cursors advance in step. */
static void add_bn(walk_t *w, const char *prefix, int C)
{
    const char *part[4] = {"weight", "bias", "running_mean", "running_var"};
    const int64_t d[1] = {C};
    for (int i = 0; i < 4; i++) {
        char name[NET_NAME_LEN];
        snprintf(name, sizeof name, "%s.%s", prefix, part[i]);
        add(w, name, i >= 2, 1, d);
    }
}

int net_describe(net_t *net, model_t *m, char *err)
{
    memset(net, 0, sizeof *net);
    net->cfg = *model_config(m);
    walk_t w = {.net = net, .P = model_params(m), .S = model_bn_stats(m)};
    const int k = net->cfg.width;
    add_conv(&w, "conv1.weight", k, net->cfg.in_ch, 3);
    add_bn(&w, "bn", k);
    int cin = k;
    for (int b = 0; b < 8; b++) {
        net_block_t *B = &net->blk[b];
        int stage = b / 2;
        B->cin = cin;
        B->cout = k << stage;
        B->stride = (b % 2 == 0 && stage > 0) ? 2 : 1;
        B->has_sc = B->stride != 1 || cin != B->cout;
        char p[NET_NAME_LEN];
        snprintf(p, sizeof p, "blocks.%d.bn1", b);
        add_bn(&w, p, cin);
        snprintf(p, sizeof p, "blocks.%d.conv1.weight", b);
        add_conv(&w, p, B->cout, cin, 3);
        snprintf(p, sizeof p, "blocks.%d.bn2", b);
        add_bn(&w, p, B->cout);
        snprintf(p, sizeof p, "blocks.%d.conv2.weight", b);
        add_conv(&w, p, B->cout, B->cout, 3);
        if (B->has_sc) {
            snprintf(p, sizeof p, "blocks.%d.shortcut.0.weight", b);
            add_conv(&w, p, B->cout, cin, 1);
        }
        cin = B->cout;
    }
    net->feat = cin;
    const int64_t lw[2] = {net->cfg.classes, cin}, lb[1] = {net->cfg.classes};
    add(&w, "linear.weight", 0, 2, lw);
    add(&w, "linear.bias", 0, 1, lb);
    if (w.pc != model_num_params(m) || w.sc != model_num_bn_stats(m))
        return st_err(err, "export: layout covers %zu of %zu parameters and %zu of %zu BN statistics", w.pc,
                      model_num_params(m), w.sc, model_num_bn_stats(m));
    return 0;
}

const net_tensor_t *net_find(const net_t *net, const char *name)
{
    for (int i = 0; i < net->n; i++)
        if (!strcmp(net->t[i].name, name)) return &net->t[i];
    return NULL;
}
