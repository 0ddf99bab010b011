/* Tests for src/common: the generator's distributions, .npy files written by numpy, and
 * atomic writes. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "common/atomicfile.h"
#include "common/err.h"
#include "common/npy.h"
#include "common/rng.h"
#include "common/threads.h"

static const char *fixtures;

static char *fixture(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/common/%s", fixtures, name);
    return buf;
}

START_TEST(test_rng_same_seed_same_stream)
{
    rng_t a, b, c;
    rng_init(&a, 42);
    rng_init(&b, 42);
    rng_init(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a), y = rng_u64(&b), z = rng_u64(&c);
        ck_assert_uint_eq(x, y);
        differ += x != z;
    }
    ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(test_rng_below_uniform)
{
    /* Chi-square over 7 bins with 70000 draws; 6 dof, p=0.001 critical value 22.46. */
    rng_t r;
    rng_init(&r, 7);
    int cnt[7] = {0};
    for (int i = 0; i < 70000; i++) cnt[rng_below(&r, 7)]++;
    double chi = 0;
    for (int k = 0; k < 7; k++) chi += (cnt[k] - 10000.0) * (cnt[k] - 10000.0) / 10000.0;
    ck_assert_double_lt(chi, 22.46);
}
END_TEST

/* Beta(a,b) mean a/(a+b), variance ab/((a+b)^2(a+b+1)); checked to 4 standard errors. */
static void check_beta(double a, double b)
{
    rng_t r;
    rng_init(&r, 1234);
    int n = 200000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_beta(&r, a, b);
        ck_assert(x >= 0.0 && x <= 1.0);
        s += x;
        s2 += x * x;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    double m = a / (a + b), v = a * b / ((a + b) * (a + b) * (a + b + 1));
    ck_assert_double_lt(fabs(mean - m), 4 * sqrt(v / n));
    ck_assert_double_lt(fabs(var - v), 0.02 * v + 4 * sqrt(2.0 / n) * v);
}

START_TEST(test_rng_beta_moments)
{
    check_beta(0.2, 0.2);
    check_beta(1.0, 1.0);
    check_beta(2.0, 2.0);
    check_beta(0.5, 3.0);
    check_beta(0.05, 0.05);
    check_beta(3.0, 0.3);
}
END_TEST

/* Tiny shapes: X and Y both underflow to 0, so X/(X+Y) was 0/0 and the sampler redrew
 * forever (--alpha 1e-30 hung training). Beta(e, e) tends to a fair coin on {0, 1}, and
 * Beta(e, 1) to a point mass at 0: both limits are checked, and every draw must return. */
START_TEST(test_rng_beta_tiny_shapes)
{
    const double tiny[] = {1e-30, 1e-300, 4.9e-324};
    for (int t = 0; t < 3; t++) {
        rng_t r;
        rng_init(&r, 99 + (uint64_t)t);
        int n = 20000, high = 0;
        for (int i = 0; i < n; i++) {
            double x = rng_beta(&r, tiny[t], tiny[t]);
            ck_assert(x >= 0.0 && x <= 1.0);
            ck_assert(x < 1e-6 || x > 1.0 - 1e-6);
            high += x > 0.5;
        }
        /* Binomial(n, 1/2): 5 standard deviations. */
        ck_assert_double_lt(fabs(high - n / 2.0), 5.0 * sqrt(n / 4.0));
        for (int i = 0; i < 2000; i++) {
            ck_assert_double_lt(rng_beta(&r, tiny[t], 1.0), 1e-6);
            ck_assert_double_gt(rng_beta(&r, 1.0, tiny[t]), 1.0 - 1e-6);
            double x = rng_beta(&r, tiny[t], 1e-20);
            ck_assert(x >= 0.0 && x <= 1.0);
        }
    }
}
END_TEST

START_TEST(test_rng_normal_moments)
{
    rng_t r;
    rng_init(&r, 99);
    int n = 200000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_normal(&r);
        s += x;
        s2 += x * x;
    }
    ck_assert_double_lt(fabs(s / n), 4 / sqrt(n));
    ck_assert_double_lt(fabs(s2 / n - 1), 4 * sqrt(2.0 / n));
}
END_TEST

