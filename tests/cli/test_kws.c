/* test_kws.c: the detection matcher on a hand-written truth and detection list, and the
 * detector's smoothing / threshold / refractory rules on hand-made probabilities. */
#include <check.h>
#include <math.h>

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

static Suite *suite(void)
{
    Suite *s = suite_create("kws");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_matcher_hand_written);
    tcase_add_test(tc, test_detector_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return check_run(suite()); }
