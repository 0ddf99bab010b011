/* check_main.h: what every Check suite shares: main()'s runner and the fixture loader.
 * tests/meson.build puts tests/ and src/ on the include path of every suite (check_dep). */
#ifndef ST_TESTS_CHECK_MAIN_H
#define ST_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/npy.h"

/* The fixtures folder: ST_FIXTURES (meson sets it), else tests/fixtures, so a suite also runs
 * by hand from the source root. */
static inline const char *check_fixtures_dir(void)
{
    const char *dir = getenv("ST_FIXTURES");
    return dir ? dir : "tests/fixtures";
}

/* getenv(name) for a suite that cannot run without it: NULL, said on stderr, when unset. */
static inline const char *check_require_env(const char *name)
{
    const char *v = getenv(name);
    if (!v) fprintf(stderr, "%s is not set\n", name);
    return v;
}

/* Removes a suite's scratch folder (rm -rf) after its run. A leftover folder in /tmp does not
 * fail the suite, so it is only said on stderr. */
static inline void check_rm_tmpdir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Runs every test of s with CK_NORMAL output (CK_FORK as the environment says) and frees it.
 * Returns main()'s exit status: EXIT_FAILURE when any test failed, else EXIT_SUCCESS. */
static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A float32 fixture array and its shape. */
typedef struct {
    float *d;
    size_t n;
    int64_t shape[NPY_MAX_DIMS];
    int ndim;
} arr_t;

/* Loads the .npy at path; fails the test when it cannot. */
static inline arr_t arr_load(const char *path)
{
    char err[ST_ERR_LEN];
    arr_t a = {0};
    if (npy_read_f32(path, &a.d, &a.ndim, a.shape, err) != 0) ck_abort_msg("%s", err);
    a.n = 1;
    for (int i = 0; i < a.ndim; i++) a.n *= (size_t)a.shape[i];
    return a;
}

#endif
