/* trainopts.c: the training flags both programs share (parsing, help text, canonical form). */
#include "cli/trainopts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "cli/opt.h"
#include "cli/progress.h"
#include "common/text.h"

int trainopts_parse(trainopts_t *o, int argc, char **argv, int *i, char *err)
{
    train_config_t *c = &o->tc;
    const char *a = argv[*i], *v = NULL;
    int r;
    const opt_flag_t num[] = {
        {"--epochs", OPT_INT, &c->epochs, 1, 1000000},
        {"--batch", OPT_INT, &c->batch, 1, 65536},
        {"--eval-batch", OPT_INT, &c->eval_batch, 1, 65536},
        {"--width", OPT_INT, &c->width, 1, 4096},
        {"--threads", OPT_INT, &c->threads, 0, 4096},
        {"--lr", OPT_DOUBLE, &c->lr, 0, 1e3},
        {"--wd", OPT_DOUBLE, &c->wd, 0, 1e3},
        {"--momentum", OPT_DOUBLE, &c->momentum, 0, 1},
        {"--warmup", OPT_LONG, &c->warmup, 0, 0x1p40},
        {"--label-smoothing", OPT_DOUBLE, &c->label_smoothing, 0, 0.999},
        {"--ckpt-every", OPT_LONG, &c->ckpt_every, 0, 0x1p40},
        {"--max-steps", OPT_LONG, &c->max_steps, 0, 0x1p40},
    };
    if ((r = opt_parse(num, (int)(sizeof num / sizeof num[0]), argc, argv, i, err))) return r;
#define VAL(name) ((r = opt_match(name, argc, argv, i, &v, err)) != 0)
#define CHK(expr) do { if (r < 0 || (expr)) return -1; return 1; } while (0)
    if (VAL("--seed")) {
        if (r < 0) return -1;
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end || errno || *v == '-') return st_err(err, "--seed: '%s' is not a non-negative whole number", v);
        c->seed = (uint64_t)s;
        return 1;
    }
    if (VAL("--candidates")) {
        if (r < 0) return -1;
        if (strlen(v) >= sizeof c->candidates) return st_err(err, "--candidates: value too long");
        snprintf(c->candidates, sizeof c->candidates, "%s", v);
        /* Keep the weights in step when only the candidates are given: one each. */
        return 1;
    }
    if (VAL("--weights")) {
        if (r < 0) return -1;
        if (strlen(v) >= sizeof c->weights) return st_err(err, "--weights: value too long");
        snprintf(c->weights, sizeof c->weights, "%s", v);
        c->weights_given = 1;
        return 1;
    }
    if (VAL("--alpha")) CHK(mix_config_set(&c->mix, "alpha", v, err));
    if (VAL("--mix-prob")) CHK(mix_config_set(&c->mix, "prob", v, err));
    if (VAL("--resize")) CHK(mix_config_set(&c->mix, "resize", v, err));
    if (VAL("--fmix-decay")) CHK(mix_config_set(&c->mix, "fmix-decay", v, err));
    if (VAL("--out")) CHK((c->out_dir = v, 0) || !*v ? st_err(err, "--out: empty path") : 0);
    if (VAL("--resume")) CHK((c->resume = v, 0) || !*v ? st_err(err, "--resume: empty path") : 0);
    if ((r = opt_progress(argc, argv, i, &o->progress, err))) return r;
#undef VAL
#undef CHK
    if ((r = opt_switch("--elem", a, err))) return r < 0 ? -1 : (mix_config_set(&c->mix, "elem", "1", err) ? -1 : 1);
    if ((r = opt_switch("--fmix-reference", a, err)))
        return r < 0 ? -1 : (mix_config_set(&c->mix, "fmix-reference", "1", err) ? -1 : 1);
    if ((r = opt_switch("--no-mix", a, err))) return r < 0 ? -1 : ((c->no_mix = 1), 1);
    if ((r = opt_switch("--no-augment", a, err))) return r < 0 ? -1 : ((c->augment = 0), 1);
    if ((r = opt_switch("--local-bn", a, err))) return r < 0 ? -1 : ((c->local_bn = 1), 1);
    if ((r = opt_switch("--quiet", a, err))) return r < 0 ? -1 : ((o->quiet = 1), 1);
    if ((r = opt_switch("--force", a, err))) return r < 0 ? -1 : ((o->force = 1), 1);
    return 0;
}

static void sb_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void sb_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (*buf && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        size_t nc = (*cap + (size_t)n + 256) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return;
        *buf = nb;
        *cap = nc;
    }
}

