/* src/export's failure paths and files (the ONNX and C files' numbers are checked against ONNX
 * Runtime and predict in tests/onnx):
 *  - a small model exports to ONNX (in builds with ONNX support) and to C, atomically: the
 *    file appears whole and no temporary is left;
 *  - a missing or comma-holding class name, a bad C prefix, a non-finite weight and an
 *    unwritable path are errors with a message, and leave no file behind (this suite also
 *    runs under ASan and valgrind). */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "export/export.h"

static const model_config_t CFG = {1, 3, 2, 8, 8};
static const char *const NAMES[3] = {"yes", "no", "silence"};
static const export_prop_t PROPS[2] = {{"feat.n_mels", "8"}, {"note", "quote \" and \\ and\nnewline"}};
static char dir[256];

static char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* Temporary files (afile_open's *.tmp.*) left in dir. */
static int stray_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

static model_t *small_model(void)
{
    char err[ST_ERR_LEN];
    model_t *m = model_init(&CFG, 1, 7, err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

static export_info_t info_with(const char *const *names)
{
    return (export_info_t){.class_names = names, .props = PROPS, .n_props = 2, .producer_version = "test"};
}

START_TEST(test_c_file)
{
    char err[ST_ERR_LEN];
    model_t *m = small_model();
    export_info_t info = info_with(NAMES);
    ck_assert_msg(export_c(path_of("m.c"), m, &info, "net_1", err) == 0, "%s", err);
    FILE *f = fopen(path_of("m.c"), "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int forward = 0, classes = 0, escaped = 0;
    while (fgets(line, sizeof line, f)) {
        forward += strstr(line, "void net_1_forward(const float *x, float *logits, float *scratch)") != NULL;
        classes += strstr(line, "{\"yes\", \"no\", \"silence\"}") != NULL;
        escaped += strstr(line, "\"quote \\\" and \\\\ and\\012newline\"") != NULL;
    }
    fclose(f);
    ck_assert_int_ge(forward, 2);  /* declaration and definition */
    ck_assert_int_eq(classes, 1);
    ck_assert_int_eq(escaped, 1);
    ck_assert_int_eq(stray_files(), 0);
    model_free(m);
}
END_TEST

START_TEST(test_onnx_file)
{
    char err[ST_ERR_LEN];
    model_t *m = small_model();
    export_info_t info = info_with(NAMES);
    int rc = export_onnx(path_of("m.onnx"), m, &info, err);
    if (rc != 0) {  /* a build without protobuf-c says so */
        ck_assert_msg(strstr(err, "without ONNX support") != NULL, "%s", err);
        ck_assert_int_eq(file_size(path_of("m.onnx")), -1);
    } else {
        /* float32 weights and BN statistics, plus the graph */
        ck_assert_int_gt(file_size(path_of("m.onnx")), (long)(4 * (model_num_params(m) + model_num_bn_stats(m))));
    }
    ck_assert_int_eq(stray_files(), 0);
    model_free(m);
}
END_TEST

START_TEST(test_bad_input)
{
    char err[ST_ERR_LEN];
    model_t *m = small_model();
    const char *const comma[3] = {"yes", "a,b", "silence"};
    const char *const missing[3] = {"yes", NULL, "silence"};
    export_info_t ic = info_with(comma), im = info_with(missing), ok = info_with(NAMES);
    /* ONNX: class names (builds without ONNX refuse everything, with their own message) */
    if (export_onnx(path_of("probe.onnx"), m, &ok, err) == 0) {
        ck_assert_int_eq(export_onnx(path_of("b1.onnx"), m, &ic, err), -1);
        ck_assert_msg(strstr(err, "class 1") != NULL, "%s", err);
        ck_assert_int_eq(export_onnx(path_of("b2.onnx"), m, &im, err), -1);
        ck_assert_msg(strstr(err, "class 1") != NULL, "%s", err);
        ck_assert_int_eq(export_onnx("/nonexistent-dir/m.onnx", m, &ok, err), -1);
        ck_assert_msg(strstr(err, "/nonexistent-dir") != NULL, "%s", err);
        ck_assert_int_eq(file_size(path_of("b1.onnx")) + file_size(path_of("b2.onnx")), -2);
    }
    /* C: prefix, names, path, non-finite weights */
    const char *bad[] = {"", "1net", "a-b", "a b", "abcdefghijabcdefghijabcdefghijabcdefghijX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(export_c(path_of("b.c"), m, &ok, bad[i], err), -1);
        ck_assert_msg(strstr(err, "--prefix") != NULL, "%s", err);
    }
    ck_assert_int_eq(export_c_check_prefix("_Net2", err), 0);
    ck_assert_int_eq(export_c(path_of("b.c"), m, &im, "net", err), -1);
    ck_assert_msg(strstr(err, "class 1") != NULL, "%s", err);
    ck_assert_int_eq(export_c("/nonexistent-dir/m.c", m, &ok, "net", err), -1);
    ck_assert_msg(strstr(err, "/nonexistent-dir") != NULL, "%s", err);
    model_params(m)[5] = NAN;
    ck_assert_int_eq(export_c(path_of("b.c"), m, &ok, "net", err), -1);
    ck_assert_msg(strstr(err, "non-finite") != NULL, "%s", err);
    ck_assert_int_eq(file_size(path_of("b.c")), -1);
    ck_assert_int_eq(stray_files(), 0);
    model_free(m);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/st_export_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_c_file);
    tcase_add_test(tc, test_onnx_file);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    int status = check_run(s);
    check_rm_tmpdir(dir);
    return status;
}
