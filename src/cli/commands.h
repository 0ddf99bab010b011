/* commands.h: speechtrain's subcommands. Each takes the arguments after the program name
 * (argv[0] is the subcommand's name) and returns the process exit status (CLI_* of
 * cli/util.h). speechtrain.c dispatches to them; they share cli/util.h, cli/opt.h and
 * cli/speechdata.h, never each other. */
#ifndef ST_COMMANDS_H
#define ST_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_preview(int argc, char **argv);
int cmd_robust(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