START_TEST(test_rng_permutation)
{
    rng_t r;
    rng_init(&r, 5);
    int p[101], seen[101] = {0};
    rng_permutation(&r, p, 101);
    for (int i = 0; i < 101; i++) seen[p[i]]++;
    for (int i = 0; i < 101; i++) ck_assert_int_eq(seen[i], 1);
}
END_TEST

/* All 120 orders of 5 items equally likely (chi-square, 119 degrees of freedom: the
 * 1e-6 critical value is about 200); a biased bounded draw shows up here. */
START_TEST(test_rng_permutation_uniform)
{
    rng_t r;
    rng_init(&r, 11);
    enum { DRAWS = 120000 };
    static int count[5 * 5 * 5 * 5 * 5];
    for (int k = 0; k < DRAWS; k++) {
        int p[5], code = 0;
        rng_permutation(&r, p, 5);
        for (int i = 0; i < 5; i++) code = code * 5 + p[i];
        count[code]++;
    }
    double chi2 = 0.0, want = DRAWS / 120.0;
    int orders = 0;
    for (int c = 0; c < 5 * 5 * 5 * 5 * 5; c++)
        if (count[c]) {
            orders++;
            chi2 += (count[c] - want) * (count[c] - want) / want;
        }
    ck_assert_int_eq(orders, 120);
    ck_assert_msg(chi2 < 200.0, "chi-square %.1f over 120 orders", chi2);
}
END_TEST

START_TEST(test_rng_derive_independent)
{
    rng_t a, b, c;
    rng_derive(&a, 1, 0, 0);
    rng_derive(&b, 1, 0, 1);
    rng_derive(&c, 1, 0, 0);
    ck_assert_uint_ne(rng_u64(&a), rng_u64(&b));
    rng_derive(&a, 1, 0, 0);
    ck_assert_uint_eq(rng_u64(&a), rng_u64(&c));
}
END_TEST

START_TEST(test_npy_read_numpy_files)
{
    char err[ST_ERR_LEN];
    float *d;
    int nd;
    int64_t sh[NPY_MAX_DIMS];
    ck_assert_msg(npy_read_f32(fixture("arange_f32.npy"), &d, &nd, sh, err) == 0, "%s", err);
    ck_assert_int_eq(nd, 3);
    ck_assert_int_eq(sh[0], 2);
    ck_assert_int_eq(sh[1], 3);
    ck_assert_int_eq(sh[2], 4);
    for (int i = 0; i < 24; i++) ck_assert_float_eq(d[i], (float)i);
    free(d);
    ck_assert_msg(npy_read_f32(fixture("arange_i64.npy"), &d, &nd, sh, err) == 0, "%s", err);
    ck_assert_int_eq(sh[0], 10);
    for (int i = 0; i < 10; i++) ck_assert_float_eq(d[i], (float)(i - 5));
    free(d);
    ck_assert_msg(npy_read_f32(fixture("arange_f64.npy"), &d, &nd, sh, err) == 0, "%s", err);
    for (int i = 0; i < 7; i++) ck_assert_float_eq(d[i], i / 4.0f);
    free(d);
    ck_assert_msg(npy_read_f32(fixture("scalar_f32.npy"), &d, &nd, sh, err) == 0, "%s", err);
    ck_assert_int_eq(nd, 0);
    ck_assert_float_eq(d[0], 2.5f);
    free(d);
}
END_TEST

