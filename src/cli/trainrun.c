/* trainrun.c: resume arguments, threads, run folder, signals and the display of a run. */
#include "cli/trainrun.h"

#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/opt.h"
#include "cli/progress.h"
#include "cli/util.h"
#include "common/text.h"
#include "common/threads.h"
#include "train/dist.h"

int trainrun_saved_args(int argc, char **argv, char ***saved, int *n, char *err)
{
    *saved = NULL;
    *n = 0;
    const char *resume = opt_find("--resume", argc, argv);
    if (!resume || train_resume_args(resume, saved, n, err)) return resume ? -1 : 0;
    /* A run of the other program saved its own data flags (speechtrain always --sample-rate,
     * imagetrain always --dataset): name the kind instead of failing on its first flag. */
    int image = !strcmp(cli_prog(), "imagetrain");
    int other = 0;
    for (int i = 0; i < *n; i++) other |= !strcmp((*saved)[i], image ? "--sample-rate" : "--dataset");
    if (!other) return 0;
    text_lines_free(*saved);
    *saved = NULL;
    *n = 0;
    return st_err(err, "--resume %s: a checkpoint of %s, not of %s", resume,
                  image ? "speechtrain" : "imagetrain", cli_prog());
}

/* With spinning waits (the user's OMP_WAIT_POLICY=active, or a spin count), each sync of our
 * threads spins on a core that another program needs, and on a busy machine training can run
 * tens of times slower than on one thread: say so rather than silently crawl. With the
 * policies the programs set for themselves (threads.h: passive waiting on a busy machine, a
 * spin of a few microseconds on an idle one) more threads still get more of a busy machine
 * (measured in docs/cli.md), so there is nothing to warn about. */
static void warn_if_busy(int threads)
{
    double load;
    int cores = omp_get_num_procs();
    if (!threads_long_spin()) return;
    if (threads < 2 || getloadavg(&load, 1) != 1) return;
    if (load > cores - threads + 0.5)
        cli_warn("the machine is busy (load %.1f on %d cores); %d threads may run much slower than "
                 "--threads 1 while that lasts", load, cores, threads);
}

/* dir, or the nearest folder above it that exists, must be a writable folder. */
static int check_writable(const char *dir, char *err)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return st_err(err, "--out %s: path too long", dir);
    for (;;) {
        struct stat st;
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) return st_err(err, "--out %s: %s is not a folder", dir, p);
            if (access(p, W_OK | X_OK) != 0) return st_err(err, "--out %s: folder %s is not writable", dir, p);
            return 0;
        }
        if (errno != ENOENT && errno != ENOTDIR) return st_err(err, "--out %s: %s: %s", dir, p, strerror(errno));
        char *sl = strrchr(p, '/');
        while (sl && sl > p && sl[1] == 0) *sl = 0, sl = strrchr(p, '/');   /* trailing slashes */
        if (!sl) snprintf(p, sizeof p, ".");
        else if (sl == p) p[1] = 0;
        else *sl = 0;
    }
}

/* A run folder that already holds a run (a checkpoint or config.txt) is only continued (by
 * --resume of a checkpoint in it) or replaced on request (--force), never overwritten by
 * accident. */
static int check_not_another_run(const trainopts_t *o, char *err)
{
    const char *dir = o->tc.out_dir;
    static const char *const files[] = {"last.ckpt", "best.ckpt", "config.txt"};
    char p[4200];
    const char *found = NULL;
    struct stat st;
    for (int k = 0; k < 3 && !found; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[k]);
        if (stat(p, &st) == 0) found = files[k];
    }
    if (!found || o->force) return 0;
    if (o->tc.resume) {
        char a[4096], b[4096], rd[4096];
        train_run_dir(NULL, o->tc.resume, ".", rd, sizeof rd);
        if (realpath(dir, a) && realpath(rd, b) && !strcmp(a, b)) return 0;   /* continuing it */
        return st_err(err, "--out %s holds another run (%s); resume into the checkpoint's own folder, "
                      "another --out, or give --force to replace it", dir, found);
    }
    return st_err(err, "--out %s holds a run already (%s); continue it with --resume %s/last.ckpt, "
                  "or give --force to replace it", dir, found, dir);
}

int trainrun_join(char *err)
{
    return dist_init(NULL, NULL, err);
}

int trainrun_exit(int rc)
{
    /* A failure may be this rank's alone while the others wait in a collective: stop them all
     * (the launcher then exits with rc). A clean stop is agreed on by every rank. */
    if (rc != CLI_OK && rc != CLI_INTERRUPTED) dist_abort(rc);
    dist_finalize();
    return rc;
}

