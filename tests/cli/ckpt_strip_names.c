/* ckpt_strip_names.c: test helper for e2e.sh: rewrites a checkpoint without its class-name
 * list, the way checkpoints were written before the classes were stored (weights, config,
 * meta text, epoch and step kept), through the public checkpoint API only.
 *   ckpt_strip_names IN.ckpt OUT.ckpt */
#include <stdio.h>

#include "common/err.h"
#include "model/checkpoint.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ckpt_strip_names IN.ckpt OUT.ckpt\n");
        return 2;
    }
    char err[ST_ERR_LEN];
    model_t *m = NULL;
    ckpt_info_t info;
    if (ckpt_load(argv[1], &m, 1, &info, err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ckpt_meta_t meta = {.meta_text = info.meta_text, .epoch = info.epoch, .step = info.step};
    int rc = ckpt_save(argv[2], m, &meta, err);
    if (rc) fprintf(stderr, "%s\n", err);
    ckpt_info_free(&info);
    model_free(m);
    return rc ? 1 : 0;
}
