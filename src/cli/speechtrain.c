/* speechtrain: train, evaluate and use speech-command recognisers (RandomMix).
 *
 *   speechtrain [train] [options]      train (the default command)
 *   speechtrain eval --model CKPT      accuracy, per-class accuracy, confusion matrix
 *   speechtrain predict --model CKPT --audio DIR --out submission.csv
 *   speechtrain features IN.wav [--out OUT.npy]
 * docs/cli.md is the user documentation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

#ifndef ST_VERSION
#define ST_VERSION "unknown"
#endif

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
    {"features", cmd_features, "write the network input of one clip as a .npy file"},
#ifdef ST_HAVE_PREVIEW
    {"preview", cmd_preview, "render mixed samples as a PNG grid"},
#endif
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

int cli_fail(int code, const char *msg)
{
    fprintf(stderr, "speechtrain: %s\n", msg);
    return code;
}

char **cli_args_split(const char *lines, int *argc)
{
    size_t n = 1;
    for (const char *p = lines; *p; p++) n += *p == '\n';
    char **v = calloc(n + 2, sizeof *v);
    char *copy = strdup(lines);
    if (!v || !copy) {
        free(v), free(copy);
        return NULL;
    }
    int k = 0;
    v[k++] = copy;      /* slot 0 keeps the buffer; the caller sees argv from v + 1 */
    for (char *p = copy; *p;) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = 0;
        v[k++] = p;
        if (!eol) break;
        p = eol + 1;
    }
    v[k] = NULL;
    *argc = k - 1;
    return v + 1;
}

void cli_args_free(char **argv)
{
    if (!argv) return;
    free(argv[-1]);
    free(argv - 1);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: speechtrain [COMMAND] [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nWithout a command, speechtrain trains. 'speechtrain COMMAND --help' lists a command's\n"
               "options; docs/cli.md has the full documentation.\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("speechtrain %s\n", ST_VERSION);
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
        fprintf(stderr, "speechtrain: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    /* No command: train, with the arguments as given. */
    argv[0] = "train";
    return cmd_train(argc, argv);
}
