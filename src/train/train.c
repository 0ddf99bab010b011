/* train.c: the training loop (run directory, log, checkpoints, resume, Ctrl-C, NaN stop). */
#include "train/train.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "model/checkpoint.h"
#include "train/options.h"
#include "train/progress.h"

/* Stream id of the mixing generator: rng_derive(seed, TRAIN_STREAM_MIX, global step). */
#define TRAIN_STREAM_MIX 0x4d4958ULL

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Our step syncs its threads hundreds of times (every OpenMP region and GEMM); when other
 * programs hold the cores, each sync waits for a descheduled partner and training can run
 * tens of times slower than on one thread. Say so rather than silently crawl. */
static void warn_if_busy(int threads, int quiet)
{
    double load;
    int cores = omp_get_num_procs();
    if (quiet || threads < 2 || getloadavg(&load, 1) != 1) return;
    if (load > cores - threads + 0.5)
        fprintf(stderr, "speechtrain: the machine is busy (load %.1f on %d cores); %d threads may run "
                        "much slower than --threads 1 while that lasts\n", load, cores, threads);
}

int train_set_threads(int n)
{
    if (n <= 0) n = omp_get_num_procs();
    omp_set_num_threads(n);
    model_set_threads(n);
    return n;
}

int train_mkdirs(const char *dir, char *err)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return st_err(err, "%s: path too long", dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) return st_err(err, "%s: cannot create directory: %s", p, strerror(errno));
            *s = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return st_err(err, "%s: not a directory", dir);
    return 0;
}

int train_meta_get(const char *meta, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = meta; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            size_t vl = ll - kl - 1;
            if (vl >= len) vl = len - 1;
            memcpy(buf, p + kl + 1, vl);
            buf[vl] = 0;
            return 0;
        }
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}

