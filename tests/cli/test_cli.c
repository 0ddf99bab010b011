/* Tests for src/cli's shared pieces: the flag parser (opt.c), the shared training flags
 * (trainopts.c: values, errors naming the flag, canonical form parsing back to the same
 * configuration) and the run folder rule. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "cli/opt.h"
#include "cli/progress.h"
#include "cli/trainopts.h"
#include "train/train.h"

static int parse_list(trainopts_t *o, int argc, char **argv, char *err)
{
    for (int i = 0; i < argc; i++) {
        int r = trainopts_parse(o, argc, argv, &i, err);
        if (r <= 0) return r == 0 ? 1 : -1;
    }
    return train_config_finish(&o->tc, err);
}

START_TEST(test_options)
{
    char err[ST_ERR_LEN];
    trainopts_t c;
    trainopts_default(&c);
    /* the paper's speech recipe */
    ck_assert_int_eq(c.tc.epochs, 300);
    ck_assert_int_eq(c.tc.batch, 256);
    ck_assert_int_eq(c.tc.width, 64);
    ck_assert_double_eq(c.tc.lr, 0.05);
    ck_assert_double_eq(c.tc.wd, 5e-4);
    ck_assert_double_eq(c.tc.momentum, 0.9);
    char *a1[] = {"--epochs", "7", "--batch=32", "--weights", "2,0,1,1", "--alpha", "0.5", "--elem", "--lr", "0.1",
                  "--seed", "99", "--no-augment", "--mix-prob", "0.25"};
    ck_assert_msg(parse_list(&c, 15, a1, err) == 0, "%s", err);
    ck_assert_int_eq(c.tc.epochs, 7);
    ck_assert_int_eq(c.tc.batch, 32);
    ck_assert_double_eq(c.tc.mix.weights[MIX_MIXUP], 2);
    ck_assert_double_eq(c.tc.mix.weights[MIX_CUTMIX], 0);
    ck_assert_double_eq(c.tc.mix.alpha[MIX_FMIX], 0.5);
    ck_assert_int_eq(c.tc.mix.elem, 1);
    ck_assert_int_eq(c.tc.augment, 0);
    ck_assert_uint_eq(c.tc.seed, 99);
    /* canonical form parses back to the same configuration */
    char *canon = trainopts_canonical(&c.tc);
    ck_assert_ptr_nonnull(canon);
    int n = 0;
    char *v[128], *s = canon;
    for (char *p = strtok(s, "\n"); p && n < 128; p = strtok(NULL, "\n")) v[n++] = p;
    trainopts_t d;
    trainopts_default(&d);
    ck_assert_msg(parse_list(&d, n, v, err) == 0, "%s", err);
    ck_assert_int_eq(d.tc.epochs, c.tc.epochs);
    ck_assert_int_eq(d.tc.batch, c.tc.batch);
    ck_assert_double_eq(d.tc.lr, c.tc.lr);
    ck_assert_uint_eq(d.tc.seed, c.tc.seed);
    ck_assert_int_eq(d.tc.augment, c.tc.augment);
    ck_assert_int_eq(memcmp(&d.tc.mix, &c.tc.mix, sizeof d.tc.mix), 0);
    free(canon);
    /* errors name the flag */
    trainopts_default(&c);
    char *bad1[] = {"--epochs", "ten"};
    ck_assert_int_eq(parse_list(&c, 2, bad1, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--epochs"));
    char *bad2[] = {"--weights", "1,x,1,1"};
    ck_assert_int_eq(parse_list(&c, 2, bad2, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "weights"));
    trainopts_default(&c);
    char *bad3[] = {"--candidates", "mixup,blend"};
    ck_assert_int_eq(parse_list(&c, 2, bad3, err), -1);
    /* weights given must match the candidates, even when they are all ones */
    trainopts_default(&c);
    char *bad8[] = {"--candidates", "mixup,fmix", "--weights", "1,1,1,1"};
    ck_assert_int_eq(parse_list(&c, 4, bad8, err), -1);
    ck_assert_msg(strstr(err, "4 weights for 2 candidates") != NULL, "%s", err);
    trainopts_default(&c);
    char *ok8[] = {"--candidates", "mixup,fmix"};
    ck_assert_msg(parse_list(&c, 2, ok8, err) == 0, "%s", err);
    ck_assert_double_eq(c.tc.mix.weights[MIX_MIXUP], 1);
    ck_assert_double_eq(c.tc.mix.weights[MIX_FMIX], 1);
    trainopts_default(&c);
    char *bad9[] = {"--weights", "1e308,1e308,1,1"};
    ck_assert_int_eq(parse_list(&c, 2, bad9, err), -1);
    ck_assert_msg(strstr(err, "overflows") && !strstr(err, "all zero"), "%s", err);
    char *bad4[] = {"--lr"};
    ck_assert_int_eq(parse_list(&c, 1, bad4, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--lr"));
    /* long-valued flags: stored whole, range checked */
    trainopts_default(&c);
    char *longs[] = {"--warmup", "1099511627776", "--max-steps=12", "--ckpt-every", "0"};
    ck_assert_msg(parse_list(&c, 5, longs, err) == 0, "%s", err);
    ck_assert_int_eq(c.tc.warmup, 1099511627776L);
    ck_assert_int_eq(c.tc.max_steps, 12);
    ck_assert_int_eq(c.tc.ckpt_every, 0);
    char *bad6[] = {"--max-steps", "-1"};
    ck_assert_int_eq(parse_list(&c, 2, bad6, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--max-steps"));
    char *bad7[] = {"--warmup", "1099511627777"};
    ck_assert_int_eq(parse_list(&c, 2, bad7, err), -1);
    char *bad5[] = {"--no-mix=1"};
    ck_assert_int_eq(parse_list(&c, 1, bad5, err), -1);
    char *unknown[] = {"--frobnicate"};
    ck_assert_int_eq(parse_list(&c, 1, unknown, err), 1);   /* not ours: left to the program */
    /* --candidates alone: one weight each */
    trainopts_default(&c);
    char *two[] = {"--candidates", "mixup,fmix"};
    ck_assert_msg(parse_list(&c, 2, two, err) == 0, "%s", err);
    ck_assert_int_eq(c.tc.mix.ncand, 2);
}
END_TEST

START_TEST(test_opt_table)
{
    char err[ST_ERR_LEN];
    const char *model = NULL;
    int batch = 0, mode = PROGRESS_AUTO;
    double x = 0;
    long l = 0;
    const opt_flag_t flags[] = {{"--model", OPT_STR, &model, 0, 0}, {"--batch", OPT_INT, &batch, 1, 64},
                                {"--x", OPT_DOUBLE, &x, 0, 1}, {"--l", OPT_LONG, &l, 0, 0x1p40}};
    char *a[] = {"--model", "m.ckpt", "--batch=8", "--x", "0.5", "--l", "1099511627776", "--progress", "plain"};
    int n = 9, i;
    for (i = 0; i < 7; i++) ck_assert_int_eq(opt_parse(flags, 4, n, a, &i, err), 1);
    ck_assert_str_eq(model, "m.ckpt");
    ck_assert_int_eq(batch, 8);
    ck_assert_double_eq(x, 0.5);
    ck_assert_int_eq(l, 1099511627776L);
    ck_assert_int_eq(opt_parse(flags, 4, n, a, &i, err), 0);   /* --progress is not in the table */
    ck_assert_int_eq(opt_progress(n, a, &i, &mode, err), 1);
    ck_assert_int_eq(mode, PROGRESS_PLAIN);
    char *bad[] = {"--progress", "fancy"};
    i = 0;
    ck_assert_int_eq(opt_progress(2, bad, &i, &mode, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "'fancy'"));
    char *range[] = {"--batch", "65"};
    i = 0;
    ck_assert_int_eq(opt_parse(flags, 4, 2, range, &i, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--batch: 65 is out of range"));
    char *missing[] = {"--model"};
    i = 0;
    ck_assert_int_eq(opt_parse(flags, 4, 1, missing, &i, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--model: missing value"));
    ck_assert_int_eq(opt_switch("--quiet", "--quiet=1", err), -1);
    ck_assert_int_eq(opt_switch("--quiet", "--quietly", err), 0);
    char *look[] = {"--resume", "a", "--resume=b", "x"};
    ck_assert_str_eq(opt_find("--resume", 4, look), "b");
    ck_assert_ptr_null(opt_find("--out", 4, look));
}
END_TEST

START_TEST(test_run_dir)
{
    char b[64];
    ck_assert_str_eq(train_run_dir("o", "r/last.ckpt", "f", b, sizeof b), "o");
    ck_assert_str_eq(train_run_dir(NULL, "r/s/last.ckpt", "f", b, sizeof b), "r/s");
    ck_assert_str_eq(train_run_dir(NULL, "last.ckpt", "f", b, sizeof b), ".");
    ck_assert_str_eq(train_run_dir(NULL, "/last.ckpt", "f", b, sizeof b), "/");
    ck_assert_str_eq(train_run_dir(NULL, NULL, "f", b, sizeof b), "f");
}
END_TEST

/* Every redraw of the bar fits in COLUMNS - 1 characters (else the terminal wraps it and each
 * redraw adds a line), at 60 and at 30 columns, with a long extra text. */
START_TEST(test_progress_fits_width)
{
    const int widths[] = {60, 30, 120};
    for (int k = 0; k < 3; k++) {
        char cols[16];
        snprintf(cols, sizeof cols, "%d", widths[k]);
        setenv("COLUMNS", cols, 1);
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        progress_t p;
        progress_start(&p, PROGRESS_BAR, "epoch 12/300", 1000);
        p.f = f;
        for (long d = 1; d <= 1000; d += 111)
            progress_update(&p, d, "run ETA 12:34:56 loss 1.2345 acc 0.678 1234 samples/s", 1);
        progress_finish(&p);
        rewind(f);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        int lines = 0;
        for (char *seg = strtok(buf, "\r"); seg; seg = strtok(NULL, "\r")) {
            char *esc = strstr(seg, "\033[K");
            int visible = esc ? (int)(esc - seg) : (int)strlen(seg);
            ck_assert_msg(visible <= widths[k] - 1, "%d columns: %d-character line '%.*s'", widths[k], visible,
                          visible, seg);
            ck_assert_ptr_null(strchr(seg, '\n'));
            if (visible) lines++;
        }
        ck_assert_int_ge(lines, 9);
    }
    unsetenv("COLUMNS");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_options);
    tcase_add_test(tc, test_opt_table);
    tcase_add_test(tc, test_run_dir);
    tcase_add_test(tc, test_progress_fits_width);
    suite_add_tcase(s, tc);
    return check_run(s);
}
