/* Tests for the Speech Commands dataset on small generated layouts: the sha1 rule against
 * Python's hashlib (scripts/gen_audio_fixtures.py), splits by lists, labels, '_' folders,
 * silence, bad files (skip vs strict), the cache and its invalidation, and reproducible
 * batches across thread counts. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "audio/sc_internal.h"
#include "audio/speechcommands.h"
#include "check_main.h"
#include "common/err.h"

static const char *fixtures;

/* The fixture's (name, split) pairs from hashlib. */
#define MAXN 128
static char names[MAXN][64];
static int expect_split[MAXN], nnames;

static void load_sha1(void)
{
    char path[1024], split[32];
    snprintf(path, sizeof path, "%s/audio/sha1_split.txt", fixtures);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    nnames = 0;
    while (nnames < MAXN && fscanf(f, "%63s %31s", names[nnames], split) == 2) {
        expect_split[nnames] = strcmp(split, "validation") == 0 ? SC_VALIDATION
                               : strcmp(split, "testing") == 0  ? SC_TEST
                                                                : SC_TRAIN;
        ck_assert(strcmp(split, "training") == 0 || expect_split[nnames] != SC_TRAIN);
        nnames++;
    }
    fclose(f);
    ck_assert_int_gt(nnames, 90);
}

static void write_wav(const char *path, const float *x, int n, int rate)
{
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    ck_assert_msg(f != NULL, "%s: %s", path, sf_strerror(NULL));
    ck_assert_int_eq(sf_writef_float(f, x, n), n);
    sf_close(f);
}

static void tone_file(const char *dir, const char *rel, int k, int n)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    float *x = malloc((size_t)n * sizeof *x);
    for (int i = 0; i < n; i++) x[i] = 0.3f * (float)sin(2 * M_PI * (200 + 37 * k) * i / 16000.0);
    write_wav(path, x, n, 16000);
    free(x);
}

static void mkdirf(const char *dir, const char *sub)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static const char *words[] = {"yes", "no", "stop", "bed", "cat"};
#define NWORDS 5

/* DIR with the fixture names spread over 5 words (2 unknown), background noise (3.5 s),
 * a '_'-folder and a hidden folder that must be ignored. Returns a malloc'd path. */
