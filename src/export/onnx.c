/* onnx.c: the network as an ONNX model, built as protobuf-c messages generated from ONNX's
 * onnx.proto and packed straight into the output file.
 *
 * Every message lives in one builder allocation (fixed-size arrays carved by counters) and
 * the initializers point at the model's own arrays, so nothing is copied and one free
 * releases everything. */
#include "export/export.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/err.h"
#include "export/net.h"
#include "onnx.pb-c.h"

#define ONNX_IR_VERSION 7   /* the IR version of opset 13 (ONNX 1.8) */
#define ONNX_OPSET 13
/* Per block at most 9 nodes; stem 3, head 4. */
#define MAX_NODES (3 + 8 * 9 + 4)
#define MAX_ATTRS (MAX_NODES * 4)
#define MAX_IO (MAX_NODES * 6)
#define MAX_INTS (MAX_ATTRS * 4)
#define MAX_PROPS 64

typedef struct {
    net_t net;
    Onnx__NodeProto node[MAX_NODES];
    Onnx__NodeProto *nodep[MAX_NODES];
    Onnx__AttributeProto attr[MAX_ATTRS];
    Onnx__AttributeProto *attrp[MAX_ATTRS];
    char *io[MAX_IO];                      /* node input/output names, carved per node */
    char vname[MAX_NODES][NET_NAME_LEN];   /* value (node output) names */
    int64_t ints[MAX_INTS];
    Onnx__TensorProto init[NET_MAX_TENSORS];
    Onnx__TensorProto *initp[NET_MAX_TENSORS];
    Onnx__StringStringEntryProto prop[MAX_PROPS + 1];
    Onnx__StringStringEntryProto *propp[MAX_PROPS + 1];
    /* graph input and outputs: (batch, C, H, W) and 2 x (batch, classes) */
    Onnx__ValueInfoProto vi[3];
    Onnx__ValueInfoProto *vip[3];
    Onnx__TypeProto type[3];
    Onnx__TypeProto__Tensor ttype[3];
    Onnx__TensorShapeProto shape[3];
    Onnx__TensorShapeProto__Dimension dim[3][4];
    Onnx__TensorShapeProto__Dimension *dimp[3][4];
    int nn, na, nio, ni;
} builder_t;

/* A node with one output named after it; attributes follow with attr_*. */
static Onnx__NodeProto *node(builder_t *b, const char *op, const char *out, const char *const *in, int nin)
{
    Onnx__NodeProto *n = &b->node[b->nn];
    onnx__node_proto__init(n);
    char *o = b->vname[b->nn];
    snprintf(o, NET_NAME_LEN, "%s", out);
    b->nodep[b->nn++] = n;
    n->op_type = (char *)op;
    n->name = o;
    n->input = b->io + b->nio;
    n->n_input = (size_t)nin;
    for (int i = 0; i < nin; i++) b->io[b->nio++] = (char *)in[i];
    n->output = b->io + b->nio;
    n->n_output = 1;
    b->io[b->nio++] = o;
    n->attribute = b->attrp + b->na;
    return n;
}

static Onnx__AttributeProto *attr(builder_t *b, Onnx__NodeProto *n, const char *name)
{
    Onnx__AttributeProto *a = &b->attr[b->na];
    onnx__attribute_proto__init(a);
    b->attrp[b->na++] = a;
    n->n_attribute++;
    a->name = (char *)name;
    a->has_type = 1;
    return a;
}

static void attr_int(builder_t *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, n, name);
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v;
}

static void attr_float(builder_t *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, n, name);
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a->has_f = 1;
    a->f = v;
}

static void attr_ints(builder_t *b, Onnx__NodeProto *n, const char *name, int64_t v, int count)
{
    Onnx__AttributeProto *a = attr(b, n, name);
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->ints = b->ints + b->ni;
    a->n_ints = (size_t)count;
    for (int i = 0; i < count; i++) b->ints[b->ni++] = v;
}

static const char *conv(builder_t *b, const char *out, const char *in, const char *weight, int k, int stride)
{
    const char *inputs[2] = {in, weight};
    Onnx__NodeProto *n = node(b, "Conv", out, inputs, 2);
    attr_ints(b, n, "kernel_shape", k, 2);
    attr_ints(b, n, "strides", stride, 2);
    attr_ints(b, n, "pads", k / 2, 4);
    return n->output[0];
}

