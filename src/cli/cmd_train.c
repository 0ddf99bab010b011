/* cmd_train.c: `speechtrain [train]`: flags -> Speech Commands data source -> train_run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/speechdata.h"
#include "train/options.h"

/* The demo preset (no --data): small enough to finish in about 10 minutes on 2 cores,
 * and to reach >= 90% test accuracy on datasets/demo (docs/cli.md has the numbers). */
#define DEMO_WIDTH 16
#define DEMO_EPOCHS 30
#define DEMO_BATCH 64
#define DEMO_LR 0.05

static void train_help(const train_config_t *c)
{
    printf("usage: speechtrain [train] [options]\n\n"
           "Trains PreAct-ResNet18 on log-mel spectrograms with RandomMix and writes a run folder\n"
           "(config.txt, log.csv, last.ckpt, best.ckpt, test_report.txt, test_per_class.csv,\n"
           "test_confusion.csv). Without --data it trains on the demo corpus datasets/demo/train with\n"
           "the demo preset: --width %d --epochs %d --batch %d --lr %g --out runs/demo (flags override).\n\n",
           DEMO_WIDTH, DEMO_EPOCHS, DEMO_BATCH, DEMO_LR);
    speech_opts_help(stdout, 0, 1);
    train_options_help(stdout, c);
    speech_opts_help(stdout, 1, 0);
    printf("Other:\n  --help               this text\n  --version            the program's version\n");
}

/* Parses args[0..n) into tc and so; -1 with err on a bad or unknown flag. */
static int parse_all(train_config_t *tc, speech_opts_t *so, int n, char **args, char *err)
{
    for (int i = 0; i < n; i++) {
        int r = train_options_parse(tc, n, args, &i, err);
        if (r < 0) return -1;
        if (r > 0) continue;
        r = speech_opts_parse(so, n, args, &i, 1, 1, err);
        if (r < 0) return -1;
        if (r > 0) continue;
        if (args[i][0] == '-') return st_err(err, "unknown option '%s' (see speechtrain train --help)", args[i]);
        return st_err(err, "unexpected argument '%s' (see speechtrain train --help)", args[i]);
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    train_config_t tc;
    train_config_default(&tc);
    tc.prog = "speechtrain train";
    speech_opts_t so;
    speech_opts_default(&so);
    int n = argc - 1;
    char **args = argv + 1;
    if (n >= 1 && !strcmp(args[0], "train")) n--, args++;   /* "speechtrain train train" is fine too */

    for (int i = 0; i < n; i++) {
        if (!strcmp(args[i], "--help") || !strcmp(args[i], "-h")) {
            train_help(&tc);
            return 0;
        }
        if (!strcmp(args[i], "--version")) {
            printf("speechtrain %s\n", ST_VERSION);
            return 0;
        }
    }
    const char *resume = opt_find("--resume", n, args);
    int has_data = opt_find("--data", n, args) != NULL;
    /* Resume: the checkpoint's own arguments first, the command line on top. */
    char **saved = NULL;
    int n_saved = 0;
    if (resume) {
        char *lines = NULL;
        if (train_checkpoint_args(resume, &lines, err)) return cli_fail(1, err);
        saved = cli_args_split(lines, &n_saved);
        free(lines);
        if (!saved) return cli_fail(1, "out of memory");
        for (int i = 0; i < n_saved; i++)
            if (!strcmp(saved[i], "--data")) has_data = 1;
    }
    int rc = 1;
    speech_data_t sd = {0};
    char *prog_args = NULL;
    if (!has_data) {   /* the demo preset, under the flags given */
        tc.width = DEMO_WIDTH, tc.epochs = DEMO_EPOCHS, tc.batch = DEMO_BATCH, tc.lr = DEMO_LR;
        tc.out_dir = "runs/demo";
    }
    if ((saved && parse_all(&tc, &so, n_saved, saved, err)) || parse_all(&tc, &so, n, args, err) ||
        train_options_finish(&tc, err)) {
        rc = cli_fail(2, err);
        goto done;
    }
    if (!has_data && !(so.data = speech_demo_corpus())) {
        rc = cli_fail(2, "no --data given and the demo corpus datasets/demo is missing; make it with "
                         "'datasets/make_corpus.sh demo' (scripts/demo.sh does everything), or point --data "
                         "at a Speech Commands folder");
        goto done;
    }
    /* The run folder must be writable before minutes go into decoding the data. */
    {
        char outbuf[4096];
        const char *out = tc.out_dir;
        if (!out && resume) {
            snprintf(outbuf, sizeof outbuf, "%s", resume);
            char *sl = strrchr(outbuf, '/');
            if (sl) *sl = 0;
            else snprintf(outbuf, sizeof outbuf, ".");
            out = outbuf;
        }
        if (!out) out = "runs/latest";
        if (train_mkdirs(out, err)) goto fail;
        if (access(out, W_OK | X_OK) != 0) {
            st_err(err, "--out %s: folder is not writable", out);
            goto fail;
        }
    }
    so.sc.augment = tc.augment;
    so.sc.seed = tc.seed;
    so.sc.quiet = tc.quiet;
    train_set_threads(tc.threads);
    if (speech_data_open(&sd, &so, err)) goto fail;
    prog_args = speech_opts_canonical(&so);
    if (!prog_args) {
        st_err(err, "out of memory");
        goto fail;
    }
    tc.prog_args = prog_args;
    int stopped = 0;
    if (train_run(&tc, &sd.td, &stopped, err)) goto fail;
    rc = stopped == 2 ? 130 : 0;
    goto done;
fail:
    rc = cli_fail(1, err);
done:
    free(prog_args);
    if (sd.ds) speech_data_close(&sd);
    cli_args_free(saved);
    return rc;
}