START_TEST(test_npy_roundtrip_and_truncation)
{
    char err[ST_ERR_LEN], path[] = "/tmp/st_npy_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    float x[6] = {1, -2, 3.5f, 0, 1e-7f, 9};
    int64_t shape[2] = {2, 3};
    ck_assert_msg(npy_write_f32(path, x, 2, shape, err) == 0, "%s", err);
    float *d;
    int nd;
    int64_t sh[NPY_MAX_DIMS];
    ck_assert_msg(npy_read_f32(path, &d, &nd, sh, err) == 0, "%s", err);
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(sh[0], 2);
    ck_assert_int_eq(sh[1], 3);
    ck_assert_mem_eq(d, x, sizeof x);
    free(d);
    /* Drop the last byte: the reader must refuse, naming the file. */
    struct stat st;
    stat(path, &st);
    ck_assert_int_eq(truncate(path, st.st_size - 1), 0);
    ck_assert_int_eq(npy_read_f32(path, &d, &nd, sh, err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    /* Garbage is not a .npy file. */
    FILE *f = fopen(path, "wb");
    fputs("hello world, not numpy", f);
    fclose(f);
    ck_assert_int_eq(npy_read_f32(path, &d, &nd, sh, err), -1);
    unlink(path);
    ck_assert_int_eq(npy_read_f32(path, &d, &nd, sh, err), -1);
}
END_TEST

START_TEST(test_atomic_abort_keeps_old_file)
{
    char err[ST_ERR_LEN], path[] = "/tmp/st_af_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, "old", 3), 3);
    close(fd);
    afile_t a;
    ck_assert_int_eq(afile_open(&a, path, err), 0);
    fputs("new but unfinished", a.f);
    afile_abort(&a);
    char buf[32] = {0};
    FILE *f = fopen(path, "rb");
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 3);
    fclose(f);
    ck_assert_str_eq(buf, "old");
    ck_assert_int_eq(afile_open(&a, path, err), 0);
    fputs("new", a.f);
    fputs("er", a.f);
    ck_assert_int_eq(afile_commit(&a, err), 0);
    f = fopen(path, "rb");
    memset(buf, 0, sizeof buf);
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 5);
    fclose(f);
    ck_assert_str_eq(buf, "newer");
    /* Published with the mode fopen would give (not mkstemp's 0600). */
    mode_t um = umask(022);
    struct stat st;
    ck_assert_int_eq(afile_open(&a, path, err), 0);
    ck_assert_int_eq(afile_commit(&a, err), 0);
    umask(um);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    unlink(path);
    ck_assert_int_eq(afile_open(&a, "/nonexistent-dir/x.bin", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.bin"));
}
END_TEST

/* Entries of folder dir besides "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A child that writes through afile and dies of signal sig before the commit: kill -9 itself
 * (SIGKILL), or exceed a 4 KiB file size limit (SIGXFSZ). */
static void die_while_writing(const char *path, int sig)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char err[ST_ERR_LEN];
        afile_t a;
        if (afile_open(&a, path, err)) _exit(3);
        if (sig == SIGXFSZ) {
            struct rlimit rl = {4096, 4096};
            setrlimit(RLIMIT_FSIZE, &rl);
            signal(SIGXFSZ, SIG_DFL);
        }
        static char buf[1 << 16];
        for (int i = 0; i < 64; i++) {
            fwrite(buf, 1, sizeof buf, a.f);
            fflush(a.f);
        }
        if (sig == SIGKILL) kill(getpid(), SIGKILL);
        _exit(4);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sig, "child status %d", st);
}

START_TEST(test_atomic_kill_leaves_no_temp)
{
    char err[ST_ERR_LEN], dir[] = "/tmp/st_afk_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/last.ckpt", dir);
    FILE *f = fopen(path, "wb");
    fputs("old", f);
    fclose(f);
    /* while a write is open, the folder holds only the old file */
    afile_t a;
    ck_assert_int_eq(afile_open(&a, path, err), 0);
    fputs("new", a.f);
    fflush(a.f);
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(afile_commit(&a, err), 0);
    ck_assert_int_eq(count_entries(dir), 1);
    die_while_writing(path, SIGKILL);
    ck_assert_int_eq(count_entries(dir), 1);
    die_while_writing(path, SIGXFSZ);
    ck_assert_int_eq(count_entries(dir), 1);
    char buf[8] = {0};
    f = fopen(path, "rb");
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 3);
    fclose(f);
    ck_assert_str_eq(buf, "new");
    unlink(path);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Where O_TMPFILE is missing, a kill leaves a named temporary; the next write of that file
 * removes it, and leaves alone the temporaries of live processes and of other hosts. */