char *trainopts_canonical(const train_config_t *c)
{
    char t[4][TEXT_DOUBLE_LEN];
    char *b = NULL;
    size_t len = 0, cap = 0;
    sb_add(&b, &len, &cap, "--epochs\n%d\n--batch\n%d\n--eval-batch\n%d\n--width\n%d\n", c->epochs, c->batch,
           c->eval_batch, c->width);
    sb_add(&b, &len, &cap, "--lr\n%s\n--wd\n%s\n--momentum\n%s\n--warmup\n%ld\n--seed\n%llu\n", text_double(t[0], c->lr),
           text_double(t[1], c->wd), text_double(t[2], c->momentum), c->warmup, (unsigned long long)c->seed);
    sb_add(&b, &len, &cap, "--candidates\n");
    for (int k = 0; k < c->mix.ncand; k++) sb_add(&b, &len, &cap, "%s%s", k ? "," : "", mix_mode_name(c->mix.cand[k]));
    sb_add(&b, &len, &cap, "\n--weights\n");
    for (int k = 0; k < c->mix.ncand; k++) sb_add(&b, &len, &cap, "%s%s", k ? "," : "", text_double(t[0], c->mix.weights[c->mix.cand[k]]));
    sb_add(&b, &len, &cap, "\n--alpha\n");
    for (int k = 0; k < MIX_NMODES; k++)
        sb_add(&b, &len, &cap, "%s%s=%s", k ? "," : "", mix_mode_name(k), text_double(t[0], c->mix.alpha[k]));
    sb_add(&b, &len, &cap, "\n--mix-prob\n%s\n--resize\n%s,%s\n--fmix-decay\n%s\n", text_double(t[0], c->mix.prob),
           text_double(t[1], c->mix.resize_lo), text_double(t[2], c->mix.resize_hi), text_double(t[3], c->mix.fmix_decay));
    if (c->mix.elem) sb_add(&b, &len, &cap, "--elem\n");
    if (c->mix.fmix_reference) sb_add(&b, &len, &cap, "--fmix-reference\n");
    if (c->no_mix) sb_add(&b, &len, &cap, "--no-mix\n");
    if (!c->augment) sb_add(&b, &len, &cap, "--no-augment\n");
    if (c->local_bn) sb_add(&b, &len, &cap, "--local-bn\n");
    sb_add(&b, &len, &cap, "--label-smoothing\n%s\n--ckpt-every\n%ld\n", text_double(t[0], c->label_smoothing),
           c->ckpt_every);
    if (c->threads > 0) sb_add(&b, &len, &cap, "--threads\n%d\n", c->threads);
    return b;
}

void trainopts_help(FILE *f, const train_config_t *c)
{
    fprintf(f,
        "Training:\n"
        "  --epochs N           training epochs; the cosine schedule spans them all [%d]\n"
        "  --batch N            mini-batch size [%d]\n"
        "  --eval-batch N       batch size for validation/test passes [%d]\n"
        "  --width K            PreAct-ResNet18 width multiplier (64 = the paper's model) [%d]\n"
        "  --lr X               initial learning rate, cosine-annealed to 0 [%g]\n"
        "  --wd X               weight decay added to every gradient [%g]\n"
        "  --momentum X         SGD momentum [%g]\n"
        "  --warmup N           linear warm-up steps before the cosine schedule [%ld]\n"
        "  --seed N             seed of everything random (init, order, augmentation, mixing) [%llu]\n"
        "  --threads N          threads (0 = all cores) [%d]\n"
        "Mixing (RandomMix):\n"
        "  --candidates LIST    modes to draw from: mixup,cutmix,resizemix,fmix [%s]\n"
        "  --weights LIST       relative probability of each candidate, in order [%s]\n"
        "                       (a mode with weight 0 is never used; --weights 1,0,0,0 = Mixup only)\n"
        "  --alpha A            Beta(A,A) for lam; or per mode: mixup=0.2,fmix=1 [1]\n"
        "  --mix-prob P         mix a batch with probability P [1]\n"
        "  --elem               per-sample mode and lam instead of one per batch\n"
        "  --resize LO,HI       ResizeMix side ratio range [0.1,0.8]\n"
        "  --fmix-decay D       FMix spectrum decay power [3]\n"
        "  --fmix-reference     FMix repository's band-like masks instead of isotropic ones\n"
        "  --no-mix             no mixing at all (baseline)\n"
        "  --label-smoothing S  label smoothing, applied before mixing [0]\n"
        "  --no-augment         no data augmentation\n"
        "Run:\n"
        "  --out DIR            run directory (checkpoints, log.csv, reports) [%s]\n"
        "                       (with --resume: the checkpoint's folder)\n"
        "  --resume CKPT        continue from a checkpoint (DIR/last.ckpt); uses the saved\n"
        "                       configuration, flags given with it override (e.g. --threads)\n"
        "  --force              train into a folder that holds another run (its files are replaced)\n"
        "  --ckpt-every N       also write DIR/last.ckpt every N steps (0 = once per epoch) [%ld]\n"
        "  --max-steps N        stop cleanly after N steps in total, like Ctrl-C (0 = no limit)\n"
        "  --progress MODE      auto (bar on a terminal, plain lines otherwise), bar, plain\n"
        "  --quiet              no progress display\n"
        "Processes (under mpirun; docs/cluster.md):\n"
        "  --local-bn           BatchNorm statistics of each process's share of the batch\n"
        "                       (PyTorch DDP without SyncBN); default: of the whole batch,\n"
        "                       as one process computes them\n",
        c->epochs, c->batch, c->eval_batch, c->width, c->lr, c->wd, c->momentum, c->warmup,
        (unsigned long long)c->seed, c->threads, c->candidates, c->weights, c->out_dir ? c->out_dir : "runs/latest", c->ckpt_every);
}

void trainopts_default(trainopts_t *o)
{
    memset(o, 0, sizeof *o);
    train_config_default(&o->tc);
    o->progress = PROGRESS_AUTO;
}
