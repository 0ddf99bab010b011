/* threads: the OpenMP wait policy a program sets for itself.
 *
 * libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded (before main), and
 * by default spins 300000 iterations at every barrier. On a machine where another process
 * holds a core, the spinning thread burns its core while its partner waits to be scheduled,
 * and training runs tens of times slower. threads_passive_wait() therefore re-executes the
 * program once with OMP_WAIT_POLICY=PASSIVE (idle threads sleep on a futex), unless the user
 * has set OMP_WAIT_POLICY or GOMP_SPINCOUNT. Call it first thing in main. */
#ifndef ST_COMMON_THREADS_H
#define ST_COMMON_THREADS_H

/* Returns only if no re-exec was needed or the re-exec failed (the program then runs with
 * the runtime's default policy). */
void threads_passive_wait(char **argv);

#endif
