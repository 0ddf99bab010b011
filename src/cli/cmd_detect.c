/* cmd_detect.c: `speechtrain detect --model CKPT FILE...` and `--live` (raw PCM on stdin):
 * slides the model's window over audio of any length (audio/reader + audio/melstream,
 * bounded memory) and prints keyword detections (train/detect). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio/melstream.h"
#include "audio/reader.h"
#include "cli/commands.h"
#include "cli/speechdata.h"
#include "common/atomicfile.h"
#include "common/csv.h"
#include "common/err.h"
#include "train/detect.h"
#include "train/kws_match.h"
#include "cli/opt.h"
#include "cli/util.h"
#include "train/train.h"
#include "viz/det.h"

enum { FMT_PLAIN, FMT_CSV, FMT_JSON };

static void detect_help(void)
{
    printf("usage: speechtrain detect --model CKPT [options] FILE...\n"
           "       arecord -f S16_LE -r 16000 -c 1 | speechtrain detect --model CKPT --live\n\n"
           "Slides the model's window (1 s) over recordings of any length, rate and channel count\n"
           "(memory stays bounded) and prints one line per detected keyword: file, start and end\n"
           "in seconds (the window that fired), label, score.\n\n"
           "  --model CKPT         checkpoint; its classes are the labels\n"
           "  --hop-ms MS          window hop, rounded to whole STFT hops (32 ms) [100 -> 96]\n"
           "  --smooth-ms MS       average the class probabilities over this span [600]\n"
           "  --threshold P        fire when the averaged keyword probability reaches P [0.51]\n"
           "  --refractory-ms MS   no second detection within MS of one [1000]\n"
           "  --format F           plain (space-separated), csv (header file,start,end,label,score)\n"
           "                       or json (one object per line) [plain]\n"
           "  --live               read raw little-endian 16-bit PCM from stdin; detections are\n"
           "                       printed as they happen, with latency_ms (time from the window's\n"
           "                       last sample arriving to the line being printed)\n"
           "  --rate HZ            --live input rate [the model's, 16000]\n"
           "  --channels N         --live input channels [1]\n"
           "  --eval TRUTH.csv     score one FILE against its truth (label,time per line): hit\n"
           "                       rate per keyword, wrong-keyword rate, false alarms per hour,\n"
           "                       latency; with --det OUT.csv also a threshold sweep (DET curve)\n"
           "  --tolerance-ms MS    a detection matches a truth entry this close [750]\n"
           "  --det OUT.csv        with --eval: threshold,keyword,miss_rate,fa_per_hour rows\n"
           "  --det-png OUT.png    with --eval: the DET plot (miss rate against false alarms per\n"
           "                       hour, log scale; all keywords and each one; 1 FA/h marked)\n"
           "  --batch N            windows per forward pass (files) [32]\n"
           "  --threads N          threads (0 = all cores) [0]\n"
           "(The smoothing, threshold and refractory defaults were tuned on a validation recording\n"
           "of the demo corpus with scripts/tune_detect.sh; tune them for your model the same way.)\n");
}

typedef struct {
    model_t *m;
    detector_t *det;
    const char *file;
    char *const *cls;
    int K, B, nb, fmt, live, hw;
    float *x, *p;
    long *idx;
    double t_arrived;    /* live: when the newest samples arrived */
    long ndet;
    float *probs;        /* --eval: every window's probabilities (K per window) */
    long nprobs, capprobs;
} run_t;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void print_event(run_t *r, const detect_event_t *e)
{
    const char *lab = r->cls[e->label];
    double lat = r->live ? (now_s() - r->t_arrived) * 1000.0 : 0.0;
    if (r->fmt == FMT_CSV) printf("%s,%.3f,%.3f,%s,%.4f", r->file, e->start, e->end, lab, e->score);
    else if (r->fmt == FMT_JSON) {
        printf("{\"file\": \"");
        for (const char *c = r->file; *c; c++) {
            if (*c == '"' || *c == '\\') putchar('\\');
            if ((unsigned char)*c >= 0x20) putchar(*c);
        }
        printf("\", \"start\": %.3f, \"end\": %.3f, \"label\": \"%s\", \"score\": %.4f", e->start, e->end, lab, e->score);
        if (r->live) printf(", \"latency_ms\": %.1f", lat);
        printf("}");
    } else printf("%s %.3f %.3f %s %.4f", r->file, e->start, e->end, lab, e->score);
    if (r->live && r->fmt != FMT_JSON) printf(r->fmt == FMT_CSV ? ",%.1f" : " latency_ms=%.1f", lat);
    printf("\n");
    if (r->live) fflush(stdout);
    r->ndet++;
}

