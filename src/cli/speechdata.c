/* speechdata.c: speechtrain's flags and the Speech Commands data source. */
#include "cli/speechdata.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/opt.h"
#include "common/text.h"

void speech_opts_default(speech_opts_t *o)
{
    memset(o, 0, sizeof *o);
    feat_config_default(&o->feat);
    sc_options_default(&o->sc);
}

static int sw(const char *name, const char *a) { return !strcmp(name, a); }

int speech_opts_parse(speech_opts_t *o, int argc, char **argv, int *i, int features, int dataset, char *err)
{
    const opt_flag_t feat_flags[] = {
        {"--n-mels", OPT_INT, &o->feat.n_mels, 1, 1024},
        {"--n-fft", OPT_INT, &o->feat.n_fft, 2, 1 << 20},
        {"--hop", OPT_INT, &o->feat.hop, 1, 1 << 20},
        {"--sample-rate", OPT_INT, &o->feat.sample_rate, 1000, 384000},
        {"--clip-samples", OPT_INT, &o->feat.clip_samples, 1, 1 << 24},
        {"--fmin", OPT_DOUBLE, &o->feat.fmin, 0, 1e6},
        {"--fmax", OPT_DOUBLE, &o->feat.fmax, 0, 1e6},
    };
    const opt_flag_t data_flags[] = {
        {"--silence-frac", OPT_DOUBLE, &o->sc.silence_frac, 0, 10},
    };
    int r = 0;
    if (features) {
        r = opt_parse(feat_flags, sizeof feat_flags / sizeof feat_flags[0], argc, argv, i, err);
        if (r > 0) o->feat_given = 1;   /* eval/predict check given feature flags against the checkpoint */
        if (r) return r;
    }
    if (dataset) {
        const char *v;
        if ((r = opt_match("--data", argc, argv, i, &v, err)) > 0) {
            if (!*v) return st_err(err, "--data: empty path");
            o->data = v;
        }
        if (r == 0 && (r = opt_match("--keywords", argc, argv, i, &v, err)) > 0) {
            if (!*v) return st_err(err, "--keywords: empty list");
            o->sc.keywords = v;
        }
        if (r == 0) r = opt_parse(data_flags, sizeof data_flags / sizeof data_flags[0], argc, argv, i, err);
        if (r) return r;
        const char *a = argv[*i];
        if (sw("--balance", a)) return o->sc.balance = 1, 1;
        if (sw("--strict", a)) return o->sc.strict = 1, 1;
        if (sw("--no-silence", a)) return o->sc.no_silence = 1, 1;
        if (sw("--no-unknown", a)) return o->sc.no_unknown = 1, 1;
        if (sw("--no-cache", a)) return o->sc.use_cache = 0, 1;
        if (sw("--no-aug-amplitude", a)) return o->sc.aug.amplitude = 0, 1;
        if (sw("--no-aug-speed", a)) return o->sc.aug.speed = 0, 1;
        if (sw("--no-aug-shift", a)) return o->sc.aug.shift = 0, 1;
        if (sw("--no-aug-noise", a)) return o->sc.aug.noise = 0, 1;
    }
    return 0;
}

void speech_opts_help(FILE *f, int features, int dataset)
{
    if (dataset)
        fprintf(f,
            "Data:\n"
            "  --data DIR           a folder in the Speech Commands layout (v0.01/v0.02);\n"
            "                       without it: the demo corpus datasets/demo/train, demo preset\n"
            "  --keywords LIST      the classes: comma-separated word folder names (then silence\n"
            "                       and unknown), or 'all' (every word folder, then silence)\n"
            "                       [the 12 Kaggle classes: yes,no,up,down,left,right,on,off,\n"
            "                       stop,go + silence + unknown]\n"
            "  --no-silence         no silence class\n"
            "  --no-unknown         no unknown class (clips of other words are left out)\n"
            "  --balance            draw the classes equally often in training\n"
            "  --silence-frac F     silence items per split, as a fraction of its clips [0.1]\n"
            "  --strict             a bad audio file is an error (default: skip and report it)\n"
            "  --no-cache           do not keep decoded audio in DIR/.speechtrain-cache-*.bin\n"
            "  --no-aug-amplitude, --no-aug-speed, --no-aug-shift, --no-aug-noise\n"
            "                       switch off one waveform augmentation (--no-augment: all)\n");
    if (features)
        fprintf(f,
            "Features (log-mel; defaults are the reference front end):\n"
            "  --sample-rate HZ     audio is resampled to this rate [16000]\n"
            "  --clip-samples N     clip length, zero-padded or cut [16000]\n"
            "  --n-fft N            FFT size / window length [2048]\n"
            "  --hop N              hop length [512]\n"
            "  --n-mels N           mel bands = input height [32]\n"
            "  --fmin HZ, --fmax HZ mel filterbank edges [0, 8000]\n");
}