static char *make_layout(void)
{
    load_sha1();
    char *dir = strdup("/tmp/st_sc_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (int w = 0; w < NWORDS; w++) mkdirf(dir, words[w]);
    mkdirf(dir, "_background_noise_");
    mkdirf(dir, "_not_a_word");
    mkdirf(dir, ".hidden");
    for (int i = 0; i < nnames; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%.63s", words[i % NWORDS], names[i]);
        tone_file(dir, rel, i, 12000 + 40 * i); /* shorter than 1 s: padded */
    }
    tone_file(dir, "_not_a_word/x_nohash_0.wav", 1, 16000);
    tone_file(dir, ".hidden/y_nohash_0.wav", 1, 16000);
    char path[2048];
    const int nn[2] = {24000, 32000};
    for (int j = 0; j < 2; j++) {
        float *x = malloc(nn[j] * sizeof *x);
        for (int i = 0; i < nn[j]; i++) x[i] = 0.5f * (float)sin(i * (0.7 + j * 0.3)) * (float)sin(i * 0.0011);
        snprintf(path, sizeof path, "%s/_background_noise_/noise%d.wav", dir, j);
        write_wav(path, x, nn[j], 16000);
        free(x);
    }
    return dir;
}

static void rm_tree(char *dir)
{
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

static sc_dataset_t *open_ds(const char *dir, sc_options_t *o, char *err)
{
    feat_config_t fc;
    feat_config_default(&fc);
    return sc_open(dir, &fc, o, err);
}

/* open_ds that must succeed. */
static sc_dataset_t *open_ok(const char *dir, sc_options_t *o)
{
    char err[ST_ERR_LEN];
    sc_dataset_t *d = open_ds(dir, o, err);
    ck_assert_msg(d != NULL, "%s", err);
    return d;
}

/* The default options without the cache, which only test_cache_and_invalidation wants. */
static sc_options_t options_uncached(void)
{
    sc_options_t o;
    sc_options_default(&o);
    o.use_cache = 0;
    return o;
}

static int name_index(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    for (int i = 0; i < nnames; i++)
        if (strcmp(names[i], base) == 0) return i;
    return -1;
}

START_TEST(test_hash_rule_matches_hashlib)
{
    load_sha1();
    for (int i = 0; i < nnames; i++) {
        ck_assert_msg(sc_hash_split(names[i]) == expect_split[i], "%s", names[i]);
        char withdir[128];
        snprintf(withdir, sizeof withdir, "yes/%s", names[i]);
        ck_assert_int_eq(sc_hash_split(withdir), expect_split[i]);
    }
}
END_TEST

START_TEST(test_split_by_hash_and_labels)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    sc_dataset_t *d = open_ok(dir, &o);
    int words_per_split[SC_NSPLITS] = {0}, seen = 0;
    for (int i = 0; i < nnames; i++) words_per_split[expect_split[i]]++;
    for (int s = 0; s < SC_NSPLITS; s++) {
        int nw = 0, nsil = 0;
        for (int i = 0; i < sc_count(d, s); i++) {
            const char *p = sc_path(d, s, i);
            int lab = sc_label(d, s, i);
            if (!p) {
                ck_assert_int_eq(lab, SC_SILENCE);
                nsil++;
                continue;
            }
            nw++;
            seen++;
            ck_assert_msg(p[0] != '_' && p[0] != '.', "%s is not a word folder", p);
            int k = name_index(p);
            ck_assert_msg(k >= 0, "%s", p);
            ck_assert_msg(expect_split[k] == s, "%s in split %d, hashlib says %d", p, s, expect_split[k]);
            const char *w = words[k % NWORDS];
            ck_assert(strncmp(p, w, strlen(w)) == 0);
            int want = strcmp(w, "yes") == 0 ? 0 : strcmp(w, "no") == 0 ? 1 : strcmp(w, "stop") == 0 ? 8 : SC_UNKNOWN;
            ck_assert_int_eq(lab, want);
            ck_assert_str_eq(sc_class_names[lab], strcmp(w, "bed") == 0 || strcmp(w, "cat") == 0 ? "unknown" : w);
        }
        ck_assert_int_eq(nw, words_per_split[s]);
        ck_assert_int_eq(nsil, (int)floor(0.1 * words_per_split[s]));
        ck_assert_int_eq(sc_class_count(d, s, SC_SILENCE), nsil);
    }
    ck_assert_int_eq(seen, nnames);
    ck_assert_int_eq(sc_skipped(d), 0);
    ck_assert_int_eq(sc_height(d), 32);
    ck_assert_int_eq(sc_width(d), 32);
    sc_free(d);
    rm_tree(dir);
}
END_TEST

/* The folder of a clip path ("yes/x.wav" -> "yes"), compared with a class name. */
static int in_folder(const char *path, const char *word)
{
    size_t n = strlen(word);
    return strncmp(path, word, n) == 0 && path[n] == '/';
}

START_TEST(test_keywords_three)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    o.keywords = "cat,yes,bed";
    sc_dataset_t *d = open_ok(dir, &o);
    const char *want[] = {"cat", "yes", "bed", "silence", "unknown"};
    ck_assert_int_eq(sc_nclasses(d), 5);
    for (int k = 0; k < 5; k++) ck_assert_str_eq(sc_classes(d)[k], want[k]);
    int total = 0;
    for (int s = 0; s < SC_NSPLITS; s++)
        for (int i = 0; i < sc_count(d, s); i++) {
            const char *p = sc_path(d, s, i);
            int lab = sc_label(d, s, i);
            if (!p) {
                ck_assert_int_eq(lab, 3);
                continue;
            }
            total++;
            int k = name_index(p);
            const char *w = words[k % NWORDS];
            int expect = !strcmp(w, "cat") ? 0 : !strcmp(w, "yes") ? 1 : !strcmp(w, "bed") ? 2 : 4;
            ck_assert_msg(lab == expect, "%s: label %d, expected %d", p, lab, expect);
        }
    ck_assert_int_eq(total, nnames);
    sc_free(d);

    /* Without unknown and silence: the other words are left out, no silence items. */
    o.no_unknown = 1;
    o.no_silence = 1;
    d = open_ok(dir, &o);
    ck_assert_int_eq(sc_nclasses(d), 3);
    int kept = 0, expect_kept = 0;
    for (int i = 0; i < nnames; i++) {
        const char *w = words[i % NWORDS];
        expect_kept += !strcmp(w, "cat") || !strcmp(w, "yes") || !strcmp(w, "bed");
    }
    for (int s = 0; s < SC_NSPLITS; s++)
        for (int i = 0; i < sc_count(d, s); i++) {
            const char *p = sc_path(d, s, i);
            ck_assert_ptr_nonnull(p);
            ck_assert(in_folder(p, sc_classes(d)[sc_label(d, s, i)]));
            kept++;
        }
    ck_assert_int_eq(kept, expect_kept);
    sc_free(d);

    char err[ST_ERR_LEN];
    o.keywords = "yes,dog";
    ck_assert_ptr_null(open_ds(dir, &o, err));
    ck_assert_msg(strstr(err, "dog") != NULL, "%s", err);
    o.keywords = "yes,yes";
    ck_assert_ptr_null(open_ds(dir, &o, err));
    ck_assert_msg(strstr(err, "twice") != NULL, "%s", err);
    o.keywords = "yes,silence";
    ck_assert_ptr_null(open_ds(dir, &o, err));
    rm_tree(dir);
}
END_TEST

