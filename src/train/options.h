/* options.h: the command-line flags every training program shares.
 *
 * speechtrain and imagetrain both accept these flags with the same meaning and document
 * them with the same text (train_options_help). A program's parser hands each argument to
 * train_options_parse first and handles the ones it returns 0 for itself.
 */
#ifndef ST_TRAIN_OPTIONS_H
#define ST_TRAIN_OPTIONS_H

#include <stdio.h>

#include "train/train.h"

/* Looks at argv[*i]. Returns 1 when it was a shared training flag (consumed together with
 * its value; *i then points at the last argument used), 0 when it is not one of ours, -1
 * with err on a missing or malformed value (the message names the flag). Accepts both
 * "--flag value" and "--flag=value". */
int train_options_parse(train_config_t *c, int argc, char **argv, int *i, char *err);

/* Checks ranges and builds c->mix from --candidates/--weights/--alpha/--mix-prob/--elem.
 * Call once after all flags are parsed. */
int train_options_finish(train_config_t *c, char *err);

/* Prints the help text of the shared flags (with defaults taken from c). */
void train_options_help(FILE *f, const train_config_t *c);

/* The shared flags of c in canonical form, one argument per line, into buf (malloc'd,
 * caller frees). Parsing these lines back gives the same configuration. */
char *train_options_canonical(const train_config_t *c);

/* Value helpers for programs' own flags: strict parsing of a whole string, -1 with err
 * naming `flag` on garbage or out-of-range values. */
int opt_int(const char *flag, const char *s, long lo, long hi, long *out, char *err);
int opt_double(const char *flag, const char *s, double lo, double hi, double *out, char *err);
/* For "--flag value" / "--flag=value": returns 1 and sets *val if argv[*i] is `name`, 0 if
 * not, -1 with err when the value is missing. Advances *i past a separate value. */
int opt_match(const char *name, int argc, char **argv, int *i, const char **val, char *err);
/* The value of the last "--flag value" / "--flag=value" in argv[0..argc), or NULL: a look
 * ahead (e.g. for --resume) before the real parse, which reports malformed flags. */
const char *opt_find(const char *name, int argc, char **argv);

/* A program's own value flags as a table, so its parse loop is the list of its flags:
 *   const opt_flag_t flags[] = {{"--model", OPT_STR, &model, 0, 0},
 *                               {"--batch", OPT_INT, &batch, 1, 65536}};
 *   int r = opt_parse(flags, 2, argc, argv, &i, err);
 * OPT_STR stores the value (const char *), OPT_INT / OPT_LONG / OPT_DOUBLE parse it with
 * opt_int / opt_double into an int / long / double within [lo, hi] (inclusive). Integer
 * bounds are doubles so one table type serves every kind; bounds up to 2^53 are exact. */
typedef enum { OPT_STR, OPT_INT, OPT_LONG, OPT_DOUBLE } opt_kind_t;
typedef struct {
    const char *name;   /* "--flag"; "--flag value" and "--flag=value" both match */
    opt_kind_t kind;
    void *var;          /* const char ** / int * / long * / double *, set only on success */
    double lo, hi;      /* accepted range (OPT_INT, OPT_DOUBLE) */
} opt_flag_t;
/* Like opt_match over the whole table: 1 when argv[*i] was one of the flags (value stored,
 * *i at the last argument used), 0 when none, -1 with err (missing, malformed or out-of-range
 * value; the message names the flag and the value). */
int opt_parse(const opt_flag_t *flags, int n, int argc, char **argv, int *i, char *err);

#endif
