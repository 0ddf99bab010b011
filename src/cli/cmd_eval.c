/* cmd_eval.c: `speechtrain eval --model CKPT [--data DIR] [--split validation|test|training]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/speechdata.h"
#include "cli/opt.h"
#include "cli/util.h"
#include "common/text.h"

static void eval_help(void)
{
    printf("usage: speechtrain eval --model CKPT [--data DIR] [--split validation|test|training] [options]\n\n"
           "Accuracy, per-class accuracy and the confusion matrix of a checkpoint on one split of a\n"
           "Speech Commands folder. The feature settings come from the checkpoint.\n\n"
           "  --model CKPT         checkpoint (e.g. runs/demo/best.ckpt)\n"
           "  --data DIR           Speech Commands folder [the one the checkpoint was trained on]\n"
           "  --split NAME         validation, test or training [test]\n"
           "  --out PREFIX         also write PREFIX_report.txt, PREFIX_per_class.csv, PREFIX_confusion.csv\n"
           "  --batch N            batch size [256]\n"
           "  --threads N          threads (0 = all cores) [0]\n"
           "  --quiet              no dataset report\n");
    speech_opts_help(stdout, 1, 0);
    printf("                       (given feature flags must match the checkpoint's)\n");
}

int cmd_eval(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *model = NULL, *split_name = "test", *out = NULL;
    int batch = 256, threads = 0, quiet = 0;
    const opt_flag_t flags[] = {
        {"--model", OPT_STR, &model, 0, 0},
        {"--split", OPT_STR, &split_name, 0, 0},
        {"--out", OPT_STR, &out, 0, 0},
        {"--batch", OPT_INT, &batch, 1, 65536},
        {"--threads", OPT_INT, &threads, 0, 4096},
    };
    speech_opts_t so;
    speech_opts_default(&so);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return eval_help(), 0;
        if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
            continue;
        }
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r == 0) r = speech_opts_parse(&so, argc, argv, &i, 1, 1, err);
        if (r < 0) return cli_fail(2, err);
        if (r > 0) continue;
        snprintf(err, sizeof err, "eval: unknown option '%s' (see speechtrain eval --help)", argv[i]);
        return cli_fail(2, err);
    }
    if (!model) return cli_fail(2, "eval: --model CKPT is required");
    if (out && cli_check_out_path("--out", out, err)) return cli_fail(CLI_FAIL, err);
    int split;
    if (!strcmp(split_name, "validation") || !strcmp(split_name, "val")) split = TRAIN_SPLIT_VAL;
    else if (!strcmp(split_name, "test") || !strcmp(split_name, "testing")) split = TRAIN_SPLIT_TEST;
    else if (!strcmp(split_name, "train") || !strcmp(split_name, "training")) split = TRAIN_SPLIT_TRAIN;
    else {
        snprintf(err, sizeof err, "--split: '%s' is not one of validation, test, training", split_name);
        return cli_fail(2, err);
    }
    train_set_threads(threads);
    model_t *m = NULL;
    ckpt_info_t info;
    if (speech_ckpt_open(model, batch, &so, &m, &info, err)) return cli_fail(1, err);
    char **saved = NULL;
    int rc = 1;
    speech_data_t sd = {0};
    int od = speech_data_open_for(&sd, &so, &info, quiet, &saved, err);
    if (od < 0) goto fail;
    if (od > 0) {
        rc = cli_fail(2, "eval: --data DIR is required (the checkpoint does not name its data folder)");
        goto done;
    }
    eval_report_t r;
    if (train_evaluate(m, &sd.td, split, batch, &r, err)) goto fail;
    printf("%s on the %s split of %s (%ld items):\n", model, split == 1 ? "validation" : split == 2 ? "test" : "training",
           so.data_abs, r.total);
    const char *const *names = (const char *const *)info.class_names;
    const int K = info.n_classes;
    eval_report_print(&r, names, stdout);
    printf("confusion matrix (rows: true class, columns: predicted):\n%12s", "");
    for (int k = 0; k < K; k++) printf(" %7.7s", names[k]);
    printf("\n");
    for (int k = 0; k < K; k++) {
        printf("%12s", names[k]);
        for (int j = 0; j < K; j++) printf(" %7ld", r.confusion[k * K + j]);
        printf("\n");
    }
    int wrc = out ? eval_report_write(&r, names, out, err) : 0;
    eval_report_free(&r);
    if (wrc) goto fail;
    if (out) printf("wrote %s_report.txt, %s_per_class.csv, %s_confusion.csv\n", out, out, out);
    rc = 0;
    goto done;
fail:
    rc = cli_fail(1, err);
done:
    if (sd.ds) speech_data_close(&sd);
    text_lines_free(saved);
    model_free(m);
    ckpt_info_free(&info);
    return rc;
}