static void flush_batch(run_t *r)
{
    if (!r->nb) return;
    model_forward(r->m, r->x, r->nb, 0);
    const float *z = model_logits(r->m);
    for (int i = 0; i < r->nb; i++) {
        detect_softmax(z + (size_t)i * r->K, r->K, r->p);
        detect_event_t e;
        if (r->capprobs >= 0) {
            if (r->nprobs == r->capprobs) {
                long cap = r->capprobs ? 2 * r->capprobs : 4096;
                float *g = realloc(r->probs, (size_t)cap * r->K * sizeof *g);
                if (!g) continue; /* out of memory: the sweep misses windows, said below */
                r->probs = g, r->capprobs = cap;
            }
            memcpy(r->probs + (size_t)r->nprobs++ * r->K, r->p, (size_t)r->K * sizeof *r->p);
        }
        if (detect_push(r->det, r->idx[i], r->p, &e)) print_event(r, &e);
    }
    r->nb = 0;
}

static int on_window(void *ctx, long index, const float *input)
{
    run_t *r = ctx;
    memcpy(r->x + (size_t)r->nb * r->hw, input, (size_t)r->hw * sizeof *input);
    r->idx[r->nb++] = index;
    if (r->nb == r->B || r->live) flush_batch(r);
    return 0;
}

static int run_stream(run_t *r, const mel_t *mel, int hop_frames, audio_reader_t *rd, char *err)
{
    char e2[ST_ERR_LEN];
    mel_stream_t *s = mel_stream_init(mel, hop_frames, e2);
    if (!s) return st_err(err, "%s", e2);
    enum { CHUNK = 16384 };
    float *buf = malloc(CHUNK * sizeof *buf);
    int rc = buf ? 0 : st_err(err, "out of memory");
    detect_reset(r->det);
    long k;
    while (rc == 0 && (k = audio_reader_read(rd, buf, CHUNK, err)) != 0) {
        if (k < 0) {
            rc = -1;
            break;
        }
        r->t_arrived = now_s();
        mel_stream_push(s, buf, k, on_window, r);
    }
    if (rc == 0) {
        mel_stream_finish(s, on_window, r);
        flush_batch(r);
    }
    free(buf);
    mel_stream_free(s);
    return rc;
}

/* Reads label,time[,...] rows (a first line whose time is not a number is a header); labels
 * that are not keyword classes of the model are non-target words (-1). */
static int read_truth(const char *path, char *const *cls, int K, kws_truth_t **out, int *n, char *err)
{
    csv_t t;
    if (csv_read(path, &t, err)) return -1;
    int rc = 0, cnt = 0;
    kws_truth_t *v = NULL;
    if (t.cols < 2) rc = st_err(err, "%s: expected rows label,time", path);
    else if (!(v = malloc((size_t)t.rows * sizeof *v))) rc = st_err(err, "%s: out of memory", path);
    for (int i = 0; !rc && i < t.rows; i++) {
        const char *label = t.cell[(size_t)i * t.cols];
        double time;
        char ignore[ST_ERR_LEN];
        if (i == 0 && csv_num(&t, path, 0, 1, &time, ignore)) continue; /* header */
        if (csv_num(&t, path, i, 1, &time, err) || !isfinite(time)) {
            rc = st_err(err, "%s:%d: time is not a number", path, t.line[i]);
            break;
        }
        int lab = -1;
        for (int k = 0; k < K; k++)
            if (!strcmp(label, cls[k]) && strcmp(cls[k], "silence") && strcmp(cls[k], "unknown")) lab = k;
        v[cnt++] = (kws_truth_t){lab, time};
    }
    csv_free(&t);
    if (rc) return free(v), -1;
    *out = v, *n = cnt;
    return 0;
}

