/* csrc.c: the network as one self-contained C11 source file for microcontrollers and other
 * places without an ONNX runtime.
 *
 * The file holds the weights as static const float arrays (hexadecimal literals, so each
 * float is exact), every batch norm folded into a per-channel scale and shift as the engine
 * computes them in eval mode (bnrelu_forward: rstd = 1/sqrt(var + eps) in double, scale =
 * rstd * gamma, shift = beta - mean * scale), a few plain loops (direct convolution,
 * scale-shift-ReLU, add, average pool, linear) and a forward function written out layer by
 * layer with the shapes as constants. No libm, no allocation, no globals written. */
#include "export/export.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/err.h"
#include "export/net.h"

/* The loops every generated file carries (st_ prefixed and static, so two models can be
 * linked into one program under different prefixes). */
static const char runtime[] =
    "/* x (cin, h, w) -> out (cout, ho, wo): zero padding k/2, stride s, weights (cout, cin, k, k). */\n"
    "static void st_conv(float *out, const float *in, const float *w, int cin, int h, int wd, int cout, int k,\n"
    "                    int s, int ho, int wo)\n"
    "{\n"
    "    const int p = k / 2;\n"
    "    for (int co = 0; co < cout; co++)\n"
    "        for (int oy = 0; oy < ho; oy++)\n"
    "            for (int ox = 0; ox < wo; ox++) {\n"
    "                float acc = 0.0f;\n"
    "                for (int ci = 0; ci < cin; ci++)\n"
    "                    for (int ky = 0; ky < k; ky++) {\n"
    "                        const int iy = oy * s + ky - p;\n"
    "                        if (iy < 0 || iy >= h) continue;\n"
    "                        for (int kx = 0; kx < k; kx++) {\n"
    "                            const int ix = ox * s + kx - p;\n"
    "                            if (ix < 0 || ix >= wd) continue;\n"
    "                            acc += w[((co * cin + ci) * k + ky) * k + kx] * in[(ci * h + iy) * wd + ix];\n"
    "                        }\n"
    "                    }\n"
    "                out[(co * ho + oy) * wo + ox] = acc;\n"
    "            }\n"
    "}\n\n"
    "/* Eval-mode batch norm folded into scale and shift, then ReLU; in place allowed. */\n"
    "static void st_bnrelu(float *out, const float *in, const float *scale, const float *shift, int c, int hw)\n"
    "{\n"
    "    for (int ch = 0; ch < c; ch++)\n"
    "        for (int i = 0; i < hw; i++) {\n"
    "            const float v = in[ch * hw + i] * scale[ch] + shift[ch];\n"
    "            out[ch * hw + i] = v < 0.0f ? 0.0f : v;\n"
    "        }\n"
    "}\n\n"
    "static void st_add(float *out, const float *a, int n)\n"
    "{\n"
    "    for (int i = 0; i < n; i++) out[i] += a[i];\n"
    "}\n\n"
    "/* Global average pool (c, hw) -> (c), then logits = w (classes, c) . pooled + bias. */\n"
    "static void st_head(float *logits, float *pooled, const float *in, const float *w, const float *bias, int c,\n"
    "                    int hw, int classes)\n"
    "{\n"
    "    for (int ch = 0; ch < c; ch++) {\n"
    "        float s = 0.0f;\n"
    "        for (int i = 0; i < hw; i++) s += in[ch * hw + i];\n"
    "        pooled[ch] = s / (float)hw;\n"
    "    }\n"
    "    for (int k = 0; k < classes; k++) {\n"
    "        float s = 0.0f;\n"
    "        for (int ch = 0; ch < c; ch++) s += pooled[ch] * w[k * c + ch];\n"
    "        logits[k] = s + bias[k];\n"
    "    }\n"
    "}\n\n";

typedef struct {
    FILE *f;
    const char *prefix;
    char upper[64];
    net_t *net;
    int bad;   /* a non-finite weight */
} writer_t;

/* "blocks.0.conv1.weight" -> "blocks_0_conv1_weight" */
static void c_name(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s", name);
    for (char *p = out; *p; p++)
        if (*p == '.') *p = '_';
}

static void put_array(writer_t *w, const char *name, const float *v, size_t n)
{
    fprintf(w->f, "static const float %s_%s[%zu] = {", w->prefix, name, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) w->bad = 1;
        fprintf(w->f, "%s%s%af", i ? "," : "", i % 8 ? "" : "\n    ", (double)v[i]);
    }
    fprintf(w->f, "\n};\n");
}

