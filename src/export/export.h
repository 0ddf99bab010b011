/* export.h: a trained network as a file other programs run (ONNX) or compile (C source).
 *
 * Both formats describe the eval-mode network of model.h (BatchNorm with its running
 * statistics, epsilon MODEL_BN_EPS): input (batch, in_ch, h, w) float32, output
 * (batch, classes) logits. Tensors are named as the reference PyTorch module's state_dict
 * (scripts/gen_model_fixtures.py): "conv1.weight", "bn.running_mean",
 * "blocks.3.shortcut.0.weight", "linear.bias", ... with PyTorch's layouts (conv weights
 * (cout, cin, kh, kw), linear weight (classes, features)).
 *
 *   export_info_t info = {.class_names = names, .props = props, .n_props = 8,
 *                         .producer_version = "0.1.0"};
 *   if (export_onnx("model.onnx", m, &info, err)) ...
 *
 * Files are written atomically (common/atomicfile.h). Nothing is printed.
 */
#ifndef ST_EXPORT_H
#define ST_EXPORT_H

#include "model/model.h"

typedef struct {
    const char *key, *value;
} export_prop_t;

typedef struct {
    const char *const *class_names;  /* model_config(m)->classes names, in output order */
    const export_prop_t *props;      /* free key/value pairs: ONNX metadata_props, C comments */
    int n_props;
    const char *producer_version;    /* e.g. the program's version; NULL: none */
    const char *doc;                 /* one paragraph for the model's doc_string; NULL: none */
} export_info_t;

/* ONNX model, IR version 7, opset 13 (ai.onnx): graph input "features" with a symbolic
 * batch axis "batch", outputs "logits" and "probabilities" (softmax over classes), BN kept
 * as BatchNormalization nodes, the weights as float32 initializers, "classes" (the names
 * joined by commas) plus info->props in metadata_props. Serialised with protobuf-c from
 * ONNX's own onnx.proto. -1 with err when the build has no ONNX support (configured
 * without protobuf-c), a class name is missing or holds a comma, the model is over
 * protobuf's 2 GiB message limit, or the file cannot be written. */
int export_onnx(const char *path, model_t *m, const export_info_t *info, char *err);

/* One self-contained C11 source file: the weights as static const float arrays
 * <prefix>_<tensor> (dots as underscores; each BN as its folded eval-mode _scale and _shift),
 * <PREFIX>_IN_CH/_H/_W/_CLASSES/_SCRATCH macros, <prefix>_classes[], <prefix>_metadata[][2]
 * (info->props, ending with {0, 0}) and
 *   void <prefix>_forward(const float *x, float *logits, float *scratch);
 * one sample's eval-mode forward pass, x (in_ch, h, w) -> logits (classes), in plain loops
 * (no libm, no allocation). prefix: a C identifier of at most 40 characters. -1 with err on
 * a bad prefix, a missing class name, a non-finite weight or a write failure. */
int export_c(const char *path, model_t *m, const export_info_t *info, const char *prefix, char *err);
/* 0 when prefix suits export_c, else -1 with err naming it (as the flag --prefix). */
int export_c_check_prefix(const char *prefix, char *err);

#endif