static int run_eval(const run_t *r, const char *truth_path, const char *det_path, const char *png_path,
                    const detect_config_t *dc,
                    double hop_s, double win_s, double tol, char *err)
{
    kws_truth_t *truth = NULL;
    int nt = 0, rc = -1;
    if (read_truth(truth_path, r->cls, r->K, &truth, &nt, err)) return -1;
    const double hours = (double)r->nprobs * hop_s / 3600.0 + win_s / 3600.0;
    kws_det_t *det = NULL;
    int nd = 0;
    kws_score_t s = {0};
    if (kws_replay(r->probs, r->nprobs, r->K, (const char *const *)r->cls, dc, hop_s, win_s, &det, &nd, err) ||
        kws_match(truth, nt, det, nd, r->K, tol, &s, err))
        goto done;
    long tt = 0, th = 0;
    fprintf(stderr, "eval %s against %s (%.1f min, tolerance %.0f ms, threshold %.2f):\n", r->file, truth_path,
            hours * 60, tol * 1000, dc->threshold);
    for (int k = 0; k < r->K; k++) {
        if (!s.truth[k]) continue;
        fprintf(stderr, "  %-12s hit rate %6.2f%% (%ld of %ld)\n", r->cls[k], 100.0 * s.hits[k] / s.truth[k], s.hits[k],
                s.truth[k]);
        tt += s.truth[k], th += s.hits[k];
    }
    fprintf(stderr, "  all keywords hit rate %.2f%% (%ld of %ld), wrong keyword %.2f%%, false alarms %ld (%.2f per hour), "
                    "mean latency %+.0f ms\n",
            tt ? 100.0 * th / tt : 0.0, th, tt, tt ? 100.0 * s.wrong / tt : 0.0, s.false_alarms,
            s.false_alarms / hours, th ? 1000.0 * s.latency_sum / th : 0.0);
    if (det_path || png_path) {
        enum { NT = KWS_SWEEP_N };
        kws_sweep_t sw;
        if (kws_sweep(r->probs, r->nprobs, r->K, (const char *const *)r->cls, dc, hop_s, win_s, truth, nt, tol, hours,
                      &sw, err))
            goto done;
        const int nc = sw.n_curves;
        det_curve_t *cv = malloc((size_t)nc * sizeof *cv);
        int bad = cv ? 0 : st_err(err, "out of memory");
        for (int j = 0; cv && j < nc; j++)
            cv[j] = (det_curve_t){j ? r->cls[sw.keyword[j]] : "all", NT, sw.fa + (size_t)j * NT, sw.miss + (size_t)j * NT};
        afile_t af = {0};
        if (!bad && det_path) {
            bad = afile_open(&af, det_path, err);
            if (!bad) {
                fprintf(af.f, "threshold,keyword,miss_rate,fa_per_hour\n");
                for (int ti = 0; ti < NT; ti++)
                    for (int j = 1; j <= nc; j++)
                        fprintf(af.f, "%.2f,%s,%.6f,%.4f\n", ti / 100.0, cv[j % nc].name, cv[j % nc].miss_rate[ti],
                                cv[j % nc].fa_per_hour[ti]);
                bad = afile_commit(&af, err);
            }
        }
        char title[160];
        snprintf(title, sizeof title, "DET: %.60s, %.1f MIN", r->file, hours * 60);
        if (!bad && png_path) bad = det_plot_png(cv, nc, 1.0, title, png_path, err);
        if (!bad) {
            /* the operating point: the best hit rate of any threshold with at most 1 false alarm per hour */
            double env = det_envelope(&cv[0], 1.0), thr = -1;
            for (int ti = 0; ti < NT && thr < 0; ti++)
                if (sw.fa[ti] <= 1.0 && sw.miss[ti] == env) thr = ti / 100.0;
            const char *out = det_path ? det_path : png_path;
            if (thr >= 0)
                fprintf(stderr, "  at 1 false alarm per hour: threshold %.2f, hit rate %.2f%%; DET curve in %s\n", thr,
                        100 * (1 - env), out);
            else
                fprintf(stderr, "  no threshold reaches 1 false alarm per hour; DET curve in %s\n", out);
        }
        free(cv);
        kws_sweep_free(&sw);
        if (bad) goto done;
    }
    rc = 0;
done:
    kws_score_free(&s);
    free(det), free(truth);
    return rc;
}

