/* util.h: what every command of both programs shares: the program's name in messages,
 * failing with an exit status, --help/--version. */
#ifndef ST_CLI_UTIL_H
#define ST_CLI_UTIL_H

/* Exit statuses: 0 success, 1 failure (one line on stderr), 2 usage error, 130 interrupted. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* The program's name ("speechtrain", "imagetrain"), set once at the start of main. */
void cli_set_prog(const char *prog);
const char *cli_prog(void);

/* "<prog>: <msg>" on stderr; returns code. */
int cli_fail(int code, const char *msg);
/* The same with a format. */
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "<prog>: <msg>" on stderr, for a warning that does not stop the command. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The folder that will hold the output file `path` (or the files starting with prefix `path`)
 * must exist and be writable: checked before the work, so a command does not run for minutes
 * and then fail. -1 with err naming `flag` and the folder. */
int cli_check_out_path(const char *flag, const char *path, char *err);

/* The program version (the project's, from meson). */
const char *cli_version(void);
/* "<prog> <version>" on stdout. */
void cli_print_version(void);
/* 1 when argv[1..argc) holds --help/-h, 2 when it holds --version (first one wins), else 0. */
int cli_help_or_version(int argc, char **argv);

#endif
