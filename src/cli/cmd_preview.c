/* cmd_preview.c: `speechtrain preview`, a PNG grid of what each mixing mode does.
 *
 * Inputs are spectrograms (from WAV files or a Speech Commands-style corpus, through the
 * same log-mel front end as training) or CIFAR images; the grid itself is drawn by
 * preview_render (src/viz), whose mixed tiles come from mix_apply (src/mix).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/netinput.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "cli/util.h"
#include "common/err.h"
#include "image/cifar.h"
#include "mix/mix.h"
#include "viz/canvas.h"
#include "viz/preview.h"

#define MAX_PAIRS 16

static void preview_usage(FILE *f)
{
    fprintf(f,
        "usage: speechtrain preview --out FILE.png (--wav A.wav B.wav [...] | --corpus DIR | --cifar DIR)\n"
        "Draws, for a few pairs of inputs, both inputs and the result of mixup, cutmix,\n"
        "resizemix and fmix plus RandomMix draws, with the label weight lam of the first input\n"
        "under each tile.\n"
        "  --out FILE.png     output picture (written atomically) [required]\n"
        "  --wav A B [C D..]  WAV files, taken two at a time as pairs (log-mel spectrograms)\n"
        "  --corpus DIR       a Speech Commands-style folder (DIR/<word>/*.wav): one clip per\n"
        "                     word, words in name order\n"
        "  --cifar DIR        CIFAR-10/100 binary files: test images of different classes\n"
        "  --pairs N          rows [3]\n"
        "  --random N         RandomMix draws per row [3]\n"
        "  --scale N          screen pixels per input pixel [4]\n"
        "  --seed N           seed of the mixing draws [1]\n"
        "  --candidates LIST, --weights LIST, --alpha A, --resize LO,HI, --fmix-decay D,\n"
        "  --fmix-reference   as for training (they shape the RandomMix draws and each mode)\n");
}

/* The ten command words come first, in the dataset's label order, so the picture shows
 * "yes" against "no" rather than whatever sorts first. */
static int word_rank(const char *w)
{
    static const char *const cmds[] = {"yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"};
    for (int i = 0; i < 10; i++)
        if (!strcmp(w, cmds[i])) return i;
    return 10;
}

static int by_rank(const struct dirent **a, const struct dirent **b)
{
    int ra = word_rank((*a)->d_name), rb = word_rank((*b)->d_name);
    return ra != rb ? ra - rb : strcmp((*a)->d_name, (*b)->d_name);
}

/* Up to max .wav files of a corpus: the first clip (in name order) of each word folder, the
 * command words first, then the others in name order. Folders starting with '_'
 * (_background_noise_) and the unlabelled Kaggle-style audio/ folder are not words. */