START_TEST(test_atomic_named_stale_swept)
{
    char err[ST_ERR_LEN], dir[] = "/tmp/st_afn_XXXXXX", host[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(gethostname(host, sizeof host), 0);
    for (char *h = host; *h; h++)
        if (*h == '.' || *h == '/') *h = '_';
    char path[64], live[512], other[512];
    snprintf(path, sizeof path, "%s/last.ckpt", dir);
    snprintf(live, sizeof live, "%s.tmp.%s.%ld.abcdef", path, host, (long)getppid());
    snprintf(other, sizeof other, "%s.tmp.%s-elsewhere.1.abcdef", path, host);
    fclose(fopen(live, "wb"));
    fclose(fopen(other, "wb"));
    afile_use_named(1);
    die_while_writing(path, SIGKILL);
    ck_assert_int_eq(count_entries(dir), 3); /* the killed writer's temporary is left */
    afile_t a;
    ck_assert_int_eq(afile_open(&a, path, err), 0);
    ck_assert_ptr_nonnull(a.tmp);
    fputs("new", a.f);
    ck_assert_int_eq(afile_commit(&a, err), 0);
    afile_use_named(0);
    ck_assert_int_eq(count_entries(dir), 3); /* last.ckpt, live, other */
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(unlink(live), 0);
    ck_assert_int_eq(unlink(other), 0);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The wait-policy probe sees busy processes: two children that never sleep are runnable at
 * every sample (on any number of cores), so at least 1.5 others on average; the probe runs
 * only on Linux, where /proc/stat exists. */
START_TEST(test_threads_sees_busy_processes)
{
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        ck_assert(kids[k] >= 0);
        if (kids[k] == 0) {
            alarm(30);   /* never outlives a killed test */
            for (volatile unsigned long i = 0;; i++) {
            }
        }
    }
    usleep(50000);
    double others = threads_others_running();
    for (int k = 0; k < 2; k++) kill(kids[k], SIGKILL), waitpid(kids[k], NULL, 0);
    ck_assert_msg(others >= 1.5, "threads_others_running() = %g with two busy processes", others);
}
END_TEST

/* Which wait settings count as the programs' own (no busy-machine warning) */
START_TEST(test_threads_long_spin)
{
    static const struct { const char *policy, *spin; int long_spin; } cases[] = {
        {"PASSIVE", NULL, 0}, {"passive", NULL, 0}, {NULL, THREADS_IDLE_SPINCOUNT, 0},
        {"ACTIVE", NULL, 1}, {NULL, "10000", 1}, {"PASSIVE", "1000", 1}, {NULL, NULL, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].policy) setenv("OMP_WAIT_POLICY", cases[i].policy, 1); else unsetenv("OMP_WAIT_POLICY");
        if (cases[i].spin) setenv("GOMP_SPINCOUNT", cases[i].spin, 1); else unsetenv("GOMP_SPINCOUNT");
        ck_assert_msg(threads_long_spin() == cases[i].long_spin, "OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s",
                      cases[i].policy ? cases[i].policy : "(unset)", cases[i].spin ? cases[i].spin : "(unset)");
    }
    unsetenv("OMP_WAIT_POLICY");
    unsetenv("GOMP_SPINCOUNT");
}
END_TEST

int main(void)
{
    fixtures = check_fixtures_dir();
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rng_same_seed_same_stream);
    tcase_add_test(tc, test_rng_below_uniform);
    tcase_add_test(tc, test_rng_beta_moments);
    tcase_add_test(tc, test_rng_beta_tiny_shapes);
    tcase_add_test(tc, test_rng_normal_moments);
    tcase_add_test(tc, test_rng_permutation);
    tcase_add_test(tc, test_rng_permutation_uniform);
    tcase_add_test(tc, test_rng_derive_independent);
    tcase_add_test(tc, test_npy_read_numpy_files);
    tcase_add_test(tc, test_npy_roundtrip_and_truncation);
    tcase_add_test(tc, test_atomic_abort_keeps_old_file);
    tcase_add_test(tc, test_atomic_kill_leaves_no_temp);
    tcase_add_test(tc, test_atomic_named_stale_swept);
    tcase_add_test(tc, test_threads_sees_busy_processes);
    tcase_add_test(tc, test_threads_long_spin);
    suite_add_tcase(s, tc);
    return check_run(s);
}