char *speech_opts_canonical(const speech_opts_t *o)
{
    char *b = malloc(8192);
    if (!b) return NULL;
    char t[3][TEXT_DOUBLE_LEN];
    int n = snprintf(b, 8192,
                     "--data\n%s\n--sample-rate\n%d\n--clip-samples\n%d\n--n-fft\n%d\n--hop\n%d\n--n-mels\n%d\n"
                     "--fmin\n%s\n--fmax\n%s\n--silence-frac\n%s\n",
                     o->data_abs[0] ? o->data_abs : (o->data ? o->data : ""), o->feat.sample_rate,
                     o->feat.clip_samples, o->feat.n_fft, o->feat.hop, o->feat.n_mels, text_double(t[0], o->feat.fmin),
                     text_double(t[1], o->feat.fmax), text_double(t[2], o->sc.silence_frac));
    const struct { int on; const char *flag; } sws[] = {
        {o->sc.balance, "--balance"}, {o->sc.strict, "--strict"}, {!o->sc.use_cache, "--no-cache"},
        {!o->sc.aug.amplitude, "--no-aug-amplitude"}, {!o->sc.aug.speed, "--no-aug-speed"},
        {!o->sc.aug.shift, "--no-aug-shift"}, {!o->sc.aug.noise, "--no-aug-noise"},
        {o->sc.no_silence, "--no-silence"}, {o->sc.no_unknown, "--no-unknown"}};
    if (o->sc.keywords) n += snprintf(b + n, 8192 - (size_t)n, "--keywords\n%s\n", o->sc.keywords);
    for (size_t k = 0; k < sizeof sws / sizeof sws[0]; k++)
        if (sws[k].on) n += snprintf(b + n, 8192 - (size_t)n, "%s\n", sws[k].flag);
    return b;
}

static int sd_count(void *ctx, int split) { return sc_count(((speech_data_t *)ctx)->ds, split); }
static void sd_order(void *ctx, int split, long epoch, int *order, int len)
{
    sc_epoch_order(((speech_data_t *)ctx)->ds, split, epoch, order, len);
}
static void sd_batch(void *ctx, int split, const int *idx, int n, long epoch, int augment, float *x, int *labels)
{
    /* Augmentation was switched on or off for the whole dataset at open (sc_options_t). */
    (void)augment;
    sc_batch(((speech_data_t *)ctx)->ds, split, idx, n, epoch, x, labels);
}

int speech_data_open(speech_data_t *s, speech_opts_t *o, char *err)
{
    memset(s, 0, sizeof *s);
    if (!o->data) return st_err(err, "--data: no data folder given");
    char e2[ST_ERR_LEN];
    if (feat_config_check(&o->feat, e2)) return st_err(err, "feature settings: %s", e2);
    struct stat st;
    if (stat(o->data, &st) != 0 || !S_ISDIR(st.st_mode))
        return st_err(err, "--data %s: not a folder", o->data);
    if (!realpath(o->data, o->data_abs)) snprintf(o->data_abs, sizeof o->data_abs, "%s", o->data);
    s->ds = sc_open(o->data_abs, &o->feat, &o->sc, err);
    if (!s->ds) return -1;
    size_t n = 0;
    feat_config_meta(&o->feat, s->meta, sizeof s->meta);
    n = strlen(s->meta);
    snprintf(s->meta + n, sizeof s->meta - n, "data.classes=");
    const int K = sc_nclasses(s->ds);
    const char *const *names = sc_classes(s->ds);
    for (int k = 0; k < K; k++) {
        n = strlen(s->meta);
        snprintf(s->meta + n, sizeof s->meta - n, "%s%s", k ? "," : "", names[k]);
    }
    n = strlen(s->meta);
    if (n + 1 >= sizeof s->meta) { /* the class list is in the checkpoint's class section anyway */
        n = (size_t)(strstr(s->meta, "data.classes=") - s->meta);
        s->meta[n] = 0;
    } else {
        snprintf(s->meta + n, sizeof s->meta - n, "\n");
    }
    s->td = (train_data_t){.ctx = s, .c = 1, .h = sc_height(s->ds), .w = sc_width(s->ds), .n_classes = K,
                           .class_names = names, .count = sd_count, .order = sd_order, .batch = sd_batch,
                           .meta = s->meta};
    return 0;
}