static void put_tensor(writer_t *w, const char *name)
{
    const net_tensor_t *t = net_find(w->net, name);
    char cn[NET_NAME_LEN];
    c_name(cn, sizeof cn, name);
    fprintf(w->f, "/* %s (", name);
    for (int d = 0; d < t->ndim; d++) fprintf(w->f, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
    fprintf(w->f, ") */\n");
    put_array(w, cn, t->data, t->count);
}

/* A BN layer as <prefix>_<bn>_scale and _shift, computed as bnrelu_forward does in eval mode. */
static int put_bn(writer_t *w, const char *bn)
{
    char n[4][NET_NAME_LEN];
    const char *part[4] = {"weight", "bias", "running_mean", "running_var"};
    const net_tensor_t *t[4];
    for (int i = 0; i < 4; i++) {
        snprintf(n[i], NET_NAME_LEN, "%s.%s", bn, part[i]);
        t[i] = net_find(w->net, n[i]);
    }
    const int C = (int)t[0]->count;
    float *ss = malloc(2 * (size_t)C * sizeof *ss);
    if (!ss) return -1;
    for (int c = 0; c < C; c++) {
        float rstd = (float)(1.0 / sqrt((double)t[3]->data[c] + (double)MODEL_BN_EPS));
        ss[c] = rstd * t[0]->data[c];
        ss[C + c] = t[1]->data[c] - t[2]->data[c] * ss[c];
    }
    char cn[NET_NAME_LEN + 8];
    c_name(cn, sizeof cn - 8, bn);
    size_t l = strlen(cn);
    fprintf(w->f, "/* %s folded: scale = weight / sqrt(running_var + %g), shift = bias - running_mean * scale */\n",
            bn, (double)MODEL_BN_EPS);
    snprintf(cn + l, sizeof cn - l, "_scale");
    put_array(w, cn, ss, (size_t)C);
    snprintf(cn + l, sizeof cn - l, "_shift");
    put_array(w, cn, ss + C, (size_t)C);
    free(ss);
    return 0;
}

/* A C string literal of s ("..." with \, " and non-printable bytes escaped). */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 32 || *p > 126) fprintf(f, "\\%03o", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static int put_weights(writer_t *w)
{
    put_tensor(w, "conv1.weight");
    if (put_bn(w, "bn")) return -1;
    for (int b = 0; b < 8; b++) {
        char n[NET_NAME_LEN];
        const char *parts[3] = {"conv1.weight", "conv2.weight", "shortcut.0.weight"};
        snprintf(n, sizeof n, "blocks.%d.bn1", b);
        if (put_bn(w, n)) return -1;
        snprintf(n, sizeof n, "blocks.%d.bn2", b);
        if (put_bn(w, n)) return -1;
        for (int i = 0; i < 2 + w->net->blk[b].has_sc; i++) {
            snprintf(n, sizeof n, "blocks.%d.%s", b, parts[i]);
            put_tensor(w, n);
        }
    }
    put_tensor(w, "linear.weight");
    put_tensor(w, "linear.bias");
    return 0;
}

/* The forward function: four activation buffers in scratch, x0 the block input, x1 the
 * block output (then swapped), x2 conv1's output (act floats each), x3 the shortcut
 * convolution's (after them). */
static void put_forward(writer_t *w, size_t act)
{
    FILE *f = w->f;
    const char *P = w->prefix;
    const model_config_t *c = &w->net->cfg;
    fprintf(f, "void %s_forward(const float *x, float *logits, float *scratch)\n{\n", P);
    fprintf(f, "    float *x0 = scratch, *x1 = x0 + %zu, *x2 = x1 + %zu, *x3 = x2 + %zu, *t;\n", act, act, act);
    fprintf(f, "    st_conv(x1, x, %s_conv1_weight, %d, %d, %d, %d, 3, 1, %d, %d);\n", P, c->in_ch, c->h, c->w,
            c->width, c->h, c->w);
    fprintf(f, "    st_bnrelu(x0, x1, %s_bn_scale, %s_bn_shift, %d, %d);\n", P, P, c->width, c->h * c->w);
    int h = c->h, wd = c->w;
    for (int b = 0; b < 8; b++) {
        const net_block_t *B = &w->net->blk[b];
        int ho = (h + 2 - 3) / B->stride + 1, wo = (wd + 2 - 3) / B->stride + 1;
        fprintf(f, "    /* block %d: (%d, %d, %d) -> (%d, %d, %d) */\n", b, B->cin, h, wd, B->cout, ho, wo);
        fprintf(f, "    st_bnrelu(x1, x0, %s_blocks_%d_bn1_scale, %s_blocks_%d_bn1_shift, %d, %d);\n", P, b, P, b,
                B->cin, h * wd);
        if (B->has_sc)
            fprintf(f, "    st_conv(x3, x1, %s_blocks_%d_shortcut_0_weight, %d, %d, %d, %d, 1, %d, %d, %d);\n", P, b,
                    B->cin, h, wd, B->cout, B->stride, ho, wo);
        fprintf(f, "    st_conv(x2, x1, %s_blocks_%d_conv1_weight, %d, %d, %d, %d, 3, %d, %d, %d);\n", P, b, B->cin,
                h, wd, B->cout, B->stride, ho, wo);
        fprintf(f, "    st_bnrelu(x2, x2, %s_blocks_%d_bn2_scale, %s_blocks_%d_bn2_shift, %d, %d);\n", P, b, P, b,
                B->cout, ho * wo);
        fprintf(f, "    st_conv(x1, x2, %s_blocks_%d_conv2_weight, %d, %d, %d, %d, 3, 1, %d, %d);\n", P, b, B->cout,
                ho, wo, B->cout, ho, wo);
        fprintf(f, "    st_add(x1, %s, %d);\n", B->has_sc ? "x3" : "x0", B->cout * ho * wo);
        fprintf(f, "    t = x0, x0 = x1, x1 = t;\n");
        h = ho, wd = wo;
    }
    fprintf(f, "    st_head(logits, x1, x0, %s_linear_weight, %s_linear_bias, %d, %d, %d);\n}\n", P, P,
            w->net->feat, h * wd, c->classes);
}

int export_c_check_prefix(const char *prefix, char *err)
{
    const char *p = prefix ? prefix : "";
    int ok = (isalpha((unsigned char)p[0]) || p[0] == '_') && strlen(p) <= 40;
    for (; ok && *p; p++) ok = isalnum((unsigned char)*p) || *p == '_';
    return ok ? 0 : st_err(err, "--prefix '%s': not a C identifier of at most 40 characters", prefix ? prefix : "");
}

int export_c(const char *path, model_t *m, const export_info_t *info, const char *prefix, char *err)
{
    if (export_c_check_prefix(prefix, err)) return -1;
    net_t *net = malloc(sizeof *net);
    if (!net) return st_err(err, "export: out of memory");
    int rc = -1;
    afile_t af = {0};
    if (net_describe(net, m, err)) goto done;
    const model_config_t *c = &net->cfg;
    for (int k = 0; k < c->classes; k++)
        if (!info->class_names || !info->class_names[k]) {
            st_err(err, "export: class %d has no name", k);
            goto done;
        }
    /* Largest activation (the stem's (k, h, w) or a block's output) for x0..x2, and the
     * largest shortcut output for x3. */
    size_t act = (size_t)c->width * c->h * c->w, sc = 0;
    int h = c->h, wd = c->w;
    for (int b = 0; b < 8; b++) {
        h = (h - 1) / net->blk[b].stride + 1, wd = (wd - 1) / net->blk[b].stride + 1;
        size_t s = (size_t)net->blk[b].cout * h * wd;
        if (s > act) act = s;
        if (net->blk[b].has_sc && s > sc) sc = s;
    }
    const size_t scratch = 3 * act + sc;
    if (afile_open(&af, path, err)) goto done;
    writer_t w = {.f = af.f, .prefix = prefix, .net = net};
    for (size_t i = 0; prefix[i] && i + 1 < sizeof w.upper; i++) w.upper[i] = (char)toupper((unsigned char)prefix[i]);
    const char *U = w.upper;
    FILE *f = af.f;
    fprintf(f, "/* Generated by speechtrain export --format c%s%s: PreAct-ResNet18 keyword classifier,\n"
               " * eval mode, %zu parameters. Plain C11, no dependencies. Declare in your program:\n"
               " *\n"
               " *   void %s_forward(const float *x, float *logits, float *scratch);\n"
               " *   extern const char *const %s_classes[%d];\n"
               " *   extern const char *const %s_metadata[][2];   (key, value; ends with {0, 0})\n"
               " *\n"
               " * x: (%d, %d, %d) = (%s_IN_CH, %s_H, %s_W) network input, logits: (%s_CLASSES),\n"
               " * scratch: %s_SCRATCH floats (%zu bytes). Softmax of the logits gives the probabilities.\n"
               " */\n",
            info->producer_version ? " " : "", info->producer_version ? info->producer_version : "", model_num_params(m),
            prefix, prefix, c->classes, prefix, c->in_ch, c->h, c->w, U, U, U, U, U, scratch * sizeof(float));
    fprintf(f, "#define %s_IN_CH %d\n#define %s_H %d\n#define %s_W %d\n#define %s_CLASSES %d\n#define %s_SCRATCH %zu\n\n",
            U, c->in_ch, U, c->h, U, c->w, U, c->classes, U, scratch);
    fprintf(f, "void %s_forward(const float *x, float *logits, float *scratch);\n", prefix);
    fprintf(f, "extern const char *const %s_classes[%d];\nextern const char *const %s_metadata[][2];\n\n", prefix,
            c->classes, prefix);
    fprintf(f, "const char *const %s_classes[%d] = {", prefix, c->classes);
    for (int k = 0; k < c->classes; k++) {
        fputs(k ? ", " : "", f);
        put_string(f, info->class_names[k]);
    }
    fprintf(f, "};\n\nconst char *const %s_metadata[][2] = {\n", prefix);
    for (int i = 0; i < info->n_props; i++) {
        fputs("    {", f);
        put_string(f, info->props[i].key);
        fputs(", ", f);
        put_string(f, info->props[i].value);
        fputs("},\n", f);
    }
    fprintf(f, "    {0, 0}};\n\n%s", runtime);
    if (put_weights(&w)) {
        st_err(err, "export: out of memory");
        goto done;
    }
    if (w.bad) {
        st_err(err, "export: the model has non-finite weights (a diverged run?)");
        goto done;
    }
    fputc('\n', f);
    put_forward(&w, act);
    if (afile_commit(&af, err)) goto done;
    rc = 0;
done:
    afile_abort(&af);
    free(net);
    return rc;
}
