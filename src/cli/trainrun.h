/* trainrun.h: the `train` command's steps that speechtrain and imagetrain share, around
 * their own data: the resumed checkpoint's arguments, threads, the run folder, Ctrl-C, and
 * how a run's progress and results are shown.
 *
 *   trainrun_saved_args  -> parse saved args, then the command line (the program's parser)
 *   trainrun_prepare     -> open the program's data
 *   trainrun_run         -> exit status
 */
#ifndef ST_CLI_TRAINRUN_H
#define ST_CLI_TRAINRUN_H

#include "cli/trainopts.h"
#include "train/train.h"

/* Data parallel (docs/cluster.md): trainrun_join first (joins the run when started by
 * mpirun or srun; a plain process otherwise), and the program returns trainrun_exit(rc): a
 * failure on one rank stops every rank with rc instead of leaving them waiting. Only rank 0
 * writes and shows progress; the others train their share quietly. */
int trainrun_join(char *err);
int trainrun_exit(int rc);

/* With --resume CKPT in argv[0..argc): the arguments CKPT was made with into *saved and *n
 * (text_lines_free); else *saved = NULL, *n = 0. -1 with err when CKPT cannot be read. */
int trainrun_saved_args(int argc, char **argv, char ***saved, int *n, char *err);

/* After the flags are parsed: checks them (train_config_finish), sets the thread count
 * (the one place that does: o->tc.threads becomes the count used), decides the run folder
 * (train_run_dir, with fallback when neither --out nor --resume is given) and checks it can
 * be written without creating it, so a failed start leaves no folder; a folder holding
 * another run is refused unless resuming it or o->force. Warns when the
 * machine is too busy for the thread count and the user chose spinning waits. -1 with err; *usage is then 1 when the flags
 * were at fault. */
int trainrun_prepare(trainopts_t *o, const char *fallback, int *usage, char *err);

/* Trains: the run's arguments are prog_args (the program's flags, canonical) followed by
 * the shared ones; Ctrl-C / SIGTERM stop cleanly after the current step (a second one
 * kills); progress, epoch lines and the test report go to stderr/stdout as o says.
 * Returns the exit status: 0, 1 (said why), 130 (stopped by a signal). */
int trainrun_run(trainopts_t *o, const char *prog_args, const train_data_t *d);

#endif
