/* config.c: the default training configuration and its final check. */
#include <stdio.h>
#include <string.h>

#include "train/train.h"

void train_config_default(train_config_t *c)
{
    memset(c, 0, sizeof *c);
    /* The paper's speech recipe (docs/cli.md lists it). */
    c->epochs = 300;
    c->batch = 256;
    c->eval_batch = 256;
    c->width = 64;
    c->lr = 0.05;
    c->wd = 5e-4;
    c->momentum = 0.9;
    c->seed = 1;
    mix_config_default(&c->mix);
    c->augment = 1;
    c->prog = "train";
    snprintf(c->candidates, sizeof c->candidates, "mixup,cutmix,resizemix,fmix");
    snprintf(c->weights, sizeof c->weights, "1,1,1,1");
}

int train_config_finish(train_config_t *c, char *err)
{
    /* Candidates without --weights get weight 1 each; weights that were given must match the
     * candidates one for one, whatever their values. */
    int nc = 1, nw = 1;
    for (const char *p = c->candidates; *p; p++) nc += *p == ',';
    for (const char *p = c->weights; *p; p++) nw += *p == ',';
    const char *w = c->weights;
    char ones[128];
    if (nc != nw && c->weights_given)
        return st_err(err, "--weights: %d weights for %d candidates (%s); give one weight per candidate",
                      nw, nc, c->candidates);
    if (nc != nw) {
        ones[0] = 0;
        for (int k = 0; k < nc && k < 32; k++) strcat(ones, k ? ",1" : "1");
        w = ones;
    }
    char e2[ST_ERR_LEN];
    if (mix_config_parse(&c->mix, c->candidates, w, e2)) return st_err(err, "--candidates/--weights: %s", e2);
    if (mix_config_check(&c->mix, e2)) return st_err(err, "mixing options: %s", e2);
    if (c->eval_batch < 1 || c->batch < 1) return st_err(err, "--batch: must be at least 1");
    return 0;
}
