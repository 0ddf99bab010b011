/* libFuzzer target: the checkpoint loader (ckpt_load) on any bytes. Built with
 * -DST_FUZZ_NO_CHECKSUM (fuzz/run.sh and the replay tests) the checksum is not checked, so
 * the fuzzer reaches the parser behind it. */
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "fuzz_util.h"
#include "model/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(".ckpt", data, size);
    char err[ST_ERR_LEN];
    model_t *m = NULL;
    ckpt_info_t info;
    if (ckpt_load(path, &m, 2, &info, err) == 0) {
        model_free(m);
        ckpt_info_free(&info);
    }
    unlink(path);
    return 0;
}
