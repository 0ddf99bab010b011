/* speechtrain: train, evaluate and use speech-command recognisers (RandomMix).
 *
 *   speechtrain [train] [options]      train (the default command)
 *   speechtrain eval --model CKPT      accuracy, per-class accuracy, confusion matrix
 *   speechtrain predict --model CKPT --audio DIR --out submission.csv
 *   speechtrain features IN.wav [--out OUT.npy]
 *   speechtrain preview --out FILE.png (--wav A.wav B.wav | --corpus DIR | --cifar DIR)
 * docs/cli.md is the user documentation.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/util.h"
#include "common/threads.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

/* To add a subcommand: one line here and its cmd_<name>.c in src/cli/meson.build. */
static const command_t commands[] = {
    {"train", cmd_train, "train a model (the default command)"},
    {"eval", cmd_eval, "accuracy, per-class accuracy and confusion matrix of a checkpoint"},
    {"predict", cmd_predict, "label a folder of clips and write a Kaggle submission CSV"},
    {"detect", cmd_detect, "find keywords in recordings of any length, or live audio on stdin"},
    {"robust", cmd_robust, "clean, FGSM, corruption and occlusion error of a checkpoint"},
    {"features", cmd_features, "write the network input of one clip as a .npy file"},
    {"export", cmd_export, "write a checkpoint's network as an ONNX model"},
    {"preview", cmd_preview, "render mixed samples as a PNG grid"},
    {"plot", cmd_plot, "PNG charts of experiment tables, training logs and confusion matrices"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: speechtrain [COMMAND] [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nWithout a command, speechtrain trains. 'speechtrain COMMAND --help' lists a command's\n"
               "options; docs/cli.md has the full documentation.\n");
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);
    cli_set_prog("speechtrain");
    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        cli_print_version();
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        printf("\n");
        char *h[] = {"train", "--help", NULL};
        return cmd_train(2, h);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
        cli_failf(CLI_USAGE, "unknown command '%s'", argv[1]);
        usage(stderr);
        return 2;
    }
    /* No command: train, with the arguments as given. */
    argv[0] = "train";
    return cmd_train(argc, argv);
}