static int corpus_files(const char *dir, int max, char **paths, char **words, int *count, char *err)
{
    struct dirent **ent;
    int n = scandir(dir, &ent, NULL, by_rank);
    if (n < 0) return st_err(err, "--corpus: %s: cannot read folder", dir);
    *count = 0;
    for (int i = 0; i < n; i++) {
        const char *w = ent[i]->d_name;
        char sub[4096];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", dir, w);
        if (*count < max && w[0] != '_' && w[0] != '.' && strcmp(w, "audio") != 0 && stat(sub, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            struct dirent **fe;
            int m = scandir(sub, &fe, NULL, alphasort);
            int taken = 0;
            for (int k = 0; k < m; k++) {
                size_t l = strlen(fe[k]->d_name);
                if (!taken && audio_is_wav(fe[k]->d_name)) {
                    size_t need = strlen(sub) + l + 2;
                    paths[*count] = malloc(need);
                    words[*count] = strdup(w);
                    if (paths[*count]) snprintf(paths[*count], need, "%s/%s", sub, fe[k]->d_name);
                    (*count)++;
                    taken = 1;
                }
                free(fe[k]);
            }
            if (m >= 0) free(fe);
        }
        free(ent[i]);
    }
    free(ent);
    for (int i = 0; i < *count; i++)
        if (!paths[i] || !words[i]) return st_err(err, "out of memory");
    if (*count < 2) return st_err(err, "--corpus: %s: need clips of at least 2 words (DIR/<word>/*.wav)", dir);
    return 0;
}

/* Spectrogram inputs: the files, two per pair. */
static int load_spectrograms(char **files, int nfiles, int pairs, float *a, float *b, int *h, int *w,
                             char *err)
{
    feat_config_t fc;
    feat_config_default(&fc);
    mel_t *mel = mel_init(&fc, err);
    if (!mel) return -1;
    *h = fc.n_mels;
    *w = mel_frames(mel);
    float *clip = malloc(sizeof(float) * fc.clip_samples);
    mel_work_t *mw = mel_work_init(mel, err);
    int rc = clip && mw ? 0 : st_err(err, "out of memory");
    for (int i = 0; !rc && i < 2 * pairs; i++) {
        const char *path = files[i % nfiles];
        rc = audio_features(mel, mw, path, clip, (i % 2 ? b : a) + (size_t)(i / 2) * *h * *w, err);
    }
    free(clip);
    mel_work_free(mw);
    mel_free(mel);
    return rc;
}

/* Image inputs: pair i is the first test image of class 2i and of class 2i+1 (mod K). */
static int load_images(const char *dir, int pairs, float *a, float *b, const char **an, const char **bn,
                       char *err)
{
    cifar_t c;
    if (cifar_load(&c, dir, 0, err)) return -1;
    const char *const *names = cifar_class_names(c.n_classes);
    for (int i = 0; i < 2 * pairs; i++) {
        int want = i % c.n_classes, found = -1;
        for (int k = 0; k < c.n[CIFAR_TEST] && found < 0; k++)
            if (c.label[CIFAR_TEST][k] == want) found = k;
        if (found < 0) found = i % c.n[CIFAR_TEST]; /* a class missing from the test split */
        const uint8_t *px = c.pix[CIFAR_TEST] + (size_t)found * CIFAR_PIXELS;
        float *dst = (i % 2 ? b : a) + (size_t)(i / 2) * CIFAR_PIXELS;
        for (int k = 0; k < CIFAR_PIXELS; k++) dst[k] = px[k] / 255.0f;
        (i % 2 ? bn : an)[i / 2] = names[c.label[CIFAR_TEST][found]];
    }
    cifar_free(&c);
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int cmd_preview(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *out = NULL, *corpus = NULL, *cifar = NULL;
    char *wavs[2 * MAX_PAIRS];
    int nwav = 0;
    int pairs = 3, nrand = 3, scale = 4, seed = 1;
    mix_config_t mc;
    mix_config_default(&mc);
    const char *cand = NULL, *weights = NULL;
    const opt_flag_t flags[] = {
        {"--out", OPT_STR, &out, 0, 0},
        {"--corpus", OPT_STR, &corpus, 0, 0},
        {"--cifar", OPT_STR, &cifar, 0, 0},
        {"--pairs", OPT_INT, &pairs, 1, MAX_PAIRS},
        {"--random", OPT_INT, &nrand, 0, 16},
        {"--scale", OPT_INT, &scale, 1, 16},
        {"--seed", OPT_INT, &seed, 0, 0x7fffffff},
        {"--candidates", OPT_STR, &cand, 0, 0},
        {"--weights", OPT_STR, &weights, 0, 0},
    };
    /* Flags that go straight to the mixing configuration: flag, mix_config_set key. */
    static const char *const mix_flags[][2] = {{"--alpha", "alpha"}, {"--resize", "resize"},
                                               {"--fmix-decay", "fmix-decay"}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            preview_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--wav")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if (nwav == 2 * MAX_PAIRS) {
                    fprintf(stderr, "speechtrain preview: --wav: at most %d files\n", 2 * MAX_PAIRS);
                    return 2;
                }
                wavs[nwav++] = argv[++i];
            }
            continue;
        }
        if (!strcmp(a, "--fmix-reference")) {
            mix_config_set(&mc, "fmix-reference", "1", err);
            continue;
        }
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        for (size_t k = 0; r == 0 && k < sizeof mix_flags / sizeof mix_flags[0]; k++) {
            const char *v;
            if ((r = opt_match(mix_flags[k][0], argc, argv, &i, &v, err)) > 0)
                r = mix_config_set(&mc, mix_flags[k][1], v, err) ? -1 : 1;
        }
        if (r < 0) {
            fprintf(stderr, "speechtrain preview: %s\n", err);
            return 2;
        }
        if (r == 0) {
            fprintf(stderr, "speechtrain preview: unknown argument '%s' (see speechtrain preview --help)\n", a);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "speechtrain preview: --out FILE.png is required\n");
        return 2;
    }
    if ((nwav > 0) + (corpus != NULL) + (cifar != NULL) != 1) {
        fprintf(stderr, "speechtrain preview: give exactly one of --wav, --corpus, --cifar\n");
        return 2;
    }
    if (nwav == 1) {
        fprintf(stderr, "speechtrain preview: --wav needs at least 2 files\n");
        return 2;
    }
    if ((cand || weights) && mix_config_parse(&mc, cand, weights, err)) {
        fprintf(stderr, "speechtrain preview: --candidates/--weights: %s\n", err);
        return 2;
    }
    if (nwav) pairs = nwav / 2 < pairs ? nwav / 2 : pairs;

    int C = 3, H = CIFAR_H, W = CIFAR_W, rc = 1;
    if (!cifar) {
        feat_config_t fc;
        feat_config_default(&fc);
        C = 1;
        H = fc.n_mels;
        W = feat_config_frames(&fc);
    }
    size_t size = (size_t)C * H * W;
    float *a = malloc(sizeof(float) * pairs * size), *b = malloc(sizeof(float) * pairs * size);
    const char *an[MAX_PAIRS] = {0}, *bn[MAX_PAIRS] = {0};
    char *cpaths[2 * MAX_PAIRS] = {0}, *cwords[2 * MAX_PAIRS] = {0};
    int ncorp = 0;
    if (!a || !b) {
        fprintf(stderr, "speechtrain preview: out of memory\n");
        goto done;
    }
    if (cifar) {
        if (load_images(cifar, pairs, a, b, an, bn, err)) goto fail;
    } else if (corpus) {
        if (corpus_files(corpus, 2 * pairs, cpaths, cwords, &ncorp, err)) goto fail;
        if (load_spectrograms(cpaths, ncorp, pairs, a, b, &H, &W, err)) goto fail;
        for (int i = 0; i < 2 * pairs; i++) (i % 2 ? bn : an)[i / 2] = cwords[i % ncorp];
    } else {
        if (load_spectrograms(wavs, nwav, pairs, a, b, &H, &W, err)) goto fail;
        for (int i = 0; i < 2 * pairs; i++) (i % 2 ? bn : an)[i / 2] = base_name(wavs[i]);
    }
    preview_t p = {.c = C, .h = H, .w = W, .pairs = pairs, .a = a, .b = b, .a_names = an,
                   .b_names = bn, .scale = scale, .n_random = nrand, .mix = &mc,
                   .seed = (uint64_t)seed};
    canvas_t cv;
    if (preview_render(&p, &cv, err)) goto fail;
    int wr = canvas_write_png(&cv, out, err);
    if (!wr) printf("wrote %s (%d x %d)\n", out, cv.w, cv.h);
    canvas_free(&cv);
    if (wr) goto fail;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "speechtrain preview: %s\n", err);
done:
    for (int i = 0; i < ncorp; i++) {
        free(cpaths[i]);
        free(cwords[i]);
    }
    free(a);
    free(b);
    return rc;
}
