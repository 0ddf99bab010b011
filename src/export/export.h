/* export.h: a trained network as a file other programs run (ONNX) or compile (C).
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

#endif
