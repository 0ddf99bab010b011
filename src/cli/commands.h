/* commands.h: speechtrain's subcommands. Each takes the arguments after the program name
 * (argv[0] is the subcommand's name) and returns the process exit status:
 * 0 success, 1 failure (one line on stderr), 2 usage error, 130 interrupted (Ctrl-C). */
#ifndef ST_COMMANDS_H
#define ST_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_features(int argc, char **argv);
/* Written by the image engineer (src/cli/cmd_preview.c). */
int cmd_preview(int argc, char **argv);

/* "speechtrain: <msg>" on stderr; returns code. */
int cli_fail(int code, const char *msg);
/* Splits "a\nb\n" into a NULL-terminated argv (malloc'd array of pointers into a malloc'd
 * copy, both freed by cli_args_free). */
char **cli_args_split(const char *lines, int *argc);
void cli_args_free(char **argv);

#endif
