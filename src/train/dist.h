/* dist.h: the processes of a data-parallel run, as plain functions over MPI_COMM_WORLD.
 *
 * Built with MPI (-Dmpi=auto finds Open MPI) and started by an MPI launcher (mpirun, srun
 * --mpi=pmix), dist_init joins the run; otherwise, or when built without MPI, the program is
 * rank 0 of 1 and every function here is a no-op, so callers never test for MPI. Only the
 * main thread calls these (outside OpenMP regions).
 *
 * Collectives must be called by every rank in the same order. A failed MPI call aborts the
 * whole run (MPI's default error handler): a rank that dies makes the launcher stop the
 * others with a non-zero status rather than leave them waiting.
 */
#ifndef ST_TRAIN_DIST_H
#define ST_TRAIN_DIST_H

#include <stddef.h>

#include "common/err.h"

/* Joins the run when started by an MPI launcher; 0, or -1 with err. Call once, first thing in
 * main (after threads_wait_policy, which may re-execute the program). */
int dist_init(int *argc, char ***argv, char *err);
/* Leaves the run cleanly (every rank calls it on the way out); safe without dist_init. */
void dist_finalize(void);
/* Stops every rank of the run at once with exit status code (after a failure on one rank
 * that the others cannot know of); returns only in a one-process run. */
void dist_abort(int code);

int dist_rank(void);         /* 0 .. dist_size() - 1 */
int dist_size(void);
int dist_local_rank(void);   /* rank among the processes on this machine */
int dist_local_size(void);
/* 1 when the program was built with MPI. */
int dist_built(void);

/* Rank r's contiguous share of n items: [*lo, *lo + *cnt), the first n % size ranks one more. */
void dist_slice(long n, int rank, int size, long *lo, long *cnt);

/* Elementwise sums over all ranks, in place (MPI_Allreduce). */
void dist_sum_float(float *buf, size_t n);
void dist_sum_double(double *buf, size_t n);
void dist_sum_long(long *buf, size_t n);
/* The same for model_set_bn_reduce (ctx unused). */
void dist_sum_double_cb(void *ctx, double *buf, int n);
/* 1 when ok is non-zero on every rank (a collective decision to go on or stop together). */
int dist_all_ok(int ok);
/* buf (bytes) <- rank root's. */
void dist_broadcast(void *buf, size_t bytes, int root);
/* rows (n, row_bytes): on entry each rank holds its dist_slice(n) rows in place; on return
 * every rank holds all n (MPI_Allgatherv). */
void dist_gather_rows(void *rows, size_t row_bytes, long n);
void dist_barrier(void);

#endif
