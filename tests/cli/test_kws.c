/* test_kws.c: the detection matcher on a hand-written truth and detection list, the
 * detector's smoothing / threshold / refractory rules on hand-made probabilities, and the DET
 * threshold sweep on hand-made window probabilities with the expected rates worked out by
 * hand. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "check_main.h"
#include "common/err.h"
#include "train/detect.h"
#include "train/kws_match.h"

START_TEST(test_matcher_hand_written)
{
    /* keywords 0 = yes, 1 = no; -1 = an unknown word */
    const kws_truth_t truth[] = {{0, 10.0}, {1, 20.0}, {0, 30.0}, {-1, 40.0}, {1, 50.0}, {0, 60.0}};
    const kws_det_t det[] = {
        {0, 10.3},  /* hit yes@10, latency +0.3 */
        {0, 19.9},  /* no@20 said, yes detected: wrong keyword */
        {0, 30.9},  /* outside 0.75 of yes@30: false alarm (yes@30 is a miss) */
        {1, 40.1},  /* near an unknown word only: false alarm */
        {1, 49.5},  /* hit no@50, latency -0.5 */
        {1, 50.2},  /* no@50 already matched: false alarm */
        {0, 59.8},  /* hit yes@60, latency -0.2 (given out of order below) */
    };
    kws_det_t shuffled[7] = {det[6], det[0], det[3], det[1], det[5], det[2], det[4]};
    kws_score_t s;
    char err[ST_ERR_LEN];
    ck_assert_int_eq(kws_match(truth, 6, shuffled, 7, 2, 0.75, &s, err), 0);
    ck_assert_int_eq(s.truth[0], 3);
    ck_assert_int_eq(s.truth[1], 2);
    ck_assert_int_eq(s.hits[0], 2);
    ck_assert_int_eq(s.hits[1], 1);
    ck_assert_int_eq(s.wrong, 1);
    ck_assert_int_eq(s.false_alarms, 3);
    ck_assert_double_eq_tol(s.latency_sum, 0.3 - 0.5 - 0.2, 1e-12);
    kws_score_free(&s);
}
END_TEST

START_TEST(test_detector_rules)
{
    const char *names[] = {"yes", "silence", "unknown"};
    detect_config_t c = {.smooth_ms = 300, .threshold = 0.6, .refractory_ms = 1000};
    char err[ST_ERR_LEN];
    detector_t *d = detect_init(3, names, 0.1, 1.0, &c, err); /* 3 windows averaged */
    ck_assert_ptr_nonnull(d);
    detect_event_t e;
    const float sil[3] = {0.1f, 0.8f, 0.1f}, yes[3] = {0.9f, 0.05f, 0.05f}, unk[3] = {0, 0.1f, 0.9f};
    ck_assert_int_eq(detect_push(d, 0, sil, &e), 0);
    ck_assert_int_eq(detect_push(d, 1, yes, &e), 0); /* mean yes (0.1+0.9)/2 = 0.5 < 0.6 */
    ck_assert_int_eq(detect_push(d, 2, yes, &e), 1); /* mean (0.1+0.9+0.9)/3 = 0.633 */
    ck_assert_int_eq(e.label, 0);
    ck_assert_double_eq_tol(e.start, 0.2, 1e-12);
    ck_assert_double_eq_tol(e.end, 1.2, 1e-12);
    ck_assert_double_eq_tol(e.score, 1.9 / 3, 1e-6);
    for (int i = 3; i < 12; i++) ck_assert_int_eq(detect_push(d, i, yes, &e), 0); /* refractory to 1.2 s */
    ck_assert_int_eq(detect_push(d, 12, yes, &e), 1);
    for (int i = 13; i < 40; i++) ck_assert_int_eq(detect_push(d, i, unk, &e), 0); /* unknown never fires */
    detect_free(d);
}
END_TEST