START_TEST(test_keywords_all)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    o.keywords = "all";
    o.no_silence = 1;
    sc_dataset_t *d = open_ok(dir, &o);
    /* Every word folder is a class, sorted; '_' and hidden folders are not words. */
    ck_assert_int_eq(sc_nclasses(d), NWORDS);
    const char *sorted[] = {"bed", "cat", "no", "stop", "yes"};
    for (int k = 0; k < NWORDS; k++) ck_assert_str_eq(sc_classes(d)[k], sorted[k]);
    for (int s = 0; s < SC_NSPLITS; s++)
        for (int i = 0; i < sc_count(d, s); i++)
            ck_assert(in_folder(sc_path(d, s, i), sc_classes(d)[sc_label(d, s, i)]));
    sc_free(d);
    o.no_silence = 0;
    d = open_ok(dir, &o);
    ck_assert_int_eq(sc_nclasses(d), NWORDS + 1);
    ck_assert_str_eq(sc_classes(d)[NWORDS], "silence");
    sc_free(d);
    rm_tree(dir);
}
END_TEST

START_TEST(test_split_by_lists)
{
    char *dir = make_layout();
    char path[2048];
    snprintf(path, sizeof path, "%s/validation_list.txt", dir);
    FILE *f = fopen(path, "w");
    /* names[0..2] by hash are training; the lists override. One entry has no file. */
    fprintf(f, "%s/%s\n%s/%s\r\nyes/missing_nohash_0.wav\n", words[0], names[0], words[1], names[1]);
    fclose(f);
    snprintf(path, sizeof path, "%s/testing_list.txt", dir);
    f = fopen(path, "w");
    fprintf(f, "%s/%s\n", words[2], names[2]);
    fclose(f);
    sc_options_t o = options_uncached();
    o.silence_frac = 0.0;
    sc_dataset_t *d = open_ok(dir, &o);
    ck_assert_int_eq(sc_count(d, SC_VALIDATION), 2);
    ck_assert_int_eq(sc_count(d, SC_TEST), 1);
    ck_assert_int_eq(sc_count(d, SC_TRAIN), nnames - 3);
    ck_assert_str_eq(sc_path(d, SC_TEST, 0), "stop/00002abc_nohash_2.wav");
    ck_assert_ptr_nonnull(strstr(sc_path(d, SC_VALIDATION, 0), names[0]) ? sc_path(d, SC_VALIDATION, 0)
                                                                          : sc_path(d, SC_VALIDATION, 1));
    sc_free(d);
    rm_tree(dir);
}
END_TEST

