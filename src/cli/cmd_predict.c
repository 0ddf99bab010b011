/* cmd_predict.c: `speechtrain predict --model CKPT --audio DIR --out submission.csv`.
 *
 * Streams over a flat folder of clips (the Kaggle test set has ~158k): the sorted names are
 * the only per-file state, clips are decoded and labelled a batch at a time, and rows go
 * straight into the CSV (written atomically: the file appears whole or not at all). A clip
 * that cannot be read still gets a row, with the fallback label, and is reported. */
#include <math.h>
#include <dirent.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/netinput.h"
#include "cli/commands.h"
#include "cli/util.h"
#include "cli/speechdata.h"
#include "common/atomicfile.h"
#include "common/text.h"
#include "cli/opt.h"
#include "cli/progress.h"

#define PREDICT_MAX_REPORTED 20   /* bad clips named on stderr; the rest are counted */

static void predict_help(void)
{
    printf("usage: speechtrain predict --model CKPT --audio DIR [--out submission.csv] [options]\n\n"
           "Labels every .wav file in DIR (not recursive) and writes a Kaggle submission: header\n"
           "fname,label, one row per clip (its base name), sorted by fname, labels from the\n"
           "checkpoint's classes. A clip that cannot be read gets the fallback label and is\n"
           "reported on stderr; the exit status is still 0 so the file stays complete. Each clip\n"
           "is cut to the model's window (1 s); clips longer than that are named in one warning\n"
           "(a long recording needs a sliding-window detector).\n\n"
           "  --model CKPT         checkpoint (e.g. runs/demo/best.ckpt)\n"
           "  --audio DIR          folder of clips (e.g. the competition's test/audio)\n"
           "  --out FILE           the CSV to write [submission.csv]\n"
           "  --fallback LABEL     label for unreadable clips [silence, else unknown, else the first]\n"
           "  --scores             add one column per class, p_<class>: its softmax probability\n"
           "  --batch N            clips per batch [256]\n"
           "  --threads N          threads (0 = all cores) [0]\n"
           "  --progress MODE      auto, bar, plain\n"
           "  --quiet              no progress display\n");
    speech_opts_help(stdout, 1, 0);
    printf("                       (given feature flags must match the checkpoint's)\n");
}

/* One CSV field as RFC 4180 has it: quoted (quotes doubled) when it holds a comma, quote or
 * line break, so any file name reads back whole. */