START_TEST(test_sweep_hand_worked)
{
    /* 20 windows 0.5 s apart, 1 s long: a detection at window w is at time 0.5 w + 0.5; the
     * recording is 20 * 0.5 + 1 = 11 s. No smoothing, no refractory period. */
    const char *names[] = {"yes", "no", "silence"};
    enum { NW = 20 };
    float p[NW][3];
    for (int w = 0; w < NW; w++) p[w][0] = 0.1f, p[w][1] = 0.1f, p[w][2] = 0.8f;
    const float fire[4][4] = {{1, 0.9f, 0.05f, 0.05f},   /* yes at 1.0 s: hit yes@1.0 */
                              {3, 0.3f, 0.6f, 0.1f},     /* no at 2.0 s: hit no@2.0 */
                              {5, 0.55f, 0.4f, 0.05f},   /* yes at 3.0 s: nothing near, false alarm */
                              {10, 0.2f, 0.7f, 0.1f}};   /* no at 5.5 s where yes was said: wrong */
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) p[(int)fire[i][0]][k] = fire[i][k + 1];
    const kws_truth_t truth[] = {{0, 1.0}, {1, 2.0}, {0, 5.5}, {1, 8.0}}; /* no@8.0 is never found */
    detect_config_t c = {.smooth_ms = 0, .threshold = 0.5, .refractory_ms = 0};
    const double hours = 11.0 / 3600.0, per = 1.0 / hours;
    char err[ST_ERR_LEN];
    kws_sweep_t s;
    ck_assert_msg(kws_sweep(&p[0][0], NW, 3, names, &c, 0.5, 1.0, truth, 4, 0.75, hours, &s, err) == 0, "%s", err);
    ck_assert_int_eq(s.n_curves, 3);
    ck_assert_int_eq(s.keyword[0], -1);
    ck_assert_int_eq(s.keyword[1], 0);
    ck_assert_int_eq(s.keyword[2], 1);
    /* {threshold index, all miss, all fa, yes miss, yes fa, no miss, no fa} */
    const double want[][7] = {
        {0, 0.5, 2 * per, 0.5, 1 * per, 0.5, 1 * per},  /* every keyword-topped window fires */
        {50, 0.5, 2 * per, 0.5, 1 * per, 0.5, 1 * per},
        {58, 0.5, 1 * per, 0.5, 0, 0.5, 1 * per},       /* yes 0.55 no longer fires */
        {65, 0.75, 1 * per, 0.5, 0, 1.0, 1 * per},      /* nor no 0.6: only the wrong no is left */
        {80, 0.75, 0, 0.5, 0, 1.0, 0},                  /* only yes 0.9 is left */
        {95, 1.0, 0, 1.0, 0, 1.0, 0},
        {100, 1.0, 0, 1.0, 0, 1.0, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int t = (int)want[i][0];
        for (int j = 0; j < 3; j++) {
            ck_assert_msg(fabs(s.miss[j * KWS_SWEEP_N + t] - want[i][1 + 2 * j]) < 1e-9, "threshold %d curve %d miss %g",
                          t, j, s.miss[j * KWS_SWEEP_N + t]);
            ck_assert_msg(fabs(s.fa[j * KWS_SWEEP_N + t] - want[i][2 + 2 * j]) < 1e-6, "threshold %d curve %d fa %g", t,
                          j, s.fa[j * KWS_SWEEP_N + t]);
        }
    }
    kws_sweep_free(&s);
    /* the replay at one threshold: times are window middles */
    kws_det_t *d;
    int nd;
    c.threshold = 0.65;
    ck_assert_int_eq(kws_replay(&p[0][0], NW, 3, names, &c, 0.5, 1.0, &d, &nd, err), 0);
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(d[0].label, 0);
    ck_assert_double_eq_tol(d[0].time, 1.0, 1e-12);
    ck_assert_int_eq(d[1].label, 1);
    ck_assert_double_eq_tol(d[1].time, 5.5, 1e-12);
    free(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kws");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_matcher_hand_written);
    tcase_add_test(tc, test_detector_rules);
    tcase_add_test(tc, test_sweep_hand_worked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return check_run(suite()); }