START_TEST(test_bad_file_skip_and_strict)
{
    char *dir = make_layout();
    char path[2048];
    snprintf(path, sizeof path, "%s/yes/corrupt_nohash_0.wav", dir);
    FILE *f = fopen(path, "w");
    fputs("not a wav file\n", f);
    fclose(f);
    sc_options_t o = options_uncached();
    sc_dataset_t *d = open_ok(dir, &o);
    ck_assert_int_eq(sc_skipped(d), 1);
    int total = 0;
    for (int s = 0; s < SC_NSPLITS; s++)
        for (int i = 0; i < sc_count(d, s); i++) {
            const char *p = sc_path(d, s, i);
            ck_assert(!p || !strstr(p, "corrupt"));
            total += p != NULL;
        }
    ck_assert_int_eq(total, nnames);
    sc_free(d);
    /* The report line goes to the log when not quiet. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    feat_config_t fc;
    feat_config_default(&fc);
    o.log = mem;
    char err[ST_ERR_LEN];
    d = sc_open(dir, &fc, &o, err);
    fclose(mem);
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(strstr(buf, "corrupt_nohash_0.wav: cannot read as audio"), "%s", buf);
    ck_assert_msg(strstr(buf, "skipped 1 bad file"), "%s", buf);
    ck_assert_msg(strstr(buf, "validation"), "%s", buf);
    free(buf);
    sc_free(d);
    o.log = NULL;
    o.strict = 1;
    d = open_ds(dir, &o, err);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(err, "corrupt_nohash_0.wav") && strstr(err, "strict"), "%s", err);
    rm_tree(dir);
}
END_TEST

START_TEST(test_missing_noise_is_an_error)
{
    char *dir = make_layout();
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -r '%s/_background_noise_'", dir);
    ck_assert_int_eq(system(cmd), 0);
    sc_options_t o = options_uncached();
    char err[ST_ERR_LEN];
    ck_assert_ptr_null(open_ds(dir, &o, err));
    ck_assert_msg(strstr(err, "_background_noise_"), "%s", err);
    o.silence_frac = 0;
    sc_free(open_ok(dir, &o));
    ck_assert_ptr_null(open_ds("/nonexistent/dir", &o, err));
    ck_assert_msg(strstr(err, "/nonexistent/dir"), "%s", err);
    rm_tree(dir);
}
END_TEST

/* A folder of word folders none of which is a command is not a Speech Commands corpus. */
START_TEST(test_no_command_word_is_an_error)
{
    char *dir = make_layout();
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -r '%s/yes' '%s/no' '%s/stop'", dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    sc_options_t o = options_uncached();
    char err[ST_ERR_LEN];
    ck_assert_ptr_null(open_ds(dir, &o, err));
    ck_assert_msg(strstr(err, "not in the Speech Commands layout") && strstr(err, dir), "%s", err);
    rm_tree(dir);
}
END_TEST

/* Waveforms of every item of a split, concatenated. */
static float *all_waves(const sc_dataset_t *d, int split, long epoch)
{
    int n = sc_count(d, split);
    float *w = malloc((size_t)n * 16000 * sizeof *w);
    for (int i = 0; i < n; i++) sc_waveform(d, split, i, epoch, w + (size_t)i * 16000);
    return w;
}

START_TEST(test_cache_and_invalidation)
{
    char *dir = make_layout();
    sc_options_t o;
    sc_options_default(&o);
    sc_dataset_t *a = open_ok(dir, &o);
    ck_assert_int_eq(sc_cache_hit(a), 0);
    char cache[2048];
    snprintf(cache, sizeof cache, "%s/.speechtrain-cache-16000-16000.bin", dir);
    ck_assert_int_eq(access(cache, R_OK), 0);
    sc_dataset_t *b = open_ok(dir, &o);
    ck_assert_int_eq(sc_cache_hit(b), 1);
    for (int s = 0; s < SC_NSPLITS; s++) {
        ck_assert_int_eq(sc_count(a, s), sc_count(b, s));
        float *wa = all_waves(a, s, 3), *wb = all_waves(b, s, 3);
        ck_assert_int_eq(memcmp(wa, wb, (size_t)sc_count(a, s) * 16000 * sizeof *wa), 0);
        free(wa);
        free(wb);
    }
    /* Decoded samples are the 16-bit values written (exact int16 storage). */
    float clip[16000];
    const char *p0 = sc_path(a, SC_VALIDATION, 0);
    char path[2048], err[ST_ERR_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, p0);
    float ref[16000];
    ck_assert_int_eq(audio_load_clip(path, 16000, 16000, ref, err), 0);
    sc_waveform(b, SC_VALIDATION, 0, 0, clip);
    ck_assert_int_eq(memcmp(clip, ref, sizeof clip), 0);
    sc_free(b);
    /* Rewrite that file with other content of the same size: the cache must be rebuilt. */
    struct stat st0;
    ck_assert_int_eq(stat(path, &st0), 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    float *x = malloc(sizeof(float) * 16000);
    int nsamp = (int)((st0.st_size - 44) / 2);
    for (int i = 0; i < nsamp; i++) x[i] = 0.1f;
    write_wav(path, x, nsamp, 16000);
    free(x);
    struct stat st1;
    ck_assert_int_eq(stat(path, &st1), 0);
    ck_assert_int_eq(st0.st_size, st1.st_size);
    b = open_ok(dir, &o);
    ck_assert_int_eq(sc_cache_hit(b), 0);
    sc_waveform(b, SC_VALIDATION, 0, 0, clip);
    ck_assert_float_eq_tol(clip[10], 0.1f, 1e-4);
    sc_free(b);
    /* A corrupted cache file is ignored and rewritten, never trusted. */
    FILE *f = fopen(cache, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    ck_assert_int_eq(ftruncate(fileno(f), sz / 2), 0);
    fclose(f);
    b = open_ok(dir, &o);
    ck_assert_int_eq(sc_cache_hit(b), 0);
    sc_free(b);
    /* One flipped bit in the samples: the checksum catches it, the cache is said to be damaged
     * and rebuilt, and the audio is the decoded one. */
    f = fopen(cache, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, sz * 3 / 4, SEEK_SET);
    int byte = fgetc(f);
    fseek(f, sz * 3 / 4, SEEK_SET);
    fputc(byte ^ 0x10, f);
    fclose(f);
    char logbuf[4096] = {0};
    FILE *logf = fmemopen(logbuf, sizeof logbuf - 1, "w");
    o.log = logf;
    feat_config_t fc;
    feat_config_default(&fc);
    b = sc_open(dir, &fc, &o, err);
    fclose(logf);
    o.log = NULL;
    ck_assert_msg(b != NULL, "%s", err);
    ck_assert_int_eq(sc_cache_hit(b), 0);
    ck_assert_msg(strstr(logbuf, "checksum mismatch") && strstr(logbuf, cache), "log: %s", logbuf);
    sc_options_t ou = options_uncached();
    sc_dataset_t *c = open_ok(dir, &ou);
    for (int s = 0; s < SC_NSPLITS; s++) {
        float *wc = all_waves(c, s, 3), *wb = all_waves(b, s, 3);
        ck_assert_int_eq(memcmp(wc, wb, (size_t)sc_count(c, s) * 16000 * sizeof *wc), 0);
        free(wc);
        free(wb);
    }
    sc_free(c);
    sc_free(b);
    b = open_ok(dir, &o);
    ck_assert_int_eq(sc_cache_hit(b), 1);
    sc_free(b);
    sc_free(a);
    rm_tree(dir);
}
END_TEST

/* A cache written with a NaN scale or noise sample (valid checksum) is refused on load. */
START_TEST(test_cache_refuses_nonfinite)
{
    char path[] = "/tmp/st_cache_XXXXXX", err[ST_ERR_LEN];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    int16_t pcm[2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8};
    float scale[2] = {0.5f, 0.25f}, noise[3] = {0.1f, 0.2f, 0.3f};
    uint8_t bad[2] = {0, 0};
    for (int k = 0; k < 3; k++) {
        if (k == 1) scale[1] = NAN;
        if (k == 2) scale[1] = 0.25f, noise[2] = INFINITY;
        sc_audio_t w = {.nitems = 2, .clip = 4, .pcm = pcm, .scale = scale, .bad = bad,
                        .nnoise = 3, .noise = noise, .nmsgs = 3};
        char *msgs[3] = {NULL, NULL, NULL};
        w.msgs = msgs;
        ck_assert_msg(sc_cache_save(path, 42, 1, &w, err) == 0, "%s", err);
        sc_audio_t r;
        int rc = sc_cache_load(path, 42, 2, 1, 4, &r, err);
        if (k == 0) {
            ck_assert_msg(rc == 0, "%s", err);
            ck_assert_int_eq(memcmp(r.pcm, pcm, sizeof pcm), 0);
            ck_assert_float_eq(r.scale[1], 0.25f);
            sc_audio_free(&r);
            /* another key: no cache for it, and nothing to say */
            ck_assert_int_eq(sc_cache_load(path, 43, 2, 1, 4, &r, err), -1);
            ck_assert_str_eq(err, "");
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_msg(strstr(err, "not finite") || strstr(err, "non-finite"), "%s", err);
        }
    }
    unlink(path);
}
END_TEST

/* A batch of the first (at most 24, to stay quick under valgrind) items of the epoch order. */
static float *batch(const sc_dataset_t *d, int split, long epoch, int threads, int *labels, int *n)
{
    int all = sc_count(d, split);
    int *idx = malloc((size_t)all * sizeof *idx);
    sc_epoch_order(d, split, epoch, idx, all);
    *n = all < 24 ? all : 24;
    float *x = malloc((size_t)*n * 1024 * sizeof *x);
    omp_set_num_threads(threads);
    sc_batch(d, split, idx, *n, epoch, x, labels);
    free(idx);
    return x;
}

START_TEST(test_reproducible_across_threads)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    o.seed = 11;
    sc_dataset_t *d = open_ok(dir, &o);
    int n, m;
    int *la = malloc(256 * sizeof(int)), *lb = malloc(256 * sizeof(int));
    float *a = batch(d, SC_TRAIN, 2, 1, la, &n);
    float *b = batch(d, SC_TRAIN, 2, 3, lb, &m);
    ck_assert_int_eq(memcmp(a, b, (size_t)n * 1024 * sizeof *a), 0);
    ck_assert_int_eq(memcmp(la, lb, (size_t)n * sizeof *la), 0);
    float *c = batch(d, SC_TRAIN, 3, 2, lb, &m); /* another epoch: other order and augmentation */
    ck_assert_int_ne(memcmp(a, c, (size_t)n * 1024 * sizeof *a), 0);
    for (int i = 0; i < n * 1024; i++) ck_assert(a[i] >= -0.5f && a[i] <= 0.5f);
    free(c);
    /* Another seed changes training batches but not evaluation ones. */
    float *ev1 = batch(d, SC_VALIDATION, 0, 2, la, &n);
    float *ev2 = batch(d, SC_VALIDATION, 5, 1, lb, &m);
    ck_assert_int_eq(memcmp(ev1, ev2, (size_t)n * 1024 * sizeof *ev1), 0); /* no augmentation */
    o.seed = 12;
    sc_dataset_t *e = open_ok(dir, &o);
    float *t2 = batch(e, SC_TRAIN, 2, 1, lb, &m);
    ck_assert_int_ne(memcmp(a, t2, (size_t)m * 1024 * sizeof *a), 0);
    float *ev3 = batch(e, SC_VALIDATION, 0, 1, lb, &m);
    ck_assert_int_eq(memcmp(ev1, ev3, (size_t)n * 1024 * sizeof *ev1), 0);
    /* Evaluation items are the decoded clip through the front end, nothing else. */
    feat_config_t fc;
    feat_config_default(&fc);
    mel_t *mel = mel_init(&fc, NULL);
    mel_work_t *mw = mel_work_init(mel, NULL);
    float clip[16000], ref[1024];
    for (int i = 0; i < n; i++) {
        sc_waveform(d, SC_VALIDATION, i, 0, clip);
        mel_compute(mel, mw, clip, ref);
        ck_assert_int_eq(memcmp(ref, ev1 + (size_t)i * 1024, sizeof ref), 0);
    }
    mel_work_free(mw);
    mel_free(mel);
    free(t2);
    free(ev1);
    free(ev2);
    free(ev3);
    free(a);
    free(b);
    free(la);
    free(lb);
    sc_free(e);
    sc_free(d);
    rm_tree(dir);
}
END_TEST

START_TEST(test_silence_items)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    o.augment = 0;
    sc_dataset_t *d = open_ok(dir, &o);
    /* Concatenated noise as written (3.5 s -> 3 windows of 1 s). */
    float *noise = malloc(56000 * sizeof *noise);
    char path[2048], err[ST_ERR_LEN];
    long got = 0;
    for (int j = 0; j < 2; j++) {
        float *x;
        long m;
        snprintf(path, sizeof path, "%s/_background_noise_/noise%d.wav", dir, j);
        ck_assert_int_eq(audio_read(path, 16000, &x, &m, err), 0);
        memcpy(noise + got, x, m * sizeof *x);
        got += m;
        free(x);
    }
    ck_assert_int_eq(got, 56000);
    int windows_seen[3] = {0};
    for (int s = 0; s < SC_NSPLITS; s++)
        for (int i = 0; i < sc_count(d, s); i++) {
            if (sc_path(d, s, i)) continue;
            for (long epoch = 0; epoch < 4; epoch++) {
                float clip[16000];
                sc_waveform(d, s, i, epoch, clip);
                /* clip = g * window w for one w in 0..2 and g in [0, 1). */
                int match = -1;
                for (int w = 0; w < 3 && match < 0; w++) {
                    const float *src = noise + w * 16000;
                    double g = clip[1000] / src[1000];
                    int ok = g >= 0 && g < 1;
                    for (int k = 0; ok && k < 16000; k += 97) ok = fabs(clip[k] - g * src[k]) < 1e-6;
                    if (ok) match = w;
                }
                ck_assert_msg(match >= 0, "split %d item %d is not a scaled noise window", s, i);
                windows_seen[match]++;
                if (s != SC_TRAIN) { /* fixed across epochs */
                    float again[16000];
                    sc_waveform(d, s, i, epoch + 10, again);
                    ck_assert_int_eq(memcmp(clip, again, sizeof clip), 0);
                }
            }
        }
    ck_assert(windows_seen[0] && windows_seen[1] && windows_seen[2]);
    free(noise);
    sc_free(d);
    rm_tree(dir);
}
END_TEST

START_TEST(test_epoch_order)
{
    char *dir = make_layout();
    sc_options_t o = options_uncached();
    sc_dataset_t *d = open_ok(dir, &o);
    int n = sc_count(d, SC_TRAIN);
    int *ord = malloc(3 * n * sizeof *ord), *ord2 = malloc(3 * n * sizeof *ord);
    sc_epoch_order(d, SC_TRAIN, 0, ord, 2 * n + 5);
    for (int r = 0; r < 2; r++) { /* each full round is a permutation */
        char *seen = calloc(n, 1);
        for (int k = 0; k < n; k++) {
            ck_assert(ord[r * n + k] >= 0 && ord[r * n + k] < n);
            ck_assert(!seen[ord[r * n + k]]);
            seen[ord[r * n + k]] = 1;
        }
        free(seen);
    }
    sc_epoch_order(d, SC_TRAIN, 0, ord2, 2 * n + 5);
    ck_assert_int_eq(memcmp(ord, ord2, (2 * n + 5) * sizeof *ord), 0);
    sc_epoch_order(d, SC_TRAIN, 1, ord2, n);
    ck_assert_int_ne(memcmp(ord, ord2, n * sizeof *ord), 0);
    sc_free(d);
    /* Balanced: 4 classes present in training (yes, no, stop, unknown) plus silence. */
    o.balance = 1;
    d = open_ok(dir, &o);
    int draws = 50000;
    int *big = malloc(draws * sizeof *big), cnt[SC_NCLASSES] = {0}, present = 0;
    sc_epoch_order(d, SC_TRAIN, 0, big, draws);
    for (int k = 0; k < draws; k++) cnt[sc_label(d, SC_TRAIN, big[k])]++;
    for (int c = 0; c < SC_NCLASSES; c++) present += sc_class_count(d, SC_TRAIN, c) > 0;
    ck_assert_int_eq(present, 5);
    for (int c = 0; c < SC_NCLASSES; c++) {
        if (!sc_class_count(d, SC_TRAIN, c)) {
            ck_assert_int_eq(cnt[c], 0);
            continue;
        }
        /* Binomial(50000, 1/5): sd 89; 5 sd bound. */
        ck_assert_msg(abs(cnt[c] - draws / 5) < 450, "class %d drawn %d times", c, cnt[c]);
    }
    /* Validation order is the identity. */
    sc_epoch_order(d, SC_VALIDATION, 4, ord, sc_count(d, SC_VALIDATION));
    for (int k = 0; k < sc_count(d, SC_VALIDATION); k++) ck_assert_int_eq(ord[k], k);
    free(big);
    free(ord);
    free(ord2);
    sc_free(d);
    rm_tree(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("speechcommands");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hash_rule_matches_hashlib);
    tcase_add_test(tc, test_no_command_word_is_an_error);
    tcase_add_test(tc, test_split_by_hash_and_labels);
    tcase_add_test(tc, test_split_by_lists);
    tcase_add_test(tc, test_keywords_three);
    tcase_add_test(tc, test_keywords_all);
    tcase_add_test(tc, test_bad_file_skip_and_strict);
    tcase_add_test(tc, test_missing_noise_is_an_error);
    tcase_add_test(tc, test_cache_and_invalidation);
    tcase_add_test(tc, test_cache_refuses_nonfinite);
    tcase_add_test(tc, test_reproducible_across_threads);
    tcase_add_test(tc, test_silence_items);
    tcase_add_test(tc, test_epoch_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fixtures = check_fixtures_dir();
    return check_run(suite());
}
