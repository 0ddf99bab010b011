/* cmd_robust.c: `speechtrain robust --model CKPT`: clean, FGSM, corruption and occlusion
 * error of a checkpoint (train/robust.h does the work, audio/corrupt.h the corruptions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/corrupt.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/speechdata.h"
#include "cli/util.h"
#include "common/text.h"
#include "train/robust.h"

static void robust_help(void)
{
    printf("usage: speechtrain robust --model CKPT [--data DIR] [--split test] [--out report.csv] [options]\n\n"
           "Robustness of a checkpoint on one split (silence items included, as in eval): clean error\n"
           "(the same as eval's), FGSM error, waveform corruption error (mean, and mCE with --baseline)\n"
           "and occlusion error. docs/cli.md lists every corruption and its 5 severities.\n\n"
           "  --model CKPT         checkpoint (e.g. runs/demo/best.ckpt)\n"
           "  --data DIR           Speech Commands folder [the one the checkpoint was trained on]\n"
           "  --split NAME         validation or test [test]\n"
           "  --out FILE           CSV report, header kind,setting,error\n"
           "  --eps LIST           FGSM epsilons in network-input units (input spans [-0.5, 0.5]) [0.01,0.03,0.1]\n"
           "  --occlusion LIST     occluded shares of the input [0.1,0.25,0.5]\n"
           "  --occlusion-fill V   value of occluded cells; -0.5 is the log-mel floor (silence) [-0.5]\n"
           "  --no-corruptions     skip the waveform corruptions\n"
           "  --baseline CKPT      also report mCE against this model (e.g. one trained with --no-mix)\n"
           "  --baseline-report CSV  mCE against a baseline's earlier --out report instead (its\n"
           "                       corruption rows; nothing is evaluated again)\n"
           "  --seed N             seed of the corruption noise and occlusion blocks [0]\n"
           "  --batch N            batch size [256]\n"
           "  --threads N          threads (0 = all cores) [0]\n"
           "  --quiet              no dataset report\n");
}

static int parse_list(const char *flag, const char *s, double *out, int *n, double lo, double hi, char *err)
{
    *n = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == ROBUST_MAX_SETTINGS) return st_err(err, "%s: at most %d values", flag, ROBUST_MAX_SETTINGS);
        if (opt_double(flag, tok, lo, hi, &out[*n], err)) return -1;
        (*n)++;
    }
    return 0;
}

static const char *corr_names[CORRUPT_N];

static int batch_corrupt(void *ctx, int split, const int *idx, int n, int k, int s, uint64_t seed, float *x,
                         int *labels, char *err)
{
    return sc_batch_corrupt(((speech_data_t *)ctx)->ds, split, idx, n, k, s, seed, x, labels, err);
}

int cmd_robust(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *model = NULL, *split_name = "test", *out = NULL, *eps_s = NULL, *occl_s = NULL, *base = NULL,
               *base_csv = NULL;
    int batch = 256, threads = 0, quiet = 0;
    long seed = 0;
    robust_config_t rc;
    robust_config_default(&rc);
    const opt_flag_t flags[] = {
        {"--model", OPT_STR, &model, 0, 0},           {"--split", OPT_STR, &split_name, 0, 0},
        {"--out", OPT_STR, &out, 0, 0},               {"--eps", OPT_STR, &eps_s, 0, 0},
        {"--occlusion", OPT_STR, &occl_s, 0, 0},      {"--baseline", OPT_STR, &base, 0, 0},
        {"--baseline-report", OPT_STR, &base_csv, 0, 0},
        {"--occlusion-fill", OPT_DOUBLE, &rc.fill, -1e6, 1e6},
        {"--seed", OPT_LONG, &seed, 0, 9007199254740992.0},
        {"--batch", OPT_INT, &batch, 1, 65536},       {"--threads", OPT_INT, &threads, 0, 4096},
    };
    speech_opts_t so;
    speech_opts_default(&so);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return robust_help(), 0;
        if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-corruptions")) {
            rc.corruptions = 0;
            continue;
        }
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r == 0) r = speech_opts_parse(&so, argc, argv, &i, 1, 1, err);
        if (r < 0) return cli_fail(2, err);
        if (r > 0) continue;
        snprintf(err, sizeof err, "robust: unknown option '%s' (see speechtrain robust --help)", argv[i]);
        return cli_fail(2, err);
    }
    if (!model) return cli_fail(2, "robust: --model CKPT is required");
    if (base && base_csv) return cli_fail(2, "robust: --baseline and --baseline-report are alternatives; give one");
    if (out && cli_check_out_path("--out", out, err)) return cli_fail(CLI_FAIL, err);
    if (eps_s && parse_list("--eps", eps_s, rc.eps, &rc.n_eps, 0, 10, err)) return cli_fail(2, err);
    if (occl_s && parse_list("--occlusion", occl_s, rc.occl, &rc.n_occl, 0, 1, err)) return cli_fail(2, err);
    rc.seed = (uint64_t)seed;
    rc.batch = batch;
    int split;
    if (!strcmp(split_name, "validation") || !strcmp(split_name, "val")) split = TRAIN_SPLIT_VAL;
    else if (!strcmp(split_name, "test") || !strcmp(split_name, "testing")) split = TRAIN_SPLIT_TEST;
    else {
        snprintf(err, sizeof err, "--split: '%s' is not one of validation, test", split_name);
        return cli_fail(2, err);
    }
    train_set_threads(threads);
    model_t *m = NULL, *bm = NULL;
    ckpt_info_t info, binfo;
    memset(&binfo, 0, sizeof binfo);
    if (speech_ckpt_open(model, batch, &so, &m, &info, err)) return cli_fail(1, err);
    char **saved = NULL;
    int code = 1;
    speech_data_t sd = {0};
    robust_report_t rep = {0}, brep = {0};
    if (base_csv && (robust_report_read_csv(&brep, base_csv, err) || !rc.corruptions)) {
        if (!rc.corruptions) snprintf(err, sizeof err, "robust: --baseline-report needs the corruptions (no --no-corruptions)");
        goto fail;
    }
    if (base) {
        speech_opts_t bo = so;
        bo.feat_given = 1; /* the baseline must use the model's feature settings */
        if (speech_ckpt_open(base, batch, &bo, &bm, &binfo, err)) goto fail;
    }
    int od = speech_data_open_for(&sd, &so, &info, quiet, &saved, err);
    if (od < 0) goto fail;
    if (od > 0) {
        code = cli_fail(2, "robust: --data DIR is required (the checkpoint does not name its data folder)");
        goto done;
    }
    for (int k = 0; k < CORRUPT_N; k++) corr_names[k] = corrupt_name(k);
    robust_data_t rd = {.d = &sd.td, .n_corruptions = CORRUPT_N, .n_severities = CORRUPT_SEVERITIES,
                        .corruption_names = corr_names, .batch_corrupt = batch_corrupt};
    if (robust_evaluate(m, &rd, split, &rc, &rep, err)) goto fail;
    if (base_csv && robust_add_mce(&rep, &brep, err)) {
        char e2[ST_ERR_LEN];
        memcpy(e2, err, sizeof e2);
        snprintf(err, sizeof err, "%.200s: %.300s", base_csv, e2);
        goto fail;
    }
    if (bm) {
        robust_config_t bc = rc;
        bc.n_eps = bc.n_occl = 0;
        bc.corruptions = 1;
        if (robust_evaluate(bm, &rd, split, &bc, &brep, err) || robust_add_mce(&rep, &brep, err)) goto fail;
    }
    printf("%s on the %s split of %s (%d items), seed %llu, occlusion fill %g:\n", model,
           split == TRAIN_SPLIT_VAL ? "validation" : "test", so.data_abs, sd.td.count(sd.td.ctx, split),
           (unsigned long long)rc.seed, rc.fill);
    robust_report_print(&rep, stdout);
    if (out && robust_report_write_csv(&rep, out, err)) goto fail;
    if (out) printf("wrote %s\n", out);
    code = 0;
    goto done;
fail:
    code = cli_fail(1, err);
done:
    robust_report_free(&rep);
    robust_report_free(&brep);
    if (sd.ds) speech_data_close(&sd);
    text_lines_free(saved);
    model_free(m);
    model_free(bm);
    ckpt_info_free(&info);
    ckpt_info_free(&binfo);
    return code;
}
