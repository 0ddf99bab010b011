/* Tests for src/common/text: line walking, key=value lookup, splitting into an argv, and the
 * exact-double formatter (reads back to the same bits; whole numbers as such, others in
 * the shortest %g form that does). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/rng.h"
#include "common/text.h"

START_TEST(test_lines_and_kv)
{
    const char *p = "a=1\nfeat.n=32\n\nlast", *l;
    size_t n;
    const char *want[] = {"a=1", "feat.n=32", "", "last"};
    int k = 0;
    while ((l = text_line(&p, &n))) {
        ck_assert_int_lt(k, 4);
        ck_assert_int_eq((int)n, (int)strlen(want[k]));
        ck_assert_int_eq(strncmp(l, want[k], n), 0);
        k++;
    }
    ck_assert_int_eq(k, 4);
    char v[8];
    ck_assert_int_eq(text_kv_get("a=1\nfeat.n=32\nb=x\n", "feat.n", v, sizeof v), 0);
    ck_assert_str_eq(v, "32");
    ck_assert_int_eq(text_kv_get("a=1\nfeat.nn=32\n", "feat.n", v, sizeof v), -1);
    ck_assert_int_eq(text_kv_get("k=0123456789\n", "k", v, sizeof v), 0);   /* cut to the buffer */
    ck_assert_str_eq(v, "0123456");
    ck_assert_int_eq(text_kv_get(NULL, "k", v, sizeof v), -1);
}
END_TEST

START_TEST(test_lines_split)
{
    int n = -1;
    char **v = text_lines_split("--epochs\n7\n--out\nruns/x y\n", &n);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(v[0], "--epochs");
    ck_assert_str_eq(v[3], "runs/x y");
    ck_assert_ptr_null(v[4]);
    text_lines_free(v);
    v = text_lines_split("", &n);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(v[0]);
    text_lines_free(v);
    text_lines_free(NULL);
}
END_TEST

START_TEST(test_double_exact_and_shortest)
{
    rng_t r;
    rng_derive(&r, 5, 0, 0);
    char b[TEXT_DOUBLE_LEN], shorter[TEXT_DOUBLE_LEN];
    for (int i = 0; i < 20000; i++) {
        double v;
        uint64_t bits = rng_u64(&r);
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        if (i % 2) v = rng_uniform(&r) * pow(10, (int)(rng_u64(&r) % 40) - 20);
        text_double(b, v);
        ck_assert_msg(strtod(b, NULL) == v, "%s does not read back", b);
        if (v == floor(v) && fabs(v) < 1e15) continue;   /* written as a whole number */
        /* one digit fewer would not read back: it is the shortest %g form */
        int digits = 0;
        for (int p = 1; p <= 17; p++) {
            snprintf(shorter, sizeof shorter, "%.*g", p, v);
            if (!strcmp(shorter, b)) {
                digits = p;
                break;
            }
        }
        ck_assert_int_gt(digits, 0);
        if (digits > 1) {
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, v);
            ck_assert_msg(strtod(shorter, NULL) != v, "%s is shorter than %s", shorter, b);
        }
    }
    ck_assert_str_eq(text_double(b, 0.1), "0.1");
    ck_assert_str_eq(text_double(b, 8000), "8000");
    ck_assert_str_eq(text_double(b, -0.0), "-0");
    ck_assert_str_eq(text_double(b, 1e15), "1e+15");
    ck_assert_str_eq(text_double(b, 2.5e-7), "2.5e-07");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lines_and_kv);
    tcase_add_test(tc, test_lines_split);
    tcase_add_test(tc, test_double_exact_and_shortest);
    suite_add_tcase(s, tc);
    return check_run(s);
}
