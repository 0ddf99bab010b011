/* featmeta.c: feature settings as "feat.key=value" lines, the form a checkpoint's meta text
 * stores them in, so that anything holding a checkpoint can rebuild its front end. */
#include <stdio.h>
#include <stdlib.h>

#include "audio/mel.h"
#include "common/err.h"
#include "common/text.h"

void feat_config_meta(const feat_config_t *fc, char *buf, size_t len)
{
    char t[2][TEXT_DOUBLE_LEN];
    snprintf(buf, len,
             "feat.sample_rate=%d\nfeat.clip_samples=%d\nfeat.n_fft=%d\nfeat.hop=%d\nfeat.n_mels=%d\n"
             "feat.fmin=%s\nfeat.fmax=%s\n",
             fc->sample_rate, fc->clip_samples, fc->n_fft, fc->hop, fc->n_mels, text_double(t[0], fc->fmin),
             text_double(t[1], fc->fmax));
}

int feat_config_from_meta(const char *meta, feat_config_t *fc, const char *ckpt, char *err)
{
    const char *keys[] = {"feat.sample_rate", "feat.clip_samples", "feat.n_fft", "feat.hop", "feat.n_mels",
                          "feat.fmin", "feat.fmax"};
    double v[7];
    for (int k = 0; k < 7; k++) {
        char b[64];
        if (text_kv_get(meta, keys[k], b, sizeof b))
            return st_err(err, "%s: checkpoint has no %s setting (not a speechtrain checkpoint)", ckpt, keys[k]);
        v[k] = strtod(b, NULL);
    }
    fc->sample_rate = (int)v[0], fc->clip_samples = (int)v[1], fc->n_fft = (int)v[2], fc->hop = (int)v[3];
    fc->n_mels = (int)v[4], fc->fmin = v[5], fc->fmax = v[6];
    char e2[ST_ERR_LEN];
    if (feat_config_check(fc, e2)) return st_err(err, "%s: bad feature settings: %s", ckpt, e2);
    return 0;
}