/* Every key=value line of `want` must appear with the same value in `have`. */
static int meta_compare(const char *want, const char *have, const char *ckpt, char *err)
{
    for (const char *p = want; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        const char *eq = memchr(p, '=', ll);
        if (eq) {
            char key[256], wv[512], hv[512];
            size_t kl = (size_t)(eq - p) < sizeof key - 1 ? (size_t)(eq - p) : sizeof key - 1;
            memcpy(key, p, kl);
            key[kl] = 0;
            size_t vl = ll - (size_t)(eq - p) - 1;
            if (vl >= sizeof wv) vl = sizeof wv - 1;
            memcpy(wv, eq + 1, vl);
            wv[vl] = 0;
            if (train_meta_get(have, key, hv, sizeof hv))
                return st_err(err, "%s: checkpoint has no setting '%s' (made for other data)", ckpt, key);
            if (strcmp(hv, wv))
                return st_err(err, "%s: checkpoint was made with %s=%s, this run has %s=%s", ckpt, key, hv, key, wv);
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

int train_checkpoint_args(const char *ckpt, char **args, char *err)
{
    model_t *m = NULL;
    ckpt_info_t info;
    memset(&info, 0, sizeof info);
    if (ckpt_load(ckpt, &m, 1, &info, err)) return -1;
    model_free(m);
    size_t n = strlen(info.meta_text);
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        ckpt_info_free(&info);
        return st_err(err, "out of memory");
    }
    for (const char *p = info.meta_text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll >= 4 && !strncmp(p, "arg=", 4)) {
            memcpy(o, p + 4, ll - 4);
            o += ll - 4;
            *o++ = '\n';
        }
        p = eol ? eol + 1 : p + ll;
    }
    *o = 0;
    ckpt_info_free(&info);
    *args = out;
    return 0;
}

typedef struct {
    double best_acc;               /* best validation accuracy so far (-1: none yet) */
    double loss_sum, acc_sum;      /* sums over the current epoch's samples so far */
    long seen;                     /* samples of the current epoch so far */
} train_state_t;

static char *build_meta(const train_data_t *d, const train_state_t *st, const char *args)
{
    /* Each argument line grows by "arg=" + newline: 5 * strlen(args) is enough. */
    size_t n = (d->meta ? strlen(d->meta) : 0) + 256 + 5 * strlen(args) + 16, u = 0;
    char *b = malloc(n);
    if (!b) return NULL;
    u += (size_t)snprintf(b + u, n - u, "%s", d->meta ? d->meta : "");
    if (u > 0 && b[u - 1] != '\n') u += (size_t)snprintf(b + u, n - u, "\n");
    u += (size_t)snprintf(b + u, n - u, "train.best_acc=%a\ntrain.loss_sum=%a\ntrain.acc_sum=%a\ntrain.seen=%ld\n",
                          st->best_acc, st->loss_sum, st->acc_sum, st->seen);
    for (const char *p = args; *p && u < n;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        u += (size_t)snprintf(b + u, n - u, "arg=%.*s\n", (int)ll, p);
        p = eol ? eol + 1 : p + ll;
    }
    return b;
}

static int save_ckpt(const char *path, const model_t *m, const train_data_t *d, const train_state_t *st,
                     const char *args, long epoch, long step, char *err)
{
    char *meta = build_meta(d, st, args);
    if (!meta) return st_err(err, "%s: out of memory", path);
    ckpt_meta_t cm = {.meta_text = meta, .n_classes = d->n_classes, .class_names = d->class_names,
                      .epoch = epoch, .step = step, .rngs = NULL, .n_rngs = 0};
    int rc = ckpt_save(path, m, &cm, err);
    free(meta);
    return rc;
}

static int write_text(const char *path, const char *text, char *err)
{
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    fputs(text, a.f);
    return afile_commit(&a, err);
}

/* Shell-quoted command line for config.txt. */
static void append_quoted(char **b, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 4 * strlen(s) + 8;
    if (need > *cap) {
        *cap = need * 2;
        *b = realloc(*b, *cap);
        if (!*b) return;
    }
    char *o = *b + *len;
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,+:", *p)) plain = 0;
    if (plain) {
        o += sprintf(o, " %s", s);
    } else {
        *o++ = ' ';
        *o++ = '\'';
        for (const char *p = s; *p; p++) {
            if (*p == '\'') o += sprintf(o, "'\\''");
            else *o++ = *p;
        }
        *o++ = '\'';
        *o = 0;
    }
    *len = (size_t)(o - *b);
}

static int write_config(const char *dir, const train_config_t *c, const char *args, int threads, char *err)
{
    size_t len = 0, cap = 1024;
    char *b = malloc(cap);
    if (!b) return st_err(err, "out of memory");
    len = (size_t)sprintf(b, "# The exact configuration of this run; to repeat it (same seed and --threads %d\n"
                             "# give the same bytes), run the command below from the same folder.\n%s",
                          threads, c->prog ? c->prog : "train");
    for (const char *p = args; *p && b;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        char one[4096];
        snprintf(one, sizeof one, "%.*s", (int)ll, p);
        append_quoted(&b, &len, &cap, one);
        p = eol ? eol + 1 : p + ll;
    }
    if (!b) return st_err(err, "out of memory");
    char th[64];
    snprintf(th, sizeof th, " --threads %d\n", threads);
    if (len + strlen(th) + 1 > cap) b = realloc(b, cap = len + strlen(th) + 1);
    if (!b) return st_err(err, "out of memory");
    strcpy(b + len, th);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.txt", dir);
    int rc = write_text(path, b, err);
    free(b);
    return rc;
}

/* log.csv kept in memory and rewritten atomically after each epoch, so it is never half
 * written; on resume, rows of epochs after the checkpoint are dropped (they are redone). */
typedef struct {
    char *text;
    size_t len, cap;
} logbuf_t;

static void log_add(logbuf_t *l, const char *s)
{
    size_t n = strlen(s);
    if (l->len + n + 1 > l->cap) {
        size_t nc = (l->len + n + 1) * 2 + 1024;
        char *t = realloc(l->text, nc);
        if (!t) return;
        l->text = t;
        l->cap = nc;
    }
    memcpy(l->text + l->len, s, n + 1);
    l->len += n;
}

static const char *LOG_HEADER = "epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds,samples_per_s\n";

static void log_load(logbuf_t *l, const char *path, long keep_epochs)
{
    log_add(l, LOG_HEADER);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[1024];
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) {
            first = 0;
            continue;
        }
        long e = strtol(line, NULL, 10);
        if (e >= 1 && e <= keep_epochs && strchr(line, '\n')) log_add(l, line);
    }
    fclose(f);
}

