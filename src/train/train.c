/* train.c: one training run as a session (open, steps, end of epoch, report, close) and
 * train_run, which strings them together. */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/checkpoint.h"
#include "train/dist.h"
#include "train/internal.h"

/* Stream id of the mixing generator: rng_derive(seed, TRAIN_STREAM_MIX, global step). */
#define TRAIN_STREAM_MIX 0x4d4958ULL

struct train_session {
    const train_config_t *c;
    const train_data_t *d;
    model_t *m;
    mix_ctx_t *mix;
    float *x, *y;                  /* (B, C, H, W) batch, (B, K) soft targets */
    float *ys;                     /* (nl, K) this rank's targets times nl/B (data parallel) */
    int *lab, *order;
    int B;                         /* batch rows actually used (the split may be smaller) */
    int rank, ranks;               /* this process among the run's (dist.h) */
    long lo, nl;                   /* this rank's rows [lo, lo + nl) of every batch */
    long n_train, n_val, n_test;
    long spe, total_steps;         /* steps per epoch (full batches only), over the run */
    long epoch;                    /* current epoch (0-based) */
    long s;                        /* next step within it */
    long s0;                       /* first step of this epoch run in this session */
    int order_ready;               /* the epoch's order has been drawn */
    long samples;                  /* samples trained this epoch in this session */
    double t_start, t_train;       /* epoch clock */
    double lr_first;               /* learning rate at the epoch's first step */
    train_state_t st;
    run_log_t log;
    char path_last[4200], path_best[4200], path_log[4200], path_test[4200];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void emit(const train_session_t *s, train_event_t *ev)
{
    if (!s->c->on_event || s->rank != 0) return;
    ev->epoch = s->epoch + 1;
    ev->epochs = s->c->epochs;
    ev->steps = s->spe;
    ev->total_steps = s->total_steps;
    if (!ev->total_step) ev->total_step = s->epoch * s->spe + ev->step;
    s->c->on_event(s->c->event_ctx, ev);
}

static double lr_at(const train_session_t *s, long gstep)
{
    return lr_cosine(s->c->lr, gstep, s->total_steps, s->c->warmup);
}

int train_open(train_session_t **out, const train_config_t *c, const train_data_t *d, char *err)
{
    *out = NULL;
    if (!c->out_dir) return st_err(err, "training: no run folder given");
    train_session_t *s = calloc(1, sizeof *s);
    if (!s) return st_err(err, "out of memory");
    s->c = c, s->d = d;
    s->st.best_acc = -1;
    int K = d->n_classes;
    s->n_train = d->count(d->ctx, TRAIN_SPLIT_TRAIN);
    s->n_val = d->count(d->ctx, TRAIN_SPLIT_VAL);
    s->n_test = d->count(d->ctx, TRAIN_SPLIT_TEST);
    if (s->n_train < 1) {
        st_err(err, "the training split is empty");
        goto fail;
    }
    s->B = c->batch;
    s->spe = s->n_train / s->B;
    if (s->spe < 1) {
        s->spe = 1;
        s->B = (int)s->n_train;
    }
    s->total_steps = s->spe * c->epochs;
    s->rank = dist_rank(), s->ranks = dist_size();
    dist_slice(s->B, s->rank, s->ranks, &s->lo, &s->nl);
    long lo0, nl_max;   /* rank 0 has the largest slice */
    dist_slice(s->B, 0, s->ranks, &lo0, &nl_max);
    if (s->nl < 1) {
        st_err(err, "a batch of %d cannot be shared by %d processes (each needs a row)", s->B, s->ranks);
        goto fail;
    }
    const char *args = c->args ? c->args : "";
    snprintf(s->path_last, sizeof s->path_last, "%s/last.ckpt", c->out_dir);
    snprintf(s->path_best, sizeof s->path_best, "%s/best.ckpt", c->out_dir);
    snprintf(s->path_log, sizeof s->path_log, "%s/log.csv", c->out_dir);
    snprintf(s->path_test, sizeof s->path_test, "%s/test", c->out_dir);
    /* rank 0 alone writes the run folder */
    if (s->rank == 0 && (train_mkdirs(c->out_dir, err) || run_write_config(c->out_dir, c->prog, args, c->threads, err)))
        goto fail;

    long step0 = 0;
    if (c->resume) {
        ckpt_info_t info;
        if (ckpt_load(c->resume, &s->m, (int)nl_max, &info, err)) goto fail;
        const model_config_t *mc = model_config(s->m);
        int bad = 0;
        if (mc->in_ch != d->c || mc->h != d->h || mc->w != d->w || mc->classes != K)
            bad = st_err(err, "%s: checkpoint is for %d x %d x %d inputs and %d classes, the data has %d x %d x %d and %d",
                         c->resume, mc->in_ch, mc->h, mc->w, mc->classes, d->c, d->h, d->w, K);
        else if (d->meta)
            bad = run_meta_compare(d->meta, info.meta_text, c->resume, err);
        run_state_from_meta(info.meta_text, &s->st);
        step0 = info.step;
        ckpt_info_free(&info);
        if (bad) goto fail;
        if (!s->st.run_id[0]) run_id_new(&s->st, args);   /* a run from before run ids */
        else if (step0 >= s->spe && s->rank == 0 && run_best_check(s->path_best, c->resume, &s->st, err)) goto fail;
        if (step0 < 0 || step0 > s->total_steps) {
            st_err(err, "%s: checkpoint is at step %ld, past the end of this %ld-step run", c->resume, step0,
                   s->total_steps);
            goto fail;
        }
        if (run_log_load(&s->log, s->rank == 0 ? s->path_log : NULL, step0 / s->spe, err)) goto fail;
    } else {
        run_id_new(&s->st, args);
        model_config_t mc = {.in_ch = d->c, .classes = K, .width = c->width, .h = d->h, .w = d->w};
        if (!(s->m = model_init(&mc, (int)nl_max, c->seed, err))) goto fail;
        if (run_log_load(&s->log, NULL, 0, err)) goto fail;
    }
    s->epoch = step0 / s->spe;
    s->s = s->s0 = step0 % s->spe;
    if (!c->no_mix && !(s->mix = mix_init(&c->mix, s->B, d->c, d->h, d->w, K, err))) goto fail;
    size_t chw = (size_t)d->c * d->h * d->w;
    /* 64-byte rows as PyTorch's allocator gives: mix_apply runs ~30% slower on rows that
     * split cache lines */
    s->x = aligned_alloc(64, ((size_t)s->B * chw * sizeof *s->x + 63) / 64 * 64);
    s->y = malloc((size_t)s->B * K * sizeof *s->y);
    s->lab = malloc((size_t)s->B * sizeof *s->lab);
    s->order = malloc((size_t)s->n_train * sizeof *s->order);
    s->ys = malloc((size_t)s->nl * K * sizeof *s->ys);
    if (!s->x || !s->y || !s->lab || !s->order || !s->ys) {
        st_err(err, "out of memory");
        goto fail;
    }
    if (s->ranks > 1) {
        /* every rank starts from rank 0's state (the same bytes, unless a rank read another
         * checkpoint file) */
        model_t *m = s->m;
        dist_broadcast(model_params(m), model_num_params(m) * sizeof(float), 0);
        dist_broadcast(model_momentum(m), model_num_params(m) * sizeof(float), 0);
        dist_broadcast(model_bn_stats(m), model_num_bn_stats(m) * sizeof(float), 0);
        if (!c->local_bn && model_set_bn_reduce(m, dist_sum_double_cb, NULL)) {
            st_err(err, "out of memory");
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    train_close(s);
    return -1;
}

int train_pending(const train_session_t *s) { return s->epoch < s->c->epochs; }

model_t *train_model(train_session_t *s) { return s->m; }

/* Draws the epoch's order and starts its clock, before its first step in this session. */
static void begin_epoch(train_session_t *s)
{
    if (s->s == 0) s->st.loss_sum = s->st.acc_sum = 0, s->st.seen = 0;
    s->d->order(s->d->ctx, TRAIN_SPLIT_TRAIN, s->epoch, s->order, (int)s->n_train);
    s->order_ready = 1;
    s->samples = 0;
    s->t_start = now_s();
    s->lr_first = lr_at(s, s->epoch * s->spe);
    train_event_t ev = {.kind = TRAIN_EV_EPOCH_BEGIN, .step = s->s};
    emit(s, &ev);
}

int train_step(train_session_t *s, char *err)
{
    const train_config_t *c = s->c;
    const train_data_t *d = s->d;
    if (!train_pending(s) || s->s >= s->spe) return 0;
    if (!s->order_ready) begin_epoch(s);
    const int B = s->B, K = d->n_classes;
    const float smooth = (float)c->label_smoothing;
    long gstep = s->epoch * s->spe + s->s;
    const size_t chw = (size_t)d->c * d->h * d->w;
    const long lo = s->lo, nl = s->nl;
    d->batch(d->ctx, TRAIN_SPLIT_TRAIN, s->order + s->s * B + lo, (int)nl, s->epoch, c->augment, s->x + lo * chw,
             s->lab + lo);
    if (train_global_batch(s->mix, c->seed, gstep, s->x, s->lab, s->y, B, chw, K, smooth, err)) return -1;
    const float *x = s->x + lo * chw, *y = s->y + lo * K;
    model_forward(s->m, x, (int)nl, 1);
    /* Accuracy on the mixed targets: the target weight of the predicted class, with label
     * smoothing taken back out (lam*[pred=y_i] + (1-lam)*[pred=y_perm]). */
    const float *z = model_logits(s->m);
    double acc = 0;
    for (long i = 0; i < nl; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (z[(size_t)i * K + k] > z[(size_t)i * K + best]) best = k;
        acc += ((double)y[(size_t)i * K + best] - smooth / K) / (1.0 - smooth);
    }
    float loss;
    if (s->ranks == 1) {
        loss = model_loss(s->m, y, B);
    } else {
        /* The loss is linear in the targets: scaled by nl/B, this rank's mean over its nl rows
         * becomes its share of the mean over the whole batch, and the ranks' gradients add up
         * to the whole batch's (for any split of B). */
        const float share = (float)nl / (float)B;
        for (size_t i = 0; i < (size_t)nl * K; i++) s->ys[i] = y[i] * share;
        loss = model_loss(s->m, s->ys, (int)nl);
    }
    model_zero_grad(s->m);
    model_backward(s->m, (int)nl);
    if (s->ranks > 1) {
        dist_sum_float(model_grads(s->m), model_num_params(s->m));
        double t[2] = {loss, acc};
        dist_sum_double(t, 2);
        loss = (float)t[0], acc = t[1];
    }
    if (!isfinite(loss))
        return st_err(err, "the training loss became %s at epoch %ld, step %ld (lr %g); stopped. The last good "
                      "checkpoint is %s (try a lower --lr)", isnan(loss) ? "NaN" : "infinite", s->epoch + 1,
                      s->s + 1, lr_at(s, gstep), s->path_last);
    model_sgd_step(s->m, (float)lr_at(s, gstep), (float)c->momentum, (float)c->wd);
    /* --local-bn: rank 0's running statistics are the run's, as PyTorch DDP broadcasts them */
    if (s->ranks > 1 && c->local_bn)
        dist_broadcast(model_bn_stats(s->m), model_num_bn_stats(s->m) * sizeof(float), 0);
    s->st.loss_sum += (double)loss * B;
    s->st.acc_sum += acc;
    s->st.seen += B;
    s->samples += B;
    s->s++;
    double el = now_s() - s->t_start;
    train_event_t ev = {.kind = TRAIN_EV_STEP, .step = s->s, .loss = s->st.loss_sum / s->st.seen,
                        .acc = s->st.acc_sum / s->st.seen, .seconds = el,
                        .samples_per_s = el > 0 ? s->samples / el : 0.0};
    emit(s, &ev);
    if (s->s == s->spe) s->t_train = now_s() - s->t_start;
    return 1;
}

int train_global_batch(mix_ctx_t *mix, uint64_t seed, long gstep, float *x, int *lab, float *y, int B,
                       size_t chw, int K, float smooth, char *err)
{
    long lo, nl;
    dist_slice(B, dist_rank(), dist_size(), &lo, &nl);
    if (mix) {   /* partners come from the whole batch: every rank gets every row */
        dist_gather_rows(x, chw * sizeof *x, B);
        dist_gather_rows(lab, sizeof *lab, B);
        lo = 0, nl = B;
    }
    if (mix_onehot(y + lo * K, lab + lo, (int)nl, K, smooth))
        return st_err(err, "the data source returned a label outside 0..%d", K - 1);
    if (!mix) return 0;
    rng_t r;
    rng_derive(&r, seed, TRAIN_STREAM_MIX, (uint64_t)gstep);
    return mix_apply(mix, &r, x, y, B, NULL, err);
}

int train_checkpoint(train_session_t *s, char *err)
{
    if (s->rank != 0) return 0;
    long step = s->epoch * s->spe + s->s;
    return run_save_ckpt(s->path_last, s->m, s->d, &s->st, s->c->args ? s->c->args : "", s->epoch, step, err);
}

int train_end_epoch(train_session_t *s, char *err)
{
    const train_config_t *c = s->c;
    if (!s->order_ready) begin_epoch(s);   /* resumed exactly at an epoch's end */
    double val_loss = NAN, val_acc = NAN;
    if (s->n_val > 0) {
        eval_report_t r;
        if (train_evaluate(s->m, s->d, TRAIN_SPLIT_VAL, c->eval_batch, &r, err)) return -1;
        val_loss = r.loss;
        val_acc = eval_report_accuracy(&r);
        eval_report_free(&r);
    }
    double secs = now_s() - s->t_start, sps = s->t_train > 0 ? s->samples / s->t_train : 0.0;
    double tl = s->st.seen ? s->st.loss_sum / s->st.seen : NAN, ta = s->st.seen ? s->st.acc_sum / s->st.seen : NAN;
    char row[512];
    snprintf(row, sizeof row, "%ld,%.6g,%.6f,%.6f,%.6f,%.6f,%.2f,%.1f\n", s->epoch + 1, s->lr_first, tl, ta,
             val_loss, val_acc, secs, sps);
    if (s->rank == 0 && run_log_add(&s->log, row, err)) return -1;
    train_event_t ev = {.kind = TRAIN_EV_EPOCH_END, .step = s->spe, .lr = s->lr_first, .loss = tl, .acc = ta,
                        .val_loss = val_loss, .val_acc = val_acc, .seconds = secs, .samples_per_s = sps};
    emit(s, &ev);
    if (s->rank == 0 && run_write_text(s->path_log, s->log.text, err)) return -1;
    int improved = s->n_val == 0 || val_acc > s->st.best_acc;
    if (improved && s->n_val) s->st.best_acc = val_acc;
    s->st.loss_sum = s->st.acc_sum = 0, s->st.seen = 0;
    s->epoch++;
    s->s = s->s0 = 0;
    s->order_ready = 0;
    s->t_train = 0;
    const char *args = c->args ? c->args : "";
    long step = s->epoch * s->spe;
    if (s->rank != 0) return 0;
    if (run_save_ckpt(s->path_last, s->m, s->d, &s->st, args, s->epoch, step, err)) return -1;
    if (improved && run_save_ckpt(s->path_best, s->m, s->d, &s->st, args, s->epoch, step, err)) return -1;
    return 0;
}

int train_report(train_session_t *s, char *err)
{
    if (s->n_test <= 0) return 0;
    long best_epoch = 0;
    if (s->rank == 0) {   /* the others get its weights: the run folder need not be shared */
        ckpt_info_t bi;
        if (ckpt_load_into(s->path_best, s->m, &bi, err)) return -1;
        best_epoch = bi.epoch;
        int foreign = run_id_check(s->path_best, bi.meta_text, &s->st, err);
        ckpt_info_free(&bi);
        if (foreign) return -1;
    }
    dist_broadcast(model_params(s->m), model_num_params(s->m) * sizeof(float), 0);
    dist_broadcast(model_bn_stats(s->m), model_num_bn_stats(s->m) * sizeof(float), 0);
    eval_report_t r;
    if (train_evaluate(s->m, s->d, TRAIN_SPLIT_TEST, s->c->eval_batch, &r, err)) return -1;
    int rc = s->rank == 0 ? eval_report_write(&r, s->d->class_names, s->path_test, err) : 0;
    if (!rc) {
        train_event_t ev = {.kind = TRAIN_EV_TEST, .best_epoch = best_epoch, .report = &r, .path = s->path_test};
        s->epoch--;   /* the event names the last epoch */
        emit(s, &ev);
        s->epoch++;
    }
    eval_report_free(&r);
    return rc;
}

void train_close(train_session_t *s)
{
    if (!s) return;
    free(s->log.text);
    free(s->x), free(s->y), free(s->ys), free(s->lab), free(s->order);
    mix_free(s->mix);
    model_free(s->m);
    free(s);
}

/* Ctrl-C on any rank stops them all after the same step. */
static int stop_asked(const train_config_t *c)
{
    return !dist_all_ok(!(c->stop && *c->stop));
}

int train_run(const train_config_t *c, const train_data_t *d, int *stopped, char *err)
{
    if (stopped) *stopped = 0;
    train_session_t *s;
    if (train_open(&s, c, d, err)) return -1;
    int rc = -1;
    while (train_pending(s)) {
        int r;
        while ((r = train_step(s, err)) > 0) {
            long done = s->epoch * s->spe + s->s;
            int sig = stop_asked(c), stop_now = sig || (c->max_steps && done >= c->max_steps);
            int mid = s->s < s->spe;
            if (mid && (stop_now || (c->ckpt_every && done % c->ckpt_every == 0)) && train_checkpoint(s, err))
                goto done;
            if (stop_now && mid) {
                train_event_t ev = {.kind = TRAIN_EV_STOPPED, .step = s->s, .path = s->path_last};
                emit(s, &ev);
                if (stopped) *stopped = sig ? 2 : 1;
                rc = 0;
                goto done;
            }
        }
        if (r < 0 || train_end_epoch(s, err)) goto done;
        long done = s->epoch * s->spe;
        int sig = stop_asked(c);
        if ((sig || (c->max_steps && done >= c->max_steps)) && train_pending(s)) {
            s->epoch--;   /* the event names the epoch just finished */
            train_event_t ev = {.kind = TRAIN_EV_STOPPED, .step = 0, .path = s->path_last};
            emit(s, &ev);
            s->epoch++;
            if (stopped) *stopped = sig ? 2 : 1;
            rc = 0;
            goto done;
        }
    }
    rc = train_report(s, err);
done:
    train_close(s);
    return rc;
}
