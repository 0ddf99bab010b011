/* check_main.h: the part of main() that every Check suite shares. tests/meson.build puts
 * tests/ on the include path of every suite (through check_dep). */
#ifndef ST_TESTS_CHECK_MAIN_H
#define ST_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
