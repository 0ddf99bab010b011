/* onnx_none.c: export_onnx in a build configured without protobuf-c. */
#include "export/export.h"

#include "common/err.h"

int export_onnx(const char *path, model_t *m, const export_info_t *info, char *err)
{
    (void)m, (void)info;
    return st_err(err, "%s: this speechtrain was built without ONNX support (install libprotobuf-c-dev, "
                       "protobuf-c-compiler and python3-onnx, then reconfigure)", path);
}
