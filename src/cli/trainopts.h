/* trainopts.h: the training flags both programs share.
 *
 * speechtrain and imagetrain accept these flags with the same meaning and document them
 * with the same text (trainopts_help). A program's parser hands each argument to
 * trainopts_parse first and handles the ones it returns 0 for itself.
 */
#ifndef ST_CLI_TRAINOPTS_H
#define ST_CLI_TRAINOPTS_H

#include <stdio.h>

#include "train/train.h"

typedef struct {
    train_config_t tc;
    int quiet;       /* no progress display or epoch lines; only the one-line final summary */
    int progress;    /* PROGRESS_* (cli/progress.h) */
    int force;       /* --force: train into a folder that holds another run */
    char out_buf[4096];   /* the run folder, when derived (trainrun_prepare) */
} trainopts_t;

/* train_config_default, progress auto. */
void trainopts_default(trainopts_t *o);

/* Looks at argv[*i]: 1 when it was a shared training flag (consumed together with its
 * value; *i then points at the last argument used), 0 when it is not one of ours, -1 with
 * err on a missing or malformed value (the message names the flag). */
int trainopts_parse(trainopts_t *o, int argc, char **argv, int *i, char *err);

/* Prints the help text of the shared flags (with defaults taken from c). */
void trainopts_help(FILE *f, const train_config_t *c);

/* The shared flags of c in canonical form, one argument per line (malloc'd, caller frees).
 * Parsing these lines back gives the same configuration. */
char *trainopts_canonical(const train_config_t *c);

#endif