/* BatchNormalization (running statistics) then Relu; returns the Relu's output. */
static const char *bn_relu(builder_t *b, const char *bn_out, const char *relu_out, const char *in, const char *prefix)
{
    char t[4][NET_NAME_LEN];
    const char *inputs[5] = {in, t[0], t[1], t[2], t[3]};
    const char *part[4] = {"weight", "bias", "running_mean", "running_var"};
    for (int i = 0; i < 4; i++) {
        snprintf(t[i], NET_NAME_LEN, "%s.%s", prefix, part[i]);
        inputs[1 + i] = net_find(&b->net, t[i])->name;  /* stable storage for the node */
    }
    Onnx__NodeProto *n = node(b, "BatchNormalization", bn_out, inputs, 5);
    attr_float(b, n, "epsilon", MODEL_BN_EPS);
    const char *r[1] = {n->output[0]};
    return node(b, "Relu", relu_out, r, 1)->output[0];
}

static void build_graph(builder_t *b)
{
    char o1[NET_NAME_LEN], o2[NET_NAME_LEN], p[NET_NAME_LEN], w[NET_NAME_LEN];
    const char *x = conv(b, "stem.conv", "features", "conv1.weight", 3, 1);
    x = bn_relu(b, "stem.bn", "stem.relu", x, "bn");
    for (int i = 0; i < 8; i++) {
        const net_block_t *B = &b->net.blk[i];
        snprintf(p, sizeof p, "blocks.%d.bn1", i);
        snprintf(o1, sizeof o1, "blocks.%d.relu1", i);
        const char *a = bn_relu(b, p, o1, x, p);
        const char *sc = x;
        if (B->has_sc) {
            snprintf(o1, sizeof o1, "blocks.%d.shortcut", i);
            snprintf(w, sizeof w, "blocks.%d.shortcut.0.weight", i);
            sc = conv(b, o1, a, net_find(&b->net, w)->name, 1, B->stride);
        }
        snprintf(o1, sizeof o1, "blocks.%d.conv1", i);
        snprintf(w, sizeof w, "blocks.%d.conv1.weight", i);
        const char *h = conv(b, o1, a, net_find(&b->net, w)->name, 3, B->stride);
        snprintf(p, sizeof p, "blocks.%d.bn2", i);
        snprintf(o2, sizeof o2, "blocks.%d.relu2", i);
        h = bn_relu(b, p, o2, h, p);
        snprintf(o1, sizeof o1, "blocks.%d.conv2", i);
        snprintf(w, sizeof w, "blocks.%d.conv2.weight", i);
        h = conv(b, o1, h, net_find(&b->net, w)->name, 3, 1);
        snprintf(o1, sizeof o1, "blocks.%d.out", i);
        const char *sum[2] = {h, sc};
        x = node(b, "Add", o1, sum, 2)->output[0];
    }
    const char *in[3] = {x};
    in[0] = node(b, "GlobalAveragePool", "pool", in, 1)->output[0];
    Onnx__NodeProto *n = node(b, "Flatten", "flatten", in, 1);
    attr_int(b, n, "axis", 1);
    const char *g[3] = {n->output[0], "linear.weight", "linear.bias"};
    n = node(b, "Gemm", "logits", g, 3);
    attr_int(b, n, "transB", 1);
    in[0] = n->output[0];
    n = node(b, "Softmax", "probabilities", in, 1);
    attr_int(b, n, "axis", 1);
}

/* Graph input/output i: float32 of the given dims; a dim of -1 is the symbolic "batch". */
static Onnx__ValueInfoProto *value_info(builder_t *b, int i, const char *name, const int64_t *dims, int ndim)
{
    Onnx__ValueInfoProto *v = &b->vi[i];
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(&b->type[i]);
    onnx__type_proto__tensor__init(&b->ttype[i]);
    onnx__tensor_shape_proto__init(&b->shape[i]);
    for (int d = 0; d < ndim; d++) {
        Onnx__TensorShapeProto__Dimension *D = &b->dim[i][d];
        onnx__tensor_shape_proto__dimension__init(D);
        if (dims[d] < 0) {
            D->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            D->dim_param = (char *)"batch";
        } else {
            D->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            D->dim_value = dims[d];
        }
        b->dimp[i][d] = D;
    }
    b->shape[i].dim = b->dimp[i];
    b->shape[i].n_dim = (size_t)ndim;
    b->ttype[i].has_elem_type = 1;
    b->ttype[i].elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    b->ttype[i].shape = &b->shape[i];
    b->type[i].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    b->type[i].tensor_type = &b->ttype[i];
    v->name = (char *)name;
    v->type = &b->type[i];
    b->vip[i] = v;
    return v;
}

typedef struct {
    ProtobufCBuffer base;
    FILE *f;
    int bad;
} file_buffer_t;

