/* opt.h: the command-line flag parser every command uses.
 *
 * A command's parse loop is the table of its value flags plus its switches:
 *   const opt_flag_t flags[] = {{"--model", OPT_STR, &model, 0, 0},
 *                               {"--batch", OPT_INT, &batch, 1, 65536}};
 *   int r = opt_parse(flags, 2, argc, argv, &i, err);
 * Functions return 1 when argv[*i] was theirs (consumed with its value; *i then points at
 * the last argument used), 0 when it is not, -1 with err naming the flag and the value.
 * "--flag value" and "--flag=value" both match.
 */
#ifndef ST_CLI_OPT_H
#define ST_CLI_OPT_H

/* OPT_STR stores the value (const char *); OPT_INT / OPT_LONG / OPT_DOUBLE parse it into an
 * int / long / double within [lo, hi] (inclusive). Integer bounds are doubles so one table
 * type serves every kind; bounds up to 2^53 are exact. */
typedef enum { OPT_STR, OPT_INT, OPT_LONG, OPT_DOUBLE } opt_kind_t;
typedef struct {
    const char *name;   /* "--flag" */
    opt_kind_t kind;
    void *var;          /* const char ** / int * / long * / double *, set only on success */
    double lo, hi;      /* accepted range (numeric kinds) */
} opt_flag_t;

int opt_parse(const opt_flag_t *flags, int n, int argc, char **argv, int *i, char *err);

/* One value flag: sets *val when argv[*i] is `name`; -1 when its value is missing. */
int opt_match(const char *name, int argc, char **argv, int *i, const char **val, char *err);

/* A flag without a value; "--flag=..." is an error so typos do not pass silently. */
int opt_switch(const char *name, const char *arg, char *err);

/* Strict whole-string numbers: -1 with err naming `flag` on garbage or out-of-range values. */
int opt_int(const char *flag, const char *s, long lo, long hi, long *out, char *err);
int opt_double(const char *flag, const char *s, double lo, double hi, double *out, char *err);

/* The value of the last "--flag value" / "--flag=value" in argv[0..argc), or NULL: a look
 * ahead (e.g. for --resume) before the real parse, which reports malformed flags. */
const char *opt_find(const char *name, int argc, char **argv);

/* --progress auto|bar|plain into *mode (PROGRESS_* of cli/progress.h). */
int opt_progress(int argc, char **argv, int *i, int *mode, char *err);

#endif