static void put_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The sorted .wav names of dir (regular files or links to them). */
static int list_clips(const char *dir, char ***names, long *count, char *err)
{
    DIR *d = opendir(dir);
    if (!d) return st_err(err, "--audio %s: cannot open folder", dir);
    long n = 0, cap = 1024;
    char **v = malloc((size_t)cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !audio_is_wav(e->d_name)) continue;
        if (e->d_type != DT_REG && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN) continue;
        if (n == cap) {
            char **nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!nv) break;
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    if (!v || e) {
        for (long i = 0; v && i < n; i++) free(v[i]);
        free(v);
        return st_err(err, "--audio %s: out of memory listing the folder", dir);
    }
    qsort(v, (size_t)n, sizeof *v, text_cmp_ptrs);
    *names = v;
    *count = n;
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *model = NULL, *audio = NULL, *out = "submission.csv", *fallback = NULL;
    int batch = 256, threads = 0, quiet = 0, pmode = PROGRESS_AUTO, scores = 0;
    const opt_flag_t flags[] = {
        {"--model", OPT_STR, &model, 0, 0},
        {"--audio", OPT_STR, &audio, 0, 0},
        {"--out", OPT_STR, &out, 0, 0},
        {"--fallback", OPT_STR, &fallback, 0, 0},
        {"--batch", OPT_INT, &batch, 1, 65536},
        {"--threads", OPT_INT, &threads, 0, 4096},
    };
    speech_opts_t so;
    speech_opts_default(&so);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return predict_help(), 0;
        if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(argv[i], "--scores")) {
            scores = 1;
            continue;
        }
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r == 0) r = opt_progress(argc, argv, &i, &pmode, err);
        if (r == 0) r = speech_opts_parse(&so, argc, argv, &i, 1, 0, err);
        if (r < 0) return cli_fail(2, err);
        if (r > 0) continue;
        snprintf(err, sizeof err, "predict: unknown option '%s' (see speechtrain predict --help)", argv[i]);
        return cli_fail(2, err);
    }
    if (!model) return cli_fail(2, "predict: --model CKPT is required");
    if (!audio) return cli_fail(2, "predict: --audio DIR is required");
    if (cli_check_out_path("--out", out, err)) return cli_fail(CLI_FAIL, err);
    train_set_threads(threads);

    model_t *m = NULL;
    ckpt_info_t info;
    if (speech_ckpt_open(model, batch, &so, &m, &info, err)) return cli_fail(1, err);
    const int K = info.n_classes;
    char *const *cls = info.class_names;
    int fb = -1;
    for (int k = 0; k < K; k++)
        if (fallback ? !strcmp(fallback, cls[k]) : (!strcmp(cls[k], "silence") || (fb < 0 && !strcmp(cls[k], "unknown"))))
            fb = k;
    if (!fallback) fb = fb < 0 ? 0 : fb, fallback = cls[fb];
    if (fb < 0) {
        snprintf(err, sizeof err, "--fallback: '%s' is not one of the checkpoint's %d classes", fallback, K);
        model_free(m);
        ckpt_info_free(&info);
        return cli_fail(2, err);
    }
    int rc = 1;
    long nlong = 0;
    char *long_names = NULL;   /* the first PREDICT_MAX_REPORTED clips longer than the window */
    size_t long_len = 0;
    char **names = NULL;
    long n = 0, bad = 0;
    float *clips = NULL, *x = NULL;
    char *bad_msg = NULL;
    int *ok = NULL;
    mel_t *mel = NULL;
    afile_t af = {0};
    if (list_clips(audio, &names, &n, err)) goto fail;
    if (n == 0) {
        st_err(err, "--audio %s: no .wav files", audio);
        goto fail;
    }
    if (!(mel = mel_init(&so.feat, err))) goto fail;
    const int B = batch, S = so.feat.clip_samples, H = so.feat.n_mels, W = mel_frames(mel);
    const size_t hw = (size_t)H * W;
    clips = malloc((size_t)B * S * sizeof *clips);
    x = malloc((size_t)B * hw * sizeof *x);
    ok = malloc((size_t)B * 2 * sizeof *ok);
    int *longer = ok + B;
    bad_msg = malloc((size_t)B * ST_ERR_LEN);
    if (!clips || !x || !ok || !bad_msg) {
        st_err(err, "out of memory");
        goto fail;
    }
    if (afile_open(&af, out, err)) goto fail;
    fprintf(af.f, "fname,label");
    for (int k = 0; scores && k < K; k++) fprintf(af.f, ",p_%s", cls[k]);
    fprintf(af.f, "\n");
    progress_t pr;
    progress_start(&pr, quiet ? PROGRESS_OFF : pmode, "predict", n);
    size_t dl = strlen(audio);
    for (long s = 0; s < n; s += B) {
        int nb = n - s < B ? (int)(n - s) : B;
        /* Decoding dominates: one clip per thread, each with its own FFT scratch. */
#pragma omp parallel
        {
            mel_work_t *w = mel_work_init(mel, NULL);
#pragma omp for schedule(dynamic, 4)
            for (int i = 0; i < nb; i++) {
                const char *nm = names[s + i];
                char *path = w ? malloc(dl + strlen(nm) + 2) : NULL;
                char *msg = bad_msg + (size_t)i * ST_ERR_LEN;
                ok[i] = 0;
                if (!path) {
                    snprintf(msg, ST_ERR_LEN, "%s: out of memory", nm);
                } else {
                    sprintf(path, "%s/%s", audio, nm);
                    long nw = 0;
                    ok[i] = audio_features_len(mel, w, path, clips + (size_t)i * S, x + (size_t)i * hw, &nw, msg) == 0;
                    longer[i] = ok[i] && nw > S;
                }
                if (!ok[i]) memset(x + (size_t)i * hw, 0, hw * sizeof *x);
                free(path);
            }
            mel_work_free(w);
        }
        model_forward(m, x, nb, 0);
        const float *z = model_logits(m);
        for (int i = 0; i < nb; i++) {
            int best = 0;
            const float *zi = z + (size_t)i * K;
            for (int k = 1; k < K; k++)
                if (zi[k] > zi[best]) best = k;
            if (ok[i] && longer[i]) {
                if (nlong < PREDICT_MAX_REPORTED) {
                    size_t add = strlen(names[s + i]) + 2;
                    char *g = realloc(long_names, long_len + add + 1);
                    if (g) {
                        long_names = g;
                        long_len += (size_t)snprintf(g + long_len, add + 1, "%s%s", long_len ? ", " : "", names[s + i]);
                    }
                }
                nlong++;
            }
            if (!ok[i]) {
                best = fb;
                if (bad < PREDICT_MAX_REPORTED) {
                    progress_finish(&pr);
                    fprintf(stderr, "speechtrain: predict: %s; labelled '%s'\n", bad_msg + (size_t)i * ST_ERR_LEN,
                            fallback);
                }
                bad++;
            }
            put_csv_field(af.f, names[s + i]);
            fprintf(af.f, ",%s", cls[best]);
            if (scores) {
                double sum = 0.0;
                for (int k = 0; k < K; k++) sum += exp((double)zi[k] - zi[best]);
                for (int k = 0; k < K; k++) fprintf(af.f, ",%.6f", ok[i] ? exp((double)zi[k] - zi[best]) / sum : (double)(k == fb));
            }
            fprintf(af.f, "\n");
        }
        char extra[64];
        snprintf(extra, sizeof extra, "%.0f clips/s", (s + nb) / (progress_elapsed(&pr) + 1e-9));
        progress_update(&pr, s + nb, extra, s + nb == n);
    }
    progress_finish(&pr);
    if (afile_commit(&af, err)) goto fail;
    if (bad > PREDICT_MAX_REPORTED)
        fprintf(stderr, "speechtrain: predict: %ld more unreadable clips not listed\n", bad - PREDICT_MAX_REPORTED);
    if (nlong)
        fprintf(stderr, "speechtrain: predict: warning: %ld clip%s longer than the model's %d-sample window, labelled "
                        "from their first %d samples only (for keywords in long recordings use speechtrain detect): %s%s\n",
                nlong, nlong == 1 ? " is" : "s are", S, S, long_names ? long_names : "",
                nlong > PREDICT_MAX_REPORTED ? ", ..." : "");
    printf("wrote %s: %ld rows", out, n);
    if (bad) printf(" (%ld unreadable clips labelled '%s')", bad, fallback);
    printf("\n");
    rc = 0;
    goto done;
fail:
    afile_abort(&af);
    rc = cli_fail(1, err);
done:
    for (long i = 0; names && i < n; i++) free(names[i]);
    free(names), free(clips), free(x), free(ok), free(bad_msg), free(long_names);
    mel_free(mel);
    model_free(m);
    ckpt_info_free(&info);
    return rc;
}
