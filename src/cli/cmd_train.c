/* cmd_train.c: `speechtrain [train]`: flags -> Speech Commands data source -> trainrun_run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/speechdata.h"
#include "cli/trainrun.h"
#include "cli/util.h"
#include "common/text.h"
#include "train/dist.h"

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
    trainopts_help(stdout, c);
    speech_opts_help(stdout, 1, 0);
    printf("Other:\n  --help               this text\n  --version            the program's version\n");
}

/* Parses args[0..n) into o and so; -1 with err on a bad or unknown flag. */
static int parse_all(trainopts_t *o, speech_opts_t *so, int n, char **args, char *err)
{
    for (int i = 0; i < n; i++) {
        int r = trainopts_parse(o, n, args, &i, err);
        if (r == 0) r = speech_opts_parse(so, n, args, &i, 1, 1, err);
        if (r < 0) return -1;
        if (r > 0) continue;
        return st_err(err, "%s '%s' (see speechtrain train --help)",
                      args[i][0] == '-' ? "unknown option" : "unexpected argument", args[i]);
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    trainopts_t o;
    trainopts_default(&o);
    o.tc.prog = "speechtrain train";
    speech_opts_t so;
    speech_opts_default(&so);
    int n = argc - 1;
    char **args = argv + 1;
    if (n >= 1 && !strcmp(args[0], "train")) n--, args++;   /* "speechtrain train train" is fine too */
    switch (cli_help_or_version(n + 1, args - 1)) {
    case 1: train_help(&o.tc); return CLI_OK;
    case 2: cli_print_version(); return CLI_OK;
    }
    if (trainrun_join(err)) return cli_fail(CLI_FAIL, err);
    /* Resume: the checkpoint's own arguments first, the command line on top. */
    char **saved;
    int n_saved;
    if (trainrun_saved_args(n, args, &saved, &n_saved, err)) return trainrun_exit(cli_fail(CLI_FAIL, err));
    int rc = CLI_USAGE, usage;
    speech_data_t sd = {0};
    char *prog_args = NULL;
    int demo = !opt_find("--data", n, args) && !opt_find("--data", n_saved, saved);
    if (demo) {   /* the demo preset, under the flags given */
        o.tc.width = DEMO_WIDTH, o.tc.epochs = DEMO_EPOCHS, o.tc.batch = DEMO_BATCH, o.tc.lr = DEMO_LR;
    }
    if (parse_all(&o, &so, n_saved, saved, err) || parse_all(&o, &so, n, args, err)) goto fail;
    if (demo && !(so.data = speech_demo_corpus())) {
        st_err(err, "no --data given and the demo corpus datasets/demo is missing; make it with "
                    "'datasets/make_corpus.sh demo' (scripts/demo.sh does everything), or point --data "
                    "at a Speech Commands folder");
        goto fail;
    }
    /* The run folder must be writable before minutes go into decoding the data. */
    if (trainrun_prepare(&o, demo ? "runs/demo" : "runs/latest", &usage, err)) {
        rc = usage ? CLI_USAGE : CLI_FAIL;
        goto fail;
    }
    rc = CLI_FAIL;
    so.sc.augment = o.tc.augment;
    so.sc.seed = o.tc.seed;
    so.sc.log = o.quiet || dist_rank() != 0 ? NULL : stderr;
    /* The first process on each machine decodes (or loads the decode cache), then the others
     * find the cache it wrote. */
    if (dist_local_rank() == 0 && speech_data_open(&sd, &so, err)) goto fail;
    dist_barrier();
    if (dist_local_rank() != 0 && speech_data_open(&sd, &so, err)) goto fail;
    if (!(prog_args = speech_opts_canonical(&so))) {
        st_err(err, "out of memory");
        goto fail;
    }
    rc = trainrun_run(&o, prog_args, &sd.td);
    goto done;
fail:
    rc = cli_fail(rc, err);
done:
    free(prog_args);
    if (sd.ds) speech_data_close(&sd);
    text_lines_free(saved);
    return trainrun_exit(rc);
}