int cmd_detect(int argc, char **argv)
{
    char err[ST_ERR_LEN];
    const char *model = NULL, *format = "plain", *truth = NULL, *det_out = NULL, *det_png = NULL;
    double tol_ms = 750.0;
    double hop_ms = 100.0;
    int batch = 32, threads = 0, live = 0, rate = 0, channels = 1;
    detect_config_t dc;
    detect_config_default(&dc);
    const opt_flag_t flags[] = {
        {"--model", OPT_STR, &model, 0, 0},
        {"--format", OPT_STR, &format, 0, 0},
        {"--hop-ms", OPT_DOUBLE, &hop_ms, 1, 60000},
        {"--smooth-ms", OPT_DOUBLE, &dc.smooth_ms, 0, 600000},
        {"--threshold", OPT_DOUBLE, &dc.threshold, 0, 1},
        {"--refractory-ms", OPT_DOUBLE, &dc.refractory_ms, 0, 3600000},
        {"--batch", OPT_INT, &batch, 1, 4096},
        {"--threads", OPT_INT, &threads, 0, 4096},
        {"--rate", OPT_INT, &rate, 1000, 384000},
        {"--channels", OPT_INT, &channels, 1, 64},
        {"--eval", OPT_STR, &truth, 0, 0},
        {"--det", OPT_STR, &det_out, 0, 0},
        {"--det-png", OPT_STR, &det_png, 0, 0},
        {"--tolerance-ms", OPT_DOUBLE, &tol_ms, 0, 60000},
    };
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files) return cli_fail(1, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return free(files), detect_help(), 0;
        if (!strcmp(argv[i], "--live")) {
            live = 1;
            continue;
        }
        if (argv[i][0] != '-') {
            files[nfiles++] = argv[i];
            continue;
        }
        int r = opt_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &i, err);
        if (r < 0) return free(files), cli_fail(2, err);
        if (r > 0) continue;
        snprintf(err, sizeof err, "detect: unknown option '%s' (see speechtrain detect --help)", argv[i]);
        return free(files), cli_fail(2, err);
    }
    int fmt = !strcmp(format, "plain") ? FMT_PLAIN : !strcmp(format, "csv") ? FMT_CSV : !strcmp(format, "json") ? FMT_JSON : -1;
    if (fmt < 0) return free(files), cli_fail(2, "--format: expected plain, csv or json");
    if (!model) return free(files), cli_fail(2, "detect: --model CKPT is required");
    if (!live && nfiles == 0) return free(files), cli_fail(2, "detect: no FILE given (or --live for stdin)");
    if (live && nfiles) return free(files), cli_fail(2, "detect: --live reads stdin; give no FILE");
    if (live) batch = 1;
    if (truth && (live || nfiles != 1)) return free(files), cli_fail(2, "detect: --eval scores exactly one FILE");
    if ((det_out || det_png) && !truth) return free(files), cli_fail(2, "detect: --det and --det-png need --eval TRUTH.csv");
    train_set_threads(threads);
    speech_opts_t so;
    speech_opts_default(&so);
    model_t *m = NULL;
    ckpt_info_t info;
    if (speech_ckpt_open(model, batch, &so, &m, &info, err)) return free(files), cli_fail(1, err);
    int rc = 1;
    mel_t *mel = mel_init(&so.feat, err);
    run_t r = {.m = m, .cls = info.class_names, .K = info.n_classes, .B = batch, .fmt = fmt, .live = live,
               .capprobs = truth ? 0 : -1};
    int hop_frames = (int)lround(hop_ms / 1000.0 * so.feat.sample_rate / so.feat.hop);
    if (hop_frames < 1) hop_frames = 1;
    double hop_s = (double)hop_frames * so.feat.hop / so.feat.sample_rate;
    if (mel) {
        r.hw = so.feat.n_mels * mel_frames(mel);
        r.x = malloc((size_t)batch * r.hw * sizeof *r.x);
        r.p = malloc((size_t)r.K * sizeof *r.p);
        r.idx = malloc((size_t)batch * sizeof *r.idx);
        r.det = detect_init(r.K, (const char *const *)info.class_names, hop_s,
                            (double)so.feat.clip_samples / so.feat.sample_rate, &dc, err);
    }
    if (!mel || !r.x || !r.p || !r.idx || !r.det) {
        if (mel && (!r.x || !r.p || !r.idx)) st_err(err, "out of memory");
        goto fail;
    }
    if (fmt == FMT_CSV) printf(live ? "file,start,end,label,score,latency_ms\n" : "file,start,end,label,score\n");
    if (live) {
        r.file = "-";
        audio_reader_t *rd = audio_reader_open_pcm16(STDIN_FILENO, "stdin", rate ? rate : so.feat.sample_rate,
                                                     channels, so.feat.sample_rate, err);
        if (!rd || run_stream(&r, mel, hop_frames, rd, err)) {
            audio_reader_close(rd);
            goto fail;
        }
        audio_reader_close(rd);
    }
    for (int f = 0; f < nfiles; f++) {
        r.file = files[f];
        audio_reader_t *rd = audio_reader_open(files[f], so.feat.sample_rate, err);
        if (!rd || run_stream(&r, mel, hop_frames, rd, err)) {
            audio_reader_close(rd);
            goto fail;
        }
        audio_reader_close(rd);
    }
    fflush(stdout);
    if (truth && run_eval(&r, truth, det_out, det_png, &dc, hop_s, (double)so.feat.clip_samples / so.feat.sample_rate,
                          tol_ms / 1000.0, err))
        goto fail;
    rc = 0;
    goto done;
fail:
    fflush(stdout);
    rc = cli_fail(1, err);
done:
    free(r.x), free(r.p), free(r.idx), free(r.probs);
    detect_free(r.det);
    mel_free(mel);
    model_free(m);
    ckpt_info_free(&info);
    free(files);
    return rc;
}