void speech_data_close(speech_data_t *s)
{
    sc_free(s->ds);
    s->ds = NULL;
}

const char *speech_demo_corpus(void)
{
    static char path[PATH_MAX + 64];
    struct stat st;
    if (stat("datasets/demo/.complete", &st) == 0) return "datasets/demo/train";
    /* Beside the program: build/src/cli/speechtrain -> ../../../datasets/demo */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(path, sizeof path, "%s/../../../datasets/demo/.complete", exe);
        if (stat(path, &st) == 0) {
            snprintf(path, sizeof path, "%s/../../../datasets/demo/train", exe);
            return path;
        }
    }
    return NULL;
}

int speech_ckpt_open(const char *path, int max_batch, speech_opts_t *o, model_t **m, ckpt_info_t *info, char *err)
{
    *m = NULL;
    memset(info, 0, sizeof *info);
    if (ckpt_load(path, m, max_batch, info, err)) return -1;
    feat_config_t fc;
    if (feat_config_from_meta(info->meta_text, &fc, path, err)) goto fail;
    if (o->feat_given) {
        const feat_config_t *u = &o->feat;
#define SAME(f, flag, fmt)                                                                                \
    if (u->f != fc.f) {                                                                                   \
        st_err(err, "%s: checkpoint was trained with " flag " " fmt ", not " fmt, path, fc.f, u->f);    \
        goto fail;                                                                                        \
    }
        SAME(sample_rate, "--sample-rate", "%d")
        SAME(clip_samples, "--clip-samples", "%d")
        SAME(n_fft, "--n-fft", "%d")
        SAME(hop, "--hop", "%d")
        SAME(n_mels, "--n-mels", "%d")
        SAME(fmin, "--fmin", "%g")
        SAME(fmax, "--fmax", "%g")
#undef SAME
    }
    o->feat = fc;
    const model_config_t *mc = model_config(*m);
    if (mc->in_ch != 1 || mc->h != fc.n_mels || mc->w != feat_config_frames(&fc)) {
        st_err(err, "%s: model input %d x %d x %d does not match its feature settings", path, mc->in_ch, mc->h, mc->w);
        goto fail;
    }
    /* A checkpoint without class names predates stored classes: a 12-output one is the
     * Kaggle set. */
    if (info->n_classes == 0 && mc->classes == SC_NCLASSES) {
        info->class_names = calloc(SC_NCLASSES, sizeof *info->class_names);
        if (!info->class_names) {
            st_err(err, "%s: out of memory", path);
            goto fail;
        }
        for (int k = 0; k < SC_NCLASSES; k++)
            if ((info->class_names[k] = strdup(sc_class_names[k]))) info->n_classes = k + 1;
        if (info->n_classes != SC_NCLASSES) {
            st_err(err, "%s: out of memory", path);
            goto fail;
        }
    }
    if (info->n_classes != mc->classes || info->n_classes < 2 || info->n_classes > SC_MAX_CLASSES) {
        st_err(err, "%s: checkpoint has %d class names for %d outputs (not a speechtrain checkpoint)", path,
               info->n_classes, mc->classes);
        goto fail;
    }
    /* Dataset views (eval) take the checkpoint's classes. */
    o->sc.classes = (const char *const *)info->class_names;
    o->sc.n_classes = info->n_classes;
    return 0;
fail:
    model_free(*m);
    *m = NULL;
    ckpt_info_free(info);
    return -1;
}

int speech_data_open_for(speech_data_t *s, speech_opts_t *o, const ckpt_info_t *info, int quiet,
                         char ***saved, char *err)
{
    int n_saved = 0;
    *saved = NULL;
    if (train_meta_args(info->meta_text, saved, &n_saved, err)) return -1;
    if (!o->data && *saved) {
        speech_opts_t tmp;
        speech_opts_default(&tmp);
        char e2[ST_ERR_LEN];
        for (int i = 0; i < n_saved; i++)
            if (speech_opts_parse(&tmp, n_saved, *saved, &i, 0, 1, e2) < 0) break;
        if (tmp.data) {
            o->data = tmp.data;
            o->sc.silence_frac = tmp.sc.silence_frac;
        }
    }
    if (!o->data) o->data = speech_demo_corpus();
    if (!o->data) return 1;
    o->sc.augment = 0;
    o->sc.log = quiet ? NULL : stderr;
    return speech_data_open(s, o, err);
}
