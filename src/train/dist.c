/* dist.c: MPI behind dist.h, or the one-process fallback when built without MPI. */
#include "train/dist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int g_rank = 0, g_size = 1, g_lrank = 0, g_lsize = 1, g_on = 0;

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_local_rank(void) { return g_lrank; }
int dist_local_size(void) { return g_lsize; }

void dist_slice(long n, int rank, int size, long *lo, long *cnt)
{
    long q = n / size, r = n % size;
    *cnt = q + (rank < r);
    *lo = rank * q + (rank < r ? rank : r);
}

#ifdef ST_HAVE_MPI
#include <mpi.h>

int dist_built(void) { return 1; }

/* Started by a launcher: Open MPI's mpirun, or a PMI/PMIx one (srun --mpi=pmix). Without one
 * the program stays a plain process and never touches MPI (no singleton start-up). */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

int dist_init(int *argc, char ***argv, char *err)
{
    if (g_on || !launched()) return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return st_err(err, "MPI_Init failed");
    g_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &g_lrank);
    MPI_Comm_size(node, &g_lsize);
    MPI_Comm_free(&node);
    return 0;
}

void dist_finalize(void)
{
    if (g_on) MPI_Finalize();
    g_on = 0;
}

void dist_abort(int code)
{
    if (g_on && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

/* MPI counts are int: big buffers go in pieces. */
#define CHUNK ((size_t)1 << 30)

void dist_sum_float(float *buf, size_t n)
{
    if (g_size < 2) return;
    for (size_t o = 0; o < n; o += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, buf + o, (int)(n - o < CHUNK ? n - o : CHUNK), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void dist_sum_double(double *buf, size_t n)
{
    if (g_size < 2) return;
    for (size_t o = 0; o < n; o += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, buf + o, (int)(n - o < CHUNK ? n - o : CHUNK), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void dist_sum_long(long *buf, size_t n)
{
    if (g_size < 2) return;
    for (size_t o = 0; o < n; o += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, buf + o, (int)(n - o < CHUNK ? n - o : CHUNK), MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
}

int dist_all_ok(int ok)
{
    if (g_size < 2) return ok != 0;
    int v = ok != 0;
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return v;
}

void dist_broadcast(void *buf, size_t bytes, int root)
{
    if (g_size < 2) return;
    for (size_t o = 0; o < bytes; o += CHUNK)
        MPI_Bcast((char *)buf + o, (int)(bytes - o < CHUNK ? bytes - o : CHUNK), MPI_BYTE, root, MPI_COMM_WORLD);
}

void dist_gather_rows(void *rows, size_t row_bytes, long n)
{
    if (g_size < 2 || n < 1) return;
    MPI_Datatype row;
    MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &row);
    MPI_Type_commit(&row);
    int *cnt = malloc(2 * sizeof(int) * (size_t)g_size);
    if (!cnt) MPI_Abort(MPI_COMM_WORLD, 1);
    int *disp = cnt + g_size;
    for (int r = 0; r < g_size; r++) {
        long lo, c;
        dist_slice(n, r, g_size, &lo, &c);
        cnt[r] = (int)c, disp[r] = (int)lo;
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, rows, cnt, disp, row, MPI_COMM_WORLD);
    free(cnt);
    MPI_Type_free(&row);
}

void dist_barrier(void)
{
    if (g_size > 1) MPI_Barrier(MPI_COMM_WORLD);
}

#else /* one process */

int dist_built(void) { return 0; }
int dist_init(int *argc, char ***argv, char *err)
{
    (void)argc, (void)argv, (void)err;
    return 0;
}
void dist_finalize(void) {}
void dist_abort(int code) { (void)code; }
void dist_sum_float(float *buf, size_t n) { (void)buf, (void)n; }
void dist_sum_double(double *buf, size_t n) { (void)buf, (void)n; }
void dist_sum_long(long *buf, size_t n) { (void)buf, (void)n; }
int dist_all_ok(int ok) { return ok != 0; }
void dist_broadcast(void *buf, size_t bytes, int root) { (void)buf, (void)bytes, (void)root; }
void dist_gather_rows(void *rows, size_t row_bytes, long n) { (void)rows, (void)row_bytes, (void)n; }
void dist_barrier(void) {}

#endif

void dist_sum_double_cb(void *ctx, double *buf, int n)
{
    (void)ctx;
    dist_sum_double(buf, (size_t)n);
}
