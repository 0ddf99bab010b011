/* threads: the OpenMP wait policy a program sets for itself.
 *
 * libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded (before main), and
 * by default spins 300000 iterations at every barrier. On a machine where another process
 * holds a core, the spinning thread burns its core while its partner waits to be scheduled,
 * and training runs tens of times slower. Waiting passively (sleeping on a futex at once)
 * avoids that, but each wake-up costs tens of microseconds: together about 14 % of a
 * width-16 training step on two idle cores (docs/cli.md). threads_wait_policy() therefore looks at
 * the machine when the program starts: when no other thread is runnable it re-executes the
 * program with a short spin, GOMP_SPINCOUNT=1000 (a few microseconds, then sleep), and
 * otherwise with OMP_WAIT_POLICY=PASSIVE. Nothing is changed when the user has set
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT. Results do not depend on the policy, only the speed.
 * Call it first thing in main. */
#ifndef ST_COMMON_THREADS_H
#define ST_COMMON_THREADS_H

/* The spin count set on an idle machine. */
#define THREADS_IDLE_SPINCOUNT "1000"

/* Returns only if no re-exec was needed or the re-exec failed (the program then runs with
 * the runtime's default policy). */
void threads_wait_policy(char **argv);

/* Whether waiting threads spin longer than the programs' own choice: OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT set to anything but the passive waiting or the short spin that
 * threads_wait_policy() sets. Then a busy machine can slow a run many times over. */
int threads_long_spin(void);

/* Other runnable threads on the machine, averaged over a few samples 4 ms apart (Linux's
 * /proc/stat procs_running less this thread); -1 where that is not known. */
double threads_others_running(void);

#endif
