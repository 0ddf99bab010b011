/* cmd_export.c: `speechtrain export --model CKPT --out model.onnx`: the trained network as
 * an ONNX model, with the class names and the front end's settings in its metadata so that
 * a deployment can rebuild the features the network expects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/speechdata.h"
#include "cli/util.h"
#include "common/text.h"
#include "export/export.h"

/* How the network input is made from a clip (docs/reference.md §2), for metadata_props. */
#define EXPORT_FRONTEND                                                                                        \
    "mono float clip of feat.clip_samples samples at feat.sample_rate Hz (cut or zero-padded at the end); "    \
    "centred STFT, reflect padding of n_fft/2, periodic Hann window of feat.n_fft, hop feat.hop; power "       \
    "spectrum; feat.n_mels Slaney-scale mel triangles with Slaney area normalisation from feat.fmin to "       \
    "feat.fmax Hz (torchaudio MelSpectrogram mel_scale='slaney', norm='slaney', power=2); dB = "               \
    "10*log10(max(S,1e-10)) - 10*log10(max(max(S),1e-10)) floored at -80; input = (dB + 40) / 80, shape "     \
    "(1, n_mels, frames)"

static void export_help(void)
{
    printf("usage: speechtrain export --model CKPT [--out FILE] [--format onnx|c] [--prefix NAME]\n\n"
           "Writes the trained network of a checkpoint for other runtimes. ONNX: opset 13, input\n"
           "'features' (batch x 1 x n_mels x frames float32, batch dynamic), outputs 'logits' and\n"
           "'probabilities' (batch x classes), batch norm kept as BatchNormalization with the\n"
           "running statistics. metadata_props hold 'classes' (the output names, comma-separated),\n"
           "the feature settings (feat.sample_rate, feat.clip_samples, feat.n_fft, feat.hop,\n"
           "feat.n_mels, feat.fmin, feat.fmax, feat.frames) and 'frontend' (how to compute the\n"
           "input from a clip). C: one self-contained C11 file with the weights as arrays (each batch\n"
           "norm folded into a scale and shift), the classes, the same metadata and\n"
           "  void NAME_forward(const float *x, float *logits, float *scratch)\n"
           "for one clip, in plain loops (see the file's first comment). The file is written\n"
           "atomically.\n\n"
           "  --model CKPT         checkpoint (e.g. runs/demo/best.ckpt)\n"
           "  --out FILE           the file to write [model.onnx; model.c for --format c]\n"
           "  --format FMT         onnx or c [onnx]\n"
           "  --prefix NAME        C format: prefix of every symbol, a C identifier [kws]\n");
}

int cmd_export(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *model = NULL, *out = NULL, *format = "onnx", *prefix = "kws";
    const opt_flag_t flags[] = {
        {"--model", OPT_STR, &model, 0, 0},
        {"--out", OPT_STR, &out, 0, 0},
        {"--format", OPT_STR, &format, 0, 0},
        {"--prefix", OPT_STR, &prefix, 0, 0},
    };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return export_help(), 0;
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r < 0) return cli_fail(CLI_USAGE, err);
        if (r > 0) continue;
        return cli_failf(CLI_USAGE, "export: unknown option '%s' (see speechtrain export --help)", argv[i]);
    }
    if (!model) return cli_fail(CLI_USAGE, "export: --model CKPT is required");
    const int as_c = !strcmp(format, "c");
    if (!as_c && strcmp(format, "onnx")) return cli_failf(CLI_USAGE, "export: --format '%s': expected onnx or c", format);
    if (as_c && export_c_check_prefix(prefix, err)) return cli_fail(CLI_USAGE, err);
    if (!out) out = as_c ? "model.c" : "model.onnx";
    if (cli_check_out_path("--out", out, err)) return cli_fail(CLI_FAIL, err);

    speech_opts_t so;
    speech_opts_default(&so);
    model_t *m = NULL;
    ckpt_info_t info;
    if (speech_ckpt_open(model, 1, &so, &m, &info, err)) return cli_fail(CLI_FAIL, err);

    /* The feature settings as the checkpoint meta writes them, one prop per line. */
    char feat[1024], frames[16], epoch[24], step[24], run_id[24];
    feat_config_meta(&so.feat, feat, sizeof feat);
    export_prop_t props[17];
    int np = 0;
    for (char *line = strtok(feat, "\n"); line && np < 12; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        props[np++] = (export_prop_t){line, eq + 1};
    }
    snprintf(frames, sizeof frames, "%d", feat_config_frames(&so.feat));
    snprintf(epoch, sizeof epoch, "%ld", info.epoch);
    snprintf(step, sizeof step, "%ld", info.step);
    props[np++] = (export_prop_t){"feat.frames", frames};
    props[np++] = (export_prop_t){"frontend", EXPORT_FRONTEND};
    props[np++] = (export_prop_t){"checkpoint.epoch", epoch};
    props[np++] = (export_prop_t){"checkpoint.step", step};
    if (text_kv_get(info.meta_text, "train.run_id", run_id, sizeof run_id) == 0)
        props[np++] = (export_prop_t){"checkpoint.run_id", run_id};
    export_info_t ei = {
        .class_names = (const char *const *)info.class_names,
        .props = props,
        .n_props = np,
        .producer_version = cli_version(),
        .doc = "speechtrain PreAct-ResNet18 keyword classifier: features (batch, 1, n_mels, frames) log-mel "
               "input -> logits and softmax probabilities over metadata 'classes'.",
    };
    int rc = CLI_OK;
    if (as_c ? export_c(out, m, &ei, prefix, err) : export_onnx(out, m, &ei, err)) rc = cli_fail(CLI_FAIL, err);
    else {
        printf("wrote %s: input 1 x %d x %d, %zu parameters, %d classes: ", out, model_config(m)->h,
               model_config(m)->w, model_num_params(m), info.n_classes);
        for (int k = 0; k < info.n_classes; k++) printf("%s%s", k ? "," : "", info.class_names[k]);
        printf("\n");
    }
    model_free(m);
    ckpt_info_free(&info);
    return rc;
}
