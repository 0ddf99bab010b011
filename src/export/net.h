/* net.h (internal to src/export): the network of model.h as named tensors and a block list.
 *
 * Tensors come in the reference module's state_dict order and names (export.h), their data
 * pointing into the model's parameter and BN-statistics arrays (no copies). */
#ifndef ST_EXPORT_NET_H
#define ST_EXPORT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* stem conv + BN (4), per block BN1 (4) + conv1 + BN2 (4) + conv2 + shortcut, linear (2) */
#define NET_MAX_TENSORS (5 + 8 * 11 + 2)
#define NET_NAME_LEN 40

typedef struct {
    char name[NET_NAME_LEN];   /* "blocks.2.conv1.weight" */
    int ndim;
    int64_t dims[4];
    float *data;               /* count floats, row-major in dims */
    size_t count;
} net_tensor_t;

typedef struct {
    int cin, cout, stride, has_sc;  /* has_sc: 1x1 convolution shortcut, else identity */
} net_block_t;

typedef struct {
    model_config_t cfg;
    net_block_t blk[8];
    int feat;                  /* 8k: features into the linear layer */
    int n;
    net_tensor_t t[NET_MAX_TENSORS];
} net_t;

/* Fills net from m; -1 with err if the layout does not account for every parameter. */
int net_describe(net_t *net, model_t *m, char *err);
/* The tensor with this name, or NULL. */
const net_tensor_t *net_find(const net_t *net, const char *name);

#endif