static void file_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    file_buffer_t *fb = (file_buffer_t *)buf;
    if (!fb->bad && fwrite(data, 1, len, fb->f) != len) fb->bad = 1;
}

/* The class names joined by commas (they never hold one: --keywords splits on commas). */
static char *join_classes(const char *const *names, int n, char *err)
{
    size_t len = 1;
    for (int k = 0; k < n; k++) {
        if (!names || !names[k] || !names[k][0] || strchr(names[k], ',')) {
            st_err(err, "export: class %d has no usable name (empty, missing or with a comma)", k);
            return NULL;
        }
        len += strlen(names[k]) + 1;
    }
    char *s = malloc(len);
    if (!s) {
        st_err(err, "export: out of memory");
        return NULL;
    }
    s[0] = 0;
    for (int k = 0; k < n; k++) {
        if (k) strcat(s, ",");
        strcat(s, names[k]);
    }
    return s;
}

int export_onnx(const char *path, model_t *m, const export_info_t *info, char *err)
{
    if (info->n_props < 0 || info->n_props > MAX_PROPS)
        return st_err(err, "export: %d metadata entries (at most %d)", info->n_props, MAX_PROPS);
    builder_t *b = calloc(1, sizeof *b);
    if (!b) return st_err(err, "export: out of memory");
    int rc = -1;
    char *classes = NULL;
    afile_t af = {0};
    if (net_describe(&b->net, m, err)) goto done;
    const model_config_t *c = &b->net.cfg;
    if (!(classes = join_classes(info->class_names, c->classes, err))) goto done;
    build_graph(b);

    for (int i = 0; i < b->net.n; i++) {
        net_tensor_t *t = &b->net.t[i];
        Onnx__TensorProto *T = &b->init[i];
        onnx__tensor_proto__init(T);
        T->name = t->name;
        T->n_dims = (size_t)t->ndim;
        T->dims = t->dims;
        T->has_data_type = 1;
        T->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        T->n_float_data = t->count;
        T->float_data = t->data;
        b->initp[i] = T;
    }
    const int64_t in_dims[4] = {-1, c->in_ch, c->h, c->w}, out_dims[2] = {-1, c->classes};
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = (char *)"speechtrain_preact_resnet18";
    graph.node = b->nodep;
    graph.n_node = (size_t)b->nn;
    graph.initializer = b->initp;
    graph.n_initializer = (size_t)b->net.n;
    graph.input = b->vip;
    graph.n_input = 1;
    graph.output = b->vip + 1;
    graph.n_output = 2;
    value_info(b, 0, "features", in_dims, 4);
    value_info(b, 1, "logits", out_dims, 2);
    value_info(b, 2, "probabilities", out_dims, 2);

    int np = 0;
    onnx__string_string_entry_proto__init(&b->prop[np]);
    b->prop[np].key = (char *)"classes";
    b->prop[np].value = classes;
    b->propp[np] = &b->prop[np];
    np++;
    for (int i = 0; i < info->n_props; i++, np++) {
        onnx__string_string_entry_proto__init(&b->prop[np]);
        b->prop[np].key = (char *)info->props[i].key;
        b->prop[np].value = (char *)info->props[i].value;
        b->propp[np] = &b->prop[np];
    }

    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsetp = &opset;
    opset.domain = (char *)"";
    opset.has_version = 1;
    opset.version = ONNX_OPSET;
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = ONNX_IR_VERSION;
    model.opset_import = &opsetp;
    model.n_opset_import = 1;
    model.producer_name = (char *)"speechtrain";
    model.producer_version = (char *)info->producer_version;
    model.doc_string = (char *)info->doc;
    model.graph = &graph;
    model.metadata_props = b->propp;
    model.n_metadata_props = (size_t)np;

    /* protobuf's parsers refuse messages of 2 GiB or more (ONNX's external data would be
     * the way past it; a k = 64 model is about 45 MB). */
    size_t size = protobuf_c_message_get_packed_size(&model.base);
    if (size >= ((size_t)1 << 31)) {
        st_err(err, "%s: the model is %.1f GiB, over protobuf's 2 GiB limit", path, size / 1073741824.0);
        goto done;
    }
    if (afile_open(&af, path, err)) goto done;
    file_buffer_t fb = {.base = {.append = file_append}, .f = af.f};
    if (protobuf_c_message_pack_to_buffer(&model.base, &fb.base) != size || fb.bad) {
        st_err(err, "%s: write failed", path);
        goto done;
    }
    if (afile_commit(&af, err)) goto done;
    rc = 0;
done:
    afile_abort(&af);
    free(classes);
    free(b);
    return rc;
}
