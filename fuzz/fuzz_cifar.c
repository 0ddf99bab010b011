/* libFuzzer target: one CIFAR batch file (cifar_read_file); the first byte picks CIFAR-10 or
 * CIFAR-100 records, the rest is the file. */
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "fuzz_util.h"
#include "image/cifar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int c100 = data[0] & 1;
    const char *path = fuzz_file(".bin", data + 1, size - 1);
    char err[ST_ERR_LEN];
    uint8_t *pix = NULL, *labels = NULL;
    int n = 0;
    if (cifar_read_file(path, c100 ? 2 : 1, c100 ? 100 : 10, &pix, &labels, &n, err) == 0) {
        for (int i = 0; i < n; i++)
            if (labels[i] >= (c100 ? 100 : 10)) abort(); /* validated on read */
        free(pix);
        free(labels);
    }
    unlink(path);
    return 0;
}
