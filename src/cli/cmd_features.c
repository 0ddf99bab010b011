/* cmd_features.c: `speechtrain features IN.wav [--out OUT.npy]`: the network input of one
 * clip, (1, n_mels, frames) float32, as a NumPy .npy file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/netinput.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/speechdata.h"
#include "cli/util.h"
#include "common/npy.h"

static void features_help(void)
{
    printf("usage: speechtrain features IN.wav [--out OUT.npy] [feature options]\n\n"
           "Writes the network input of one clip (1 x n_mels x frames float32, values (dB+40)/80)\n"
           "as a NumPy .npy file [default: IN with .npy in place of its extension].\n\n");
    speech_opts_help(stdout, 1, 0);
}

int cmd_features(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *in = NULL, *out = NULL;
    const opt_flag_t flags[] = {{"--out", OPT_STR, &out, 0, 0}};
    speech_opts_t so;
    speech_opts_default(&so);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return features_help(), 0;
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r == 0) r = speech_opts_parse(&so, argc, argv, &i, 1, 0, err);
        if (r < 0) return cli_fail(2, err);
        if (r > 0) continue;
        if (argv[i][0] == '-' || in) {
            snprintf(err, sizeof err, "features: unexpected argument '%s' (see speechtrain features --help)", argv[i]);
            return cli_fail(2, err);
        }
        in = argv[i];
    }
    if (!in) return cli_fail(2, "features: an input audio file is required");
    char outbuf[4096];
    if (!out) {
        snprintf(outbuf, sizeof outbuf - 5, "%s", in);
        char *dot = strrchr(outbuf, '.'), *sl = strrchr(outbuf, '/');
        if (dot && (!sl || dot > sl)) *dot = 0;
        strcat(outbuf, ".npy");
        out = outbuf;
    }
    mel_t *mel = mel_init(&so.feat, err);
    if (!mel) return cli_fail(2, err);
    int S = so.feat.clip_samples, H = so.feat.n_mels, W = mel_frames(mel);
    float *clip = malloc((size_t)S * sizeof *clip), *x = malloc((size_t)H * W * sizeof *x);
    mel_work_t *w = mel_work_init(mel, err);
    int rc = 1;
    if (!clip || !x || !w) {
        st_err(err, "out of memory");
    } else if (audio_features(mel, w, in, clip, x, err) == 0) {
        int64_t shape[3] = {1, H, W};
        if (npy_write_f32(out, x, 3, shape, err) == 0) rc = 0;
    }
    if (rc) cli_fail(1, err);
    else printf("wrote %s (1 x %d x %d float32)\n", out, H, W);
    free(clip), free(x);
    mel_work_free(w);
    mel_free(mel);
    return rc;
}