int train_run(const train_config_t *cfg, const train_data_t *d, int *stopped, char *err)
{
    train_config_t c = *cfg;
    if (stopped) *stopped = 0;
    char outbuf[4096];
    if (!c.out_dir) {
        if (c.resume) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", c.resume);
            snprintf(outbuf, sizeof outbuf, "%s", dirname(tmp));
            c.out_dir = outbuf;
        } else {
            c.out_dir = "runs/latest";
        }
    }
    int K = d->n_classes;
    long n_train = d->count(d->ctx, TRAIN_SPLIT_TRAIN);
    long n_val = d->count(d->ctx, TRAIN_SPLIT_VAL);
    long n_test = d->count(d->ctx, TRAIN_SPLIT_TEST);
    if (n_train < 1) return st_err(err, "the training split is empty");
    int B = c.batch;
    long spe = n_train / B;          /* steps per epoch: full batches only (drop_last) */
    if (spe < 1) {
        spe = 1;
        B = (int)n_train;
    }
    long total_steps = spe * c.epochs;
    int threads = train_set_threads(c.threads);
    /* Record the count actually used: --resume re-applies it, since results are bit-identical
     * only for the same seed and thread count. */
    c.threads = threads;
    warn_if_busy(threads, c.quiet);

    char *args = train_options_canonical(&c);
    if (!args) return st_err(err, "out of memory");
    {   /* program args first, then the shared ones */
        const char *pa = c.prog_args ? c.prog_args : "";
        size_t pl = strlen(pa);
        char *all = malloc(pl + strlen(args) + 2);
        if (!all) {
            free(args);
            return st_err(err, "out of memory");
        }
        sprintf(all, "%s%s%s", pa, (pl && pa[pl - 1] != '\n') ? "\n" : "", args);
        free(args);
        args = all;
    }

    int rc = -1;
    model_t *m = NULL;
    mix_ctx_t *mix = NULL;
    float *x = NULL, *y = NULL;
    int *lab = NULL, *order = NULL;
    logbuf_t log = {0};
    ckpt_info_t info;
    memset(&info, 0, sizeof info);
    train_state_t st = {.best_acc = -1};
    long step0 = 0;
    char path_last[4200], path_best[4200], path_log[4200], path_test[4200];
    struct sigaction sa, old_int, old_term;
    int have_sig = 0;

    if (train_mkdirs(c.out_dir, err)) goto done;
    snprintf(path_last, sizeof path_last, "%s/last.ckpt", c.out_dir);
    snprintf(path_best, sizeof path_best, "%s/best.ckpt", c.out_dir);
    snprintf(path_log, sizeof path_log, "%s/log.csv", c.out_dir);
    snprintf(path_test, sizeof path_test, "%s/test", c.out_dir);
    if (write_config(c.out_dir, &c, args, threads, err)) goto done;

    if (c.resume) {
        if (ckpt_load(c.resume, &m, B, &info, err)) goto done;
        const model_config_t *mc = model_config(m);
        if (mc->in_ch != d->c || mc->h != d->h || mc->w != d->w || mc->classes != K) {
            st_err(err, "%s: checkpoint is for %d x %d x %d inputs and %d classes, the data has %d x %d x %d and %d",
                   c.resume, mc->in_ch, mc->h, mc->w, mc->classes, d->c, d->h, d->w, K);
            goto done;
        }
        if (d->meta && meta_compare(d->meta, info.meta_text, c.resume, err)) goto done;
        char v[128];
        if (!train_meta_get(info.meta_text, "train.best_acc", v, sizeof v)) st.best_acc = strtod(v, NULL);
        if (!train_meta_get(info.meta_text, "train.loss_sum", v, sizeof v)) st.loss_sum = strtod(v, NULL);
        if (!train_meta_get(info.meta_text, "train.acc_sum", v, sizeof v)) st.acc_sum = strtod(v, NULL);
        if (!train_meta_get(info.meta_text, "train.seen", v, sizeof v)) st.seen = strtol(v, NULL, 10);
        step0 = info.step;
        if (step0 < 0 || step0 > total_steps) {
            st_err(err, "%s: checkpoint is at step %ld, past the end of this %ld-step run", c.resume, step0, total_steps);
            goto done;
        }
        log_load(&log, path_log, step0 / spe);
    } else {
        model_config_t mc = {.in_ch = d->c, .classes = K, .width = c.width, .h = d->h, .w = d->w};
        m = model_init(&mc, B, c.seed, err);
        if (!m) goto done;
        log_add(&log, LOG_HEADER);
    }
    if (!c.no_mix && !(mix = mix_init(&c.mix, B, d->c, d->h, d->w, K, err))) goto done;
    size_t chw = (size_t)d->c * d->h * d->w;
    /* 64-byte rows as PyTorch's allocator gives: mix_apply runs ~30% slower on rows that
     * split cache lines */
    x = aligned_alloc(64, ((size_t)B * chw * sizeof *x + 63) / 64 * 64);
    y = malloc((size_t)B * K * sizeof *y);
    lab = malloc((size_t)B * sizeof *lab);
    order = malloc((size_t)n_train * sizeof *order);
    if (!x || !y || !lab || !order) {
        st_err(err, "out of memory");
        goto done;
    }

    /* Ctrl-C / SIGTERM: finish the step, write last.ckpt, return. A second signal kills
     * (SA_RESETHAND restores the default action). */
    g_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    have_sig = 1;

    const int pmode = c.quiet ? -1 : c.progress;
    const float smooth = (float)c.label_smoothing;
    for (long epoch = step0 / spe; epoch < c.epochs; epoch++) {
        long s0 = epoch == step0 / spe ? step0 % spe : 0;
        if (s0 == 0) st.loss_sum = st.acc_sum = 0, st.seen = 0;
        d->order(d->ctx, TRAIN_SPLIT_TRAIN, epoch, order, (int)n_train);
        char label[64];
        snprintf(label, sizeof label, "epoch %ld/%d", epoch + 1, c.epochs);
        progress_t pr;
        progress_start(&pr, pmode, label, spe);
        double t_start = progress_now();
        long samples = 0;
        double lr_first = lr_cosine(c.lr, epoch * spe, total_steps, c.warmup);
        for (long s = s0; s < spe; s++) {
            long gstep = epoch * spe + s;
            const int *idx = order + s * B;
            d->batch(d->ctx, TRAIN_SPLIT_TRAIN, idx, B, epoch, c.augment, x, lab);
            if (mix_onehot(y, lab, B, K, smooth)) {
                st_err(err, "the data source returned a label outside 0..%d", K - 1);
                goto done;
            }
            if (mix) {
                rng_t r;
                rng_derive(&r, c.seed, TRAIN_STREAM_MIX, (uint64_t)gstep);
                if (mix_apply(mix, &r, x, y, B, NULL, err)) goto done;
            }
            model_forward(m, x, B, 1);
            float loss = model_loss(m, y, B);
            if (!isfinite(loss)) {
                progress_finish(&pr);
                st_err(err, "the training loss became %s at epoch %ld, step %ld (lr %g); stopped. The last good "
                       "checkpoint is %s (try a lower --lr)", isnan(loss) ? "NaN" : "infinite", epoch + 1, s + 1,
                       lr_cosine(c.lr, gstep, total_steps, c.warmup), path_last);
                goto done;
            }
            /* Accuracy on the mixed targets: the target weight of the predicted class,
             * with label smoothing taken back out (lam*[pred=y_i] + (1-lam)*[pred=y_perm]). */
            const float *z = model_logits(m);
            double acc = 0;
            for (int i = 0; i < B; i++) {
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (z[(size_t)i * K + k] > z[(size_t)i * K + best]) best = k;
                acc += ((double)y[(size_t)i * K + best] - smooth / K) / (1.0 - smooth);
            }
            model_zero_grad(m);
            model_backward(m, B);
            model_sgd_step(m, (float)lr_cosine(c.lr, gstep, total_steps, c.warmup), (float)c.momentum, (float)c.wd);
            st.loss_sum += (double)loss * B;
            st.acc_sum += acc;
            st.seen += B;
            samples += B;
            char extra[160];
            double el = progress_now() - t_start;
            snprintf(extra, sizeof extra, "loss %.4f acc %.3f %.0f samples/s", st.loss_sum / st.seen,
                     st.acc_sum / st.seen, el > 0 ? samples / el : 0.0);
            progress_update(&pr, s + 1, extra, s + 1 == spe);
            int stop_now = g_stop || (c.max_steps && gstep + 1 >= c.max_steps);
            if (s + 1 < spe && (stop_now || (c.ckpt_every && (gstep + 1) % c.ckpt_every == 0))) {
                if (save_ckpt(path_last, m, d, &st, args, epoch, gstep + 1, err)) goto done;
            }
            if (stop_now && s + 1 < spe) {
                progress_finish(&pr);
                if (!c.quiet)
                    printf("stopped at epoch %ld step %ld; continue with --resume %s\n", epoch + 1, s + 1, path_last);
                if (stopped) *stopped = g_stop ? 2 : 1;
                rc = 0;
                goto done;
            }
        }
        double t_train = progress_now() - t_start;
        progress_finish(&pr);
        double val_loss = NAN, val_acc = NAN;
        if (n_val > 0) {
            eval_report_t r;
            if (train_evaluate(m, d, TRAIN_SPLIT_VAL, c.eval_batch, &r, err)) goto done;
            val_loss = r.loss;
            val_acc = eval_report_accuracy(&r);
            eval_report_free(&r);
        }
        double secs = progress_now() - t_start;
        double tl = st.seen ? st.loss_sum / st.seen : NAN, ta = st.seen ? st.acc_sum / st.seen : NAN;
        char row[512];
        snprintf(row, sizeof row, "%ld,%.6g,%.6f,%.6f,%.6f,%.6f,%.2f,%.1f\n", epoch + 1, lr_first, tl, ta, val_loss,
                 val_acc, secs, t_train > 0 ? samples / t_train : 0.0);
        log_add(&log, row);
        if (!c.quiet) {
            printf("epoch %ld/%d  lr %.4g  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1f s  %.0f samples/s\n",
                   epoch + 1, c.epochs, lr_first, tl, ta, val_loss, val_acc, secs, t_train > 0 ? samples / t_train : 0.0);
            fflush(stdout);
        }
        if (write_text(path_log, log.text, err)) goto done;
        int improved = n_val == 0 || val_acc > st.best_acc;
        if (improved) st.best_acc = n_val ? val_acc : st.best_acc;
        st.loss_sum = st.acc_sum = 0, st.seen = 0;
        if (save_ckpt(path_last, m, d, &st, args, epoch + 1, (epoch + 1) * spe, err)) goto done;
        if (improved && save_ckpt(path_best, m, d, &st, args, epoch + 1, (epoch + 1) * spe, err)) goto done;
        if (g_stop || (c.max_steps && (epoch + 1) * spe >= c.max_steps)) {
            if (epoch + 1 < c.epochs) {
                if (!c.quiet) printf("stopped after epoch %ld; continue with --resume %s\n", epoch + 1, path_last);
                if (stopped) *stopped = g_stop ? 2 : 1;
                rc = 0;
                goto done;
            }
        }
    }

    /* The final report: the best checkpoint (by validation accuracy) on the test split. */
    if (n_test > 0) {
        ckpt_info_t bi;
        memset(&bi, 0, sizeof bi);
        if (ckpt_load_into(path_best, m, &bi, err)) goto done;
        long best_epoch = bi.epoch;
        ckpt_info_free(&bi);
        eval_report_t r;
        if (train_evaluate(m, d, TRAIN_SPLIT_TEST, c.eval_batch, &r, err)) goto done;
        int wrc = eval_report_write(&r, d->class_names, path_test, err);
        if (!wrc && !c.quiet) {
            printf("test split (best checkpoint, epoch %ld): ", best_epoch);
            eval_report_print(&r, d->class_names, stdout);
            printf("reports: %s_report.txt, %s_per_class.csv, %s_confusion.csv\n", path_test, path_test, path_test);
        } else if (!wrc) {   /* --quiet still says how the run ended */
            printf("test accuracy %.4f (best checkpoint, epoch %ld); report: %s_report.txt\n",
                   eval_report_accuracy(&r), best_epoch, path_test);
        }
        eval_report_free(&r);
        if (wrc) goto done;
    }
    rc = 0;
done:
    if (have_sig) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    ckpt_info_free(&info);
    free(log.text);
    free(x), free(y), free(lab), free(order);
    mix_free(mix);
    model_free(m);
    free(args);
    return rc;
}