int trainrun_prepare(trainopts_t *o, const char *fallback, int *usage, char *err)
{
    train_config_t *c = &o->tc;
    *usage = 1;
    if (train_config_finish(c, err)) return -1;
    *usage = 0;
    /* processes sharing a machine share its cores unless told otherwise */
    if (c->threads <= 0 && dist_local_size() > 1) {
        c->threads = omp_get_num_procs() / dist_local_size();
        if (c->threads < 1) c->threads = 1;
    }
    c->threads = train_set_threads(c->threads);
    int root = dist_rank() == 0;
    if (!o->quiet && root) warn_if_busy(c->threads);
    if (!o->quiet && root && dist_size() > 1)
        fprintf(stderr, "%s: data parallel: %d ranks, %d threads each, global batch %d\n", cli_prog(), dist_size(),
                c->threads, c->batch);
    c->out_dir = train_run_dir(c->out_dir, c->resume, fallback, o->out_buf, sizeof o->out_buf);
    if (!root) return 0;   /* rank 0 alone writes the run folder; its checks stop the run */
    if (check_writable(c->out_dir, err)) return -1;
    *usage = 1;
    if (check_not_another_run(o, err)) return -1;
    *usage = 0;
    return 0;
}

/* ---- the display of a run ---- */
typedef struct {
    const trainopts_t *o;
    const train_data_t *d;
    progress_t pr;
    int bar_open;
    double run_t0;       /* clock and total step at the first step of this session */
    long run_step0;
} view_t;

static void view_event(void *ctx, const train_event_t *ev)
{
    view_t *v = ctx;
    int quiet = v->o->quiet;
    switch (ev->kind) {
    case TRAIN_EV_EPOCH_BEGIN: {
        char label[64];
        snprintf(label, sizeof label, "epoch %ld/%d", ev->epoch, ev->epochs);
        progress_start(&v->pr, quiet ? PROGRESS_OFF : v->o->progress, label, ev->steps);
        v->bar_open = 1;
        break;
    }
    case TRAIN_EV_STEP: {
        /* Whole-run ETA from this session's pace, beside the epoch's own. */
        if (v->run_t0 == 0) v->run_t0 = progress_now(), v->run_step0 = ev->total_step - 1;
        long done = ev->total_step - v->run_step0;
        double el = progress_now() - v->run_t0;
        char run_eta[32], extra[200];
        progress_format_time(run_eta, sizeof run_eta, done > 0 ? el / done * (ev->total_steps - ev->total_step) : -1);
        snprintf(extra, sizeof extra, "run ETA %s loss %.4f acc %.3f %.0f samples/s", run_eta, ev->loss, ev->acc,
                 ev->samples_per_s);
        progress_update(&v->pr, ev->step, extra, ev->step == ev->steps);
        if (ev->step == ev->steps) progress_finish(&v->pr), v->bar_open = 0;
        break;
    }
    case TRAIN_EV_EPOCH_END:
        if (quiet) break;
        printf("epoch %ld/%d  lr %.4g  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1f s  %.0f samples/s\n",
               ev->epoch, ev->epochs, ev->lr, ev->loss, ev->acc, ev->val_loss, ev->val_acc, ev->seconds,
               ev->samples_per_s);
        fflush(stdout);
        break;
    case TRAIN_EV_STOPPED:
        if (v->bar_open) progress_finish(&v->pr), v->bar_open = 0;
        if (quiet) break;
        if (ev->step) printf("stopped at epoch %ld step %ld; continue with --resume %s\n", ev->epoch, ev->step, ev->path);
        else printf("stopped after epoch %ld; continue with --resume %s\n", ev->epoch, ev->path);
        break;
    case TRAIN_EV_TEST:
        if (!quiet) {
            printf("test split (best checkpoint, epoch %ld): ", ev->best_epoch);
            eval_report_print(ev->report, v->d->class_names, stdout);
            printf("reports: %s_report.txt, %s_per_class.csv, %s_confusion.csv\n", ev->path, ev->path, ev->path);
        } else {   /* --quiet still says how the run ended */
            printf("test accuracy %.4f (best checkpoint, epoch %ld); report: %s_report.txt\n",
                   eval_report_accuracy(ev->report), ev->best_epoch, ev->path);
        }
        break;
    }
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int trainrun_run(trainopts_t *o, const char *prog_args, const train_data_t *d)
{
    char err[ST_ERR_LEN];
    char *shared = trainopts_canonical(&o->tc);
    const char *pa = prog_args ? prog_args : "";
    size_t pl = strlen(pa);
    char *args = shared ? malloc(pl + strlen(shared) + 2) : NULL;
    if (!args) {
        free(shared);
        return cli_fail(CLI_FAIL, "out of memory");
    }
    sprintf(args, "%s%s%s", pa, (pl && pa[pl - 1] != '\n') ? "\n" : "", shared);
    free(shared);
    view_t v = {.o = o, .d = d};
    train_config_t c = o->tc;
    c.args = args;
    c.on_event = view_event;
    c.event_ctx = &v;
    c.stop = &g_stop;

    /* Ctrl-C / SIGTERM: finish the step, write last.ckpt, stop. A second signal kills
     * (SA_RESETHAND restores the default action). */
    struct sigaction sa, old_int, old_term;
    g_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int stopped = 0;
    int rc = train_run(&c, d, &stopped, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (v.bar_open) progress_finish(&v.pr);
    free(args);
    if (rc) return cli_fail(CLI_FAIL, err);
    return stopped == 2 ? CLI_INTERRUPTED : CLI_OK;
}
