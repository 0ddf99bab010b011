/* imagetrain: PreAct-ResNet18 with RandomMix on CIFAR-10/100 (docs/image.md).
 *
 * The program only describes the data: it loads and validates the CIFAR binary files and
 * hands trainrun_run (the training command speechtrain uses too) a train_data_t whose
 * batches are padded-random-cropped, flipped and normalised per channel. Mixing, the model,
 * checkpoints, resume, progress and reports are the shared code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opt.h"
#include "cli/trainrun.h"
#include "cli/util.h"
#include "common/err.h"
#include "common/rng.h"
#include "common/text.h"
#include "common/threads.h"
#include "image/augment.h"
#include "image/cifar.h"
#include "train/train.h"

/* Stream tags for rng_derive, so order and augmentation never share draws. */
#define TAG_ORDER 0x696d676f72646572ULL
#define TAG_AUG 0x696d676175676d74ULL

typedef struct {
    cifar_t data;
    int val;                 /* the last `val` training images form the validation split */
    int pad;                 /* random-crop padding */
    uint64_t seed;
    float mean[CIFAR_C], std[CIFAR_C];
    char meta[512];
} source_t;

static int src_count(void *ctx, int split)
{
    const source_t *s = ctx;
    if (split == TRAIN_SPLIT_TRAIN) return s->data.n[CIFAR_TRAIN] - s->val;
    if (split == TRAIN_SPLIT_VAL) return s->val;
    return s->data.n[CIFAR_TEST];
}

static int src_order(void *ctx, int split, long epoch, int *order, int len, char *err)
{
    const source_t *s = ctx;
    (void)err; /* nothing can fail */
    for (int i = 0; i < len; i++) order[i] = i;
    if (split != TRAIN_SPLIT_TRAIN) return 0;
    rng_t r;
    rng_derive(&r, s->seed ^ TAG_ORDER, (uint64_t)epoch, 0);
    rng_shuffle(&r, order, len);
    return 0;
}

static int src_batch(void *ctx, int split, const int *idx, int n, long epoch, int augment,
                     float *x, int *labels, char *err)
{
    const source_t *s = ctx;
    int part = split == TRAIN_SPLIT_TEST ? CIFAR_TEST : CIFAR_TRAIN;
    int base = split == TRAIN_SPLIT_VAL ? s->data.n[CIFAR_TRAIN] - s->val : 0;
    /* Each image's crop and flip come from its own stream (seed, epoch, item), so the batch
     * is the same for any thread count. */
    #pragma omp parallel for schedule(static) if (n >= 64)
    for (int j = 0; j < n; j++) {
        int item = base + idx[j];
        const uint8_t *img = s->data.pix[part] + (size_t)item * CIFAR_PIXELS;
        uint8_t tmp[CIFAR_PIXELS];
        if (augment && split == TRAIN_SPLIT_TRAIN) {
            rng_t r;
            rng_derive(&r, s->seed ^ TAG_AUG, (uint64_t)epoch, (uint64_t)item);
            image_augment_u8(tmp, img, CIFAR_C, CIFAR_H, CIFAR_W, s->pad, &r);
            img = tmp;
        }
        image_normalize(x + (size_t)j * CIFAR_PIXELS, img, CIFAR_C, CIFAR_H * CIFAR_W, s->mean, s->std);
        labels[j] = s->data.label[part][item];
    }
    (void)err; /* everything is in memory: nothing can fail */
    return 0;
}

static void usage(FILE *f, const train_config_t *c)
{
    fprintf(f,
        "usage: imagetrain --data DIR [options]\n"
        "Trains PreAct-ResNet18 with RandomMix on CIFAR-10 or CIFAR-100 (binary version).\n"
        "Data:\n"
        "  --data DIR           folder with data_batch_1..5.bin + test_batch.bin (CIFAR-10) or\n"
        "                       train.bin + test.bin (CIFAR-100), or the folder holding\n"
        "                       cifar-10-batches-bin/ or cifar-100-binary/\n"
        "  --dataset NAME       cifar10, cifar100 or auto (from the files present) [auto]\n"
        "  --val N              hold out the last N training images as the validation split\n"
        "                       (best.ckpt is chosen on it; 0 = train on all of them) [0]\n"
        "  --pad N              random-crop padding in pixels (standard: 4) [4]\n"
        "  --version            print the version\n"
        "Defaults below are the paper's image recipe: 200 epochs, batch 256, lr 0.1, wd 5e-4,\n"
        "alpha 1, weights 1,1,1,1 (the paper uses --weights 3,1,1,1 for WideResNet).\n\n");
    trainopts_help(f, c);
}

/* The program's own flags. */
typedef struct {
    const char *data, *dataset;
    int val, pad;
} image_opts_t;

/* Parses args into c and o; 0, or -1 with err. Shared training flags go to the shared parser. */
static int parse_all(trainopts_t *c, image_opts_t *o, int n, char **args, char *err)
{
    const opt_flag_t flags[] = {
        {"--data", OPT_STR, &o->data, 0, 0},
        {"--dataset", OPT_STR, &o->dataset, 0, 0},
        {"--val", OPT_INT, &o->val, 0, 1000000},
        {"--pad", OPT_INT, &o->pad, 0, 16},
    };
    for (int i = 0; i < n; i++) {
        int r = trainopts_parse(c, n, args, &i, err);
        if (r == 0) r = opt_parse(flags, sizeof flags / sizeof flags[0], n, args, &i, err);
        if (r < 0) return -1;
        if (r > 0) continue;
        return st_err(err, "%s '%s' (see imagetrain --help)",
                      args[i][0] == '-' ? "unknown option" : "unexpected argument", args[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    threads_wait_policy(argv);
    char err[ST_ERR_LEN];
    cli_set_prog("imagetrain");
    trainopts_t opts;
    trainopts_default(&opts);
    train_config_t *cfg = &opts.tc;
    /* The paper's CIFAR recipe (mixing defaults: alpha 1, weights 1,1,1,1). */
    cfg->epochs = 200;
    cfg->batch = 256;
    cfg->lr = 0.1;
    cfg->wd = 5e-4;
    cfg->prog = "imagetrain";
    image_opts_t o = {.dataset = "auto", .val = 0, .pad = 4};
    switch (cli_help_or_version(argc, argv)) {
    case 1: usage(stdout, cfg); return CLI_OK;
    case 2: cli_print_version(); return CLI_OK;
    }
    if (trainrun_join(err)) return cli_fail(CLI_FAIL, err);
    /* Resume: the checkpoint's own arguments first, the command line on top. */
    char **saved;
    int n_saved, usage_err;
    if (trainrun_saved_args(argc - 1, argv + 1, &saved, &n_saved, err)) return trainrun_exit(cli_fail(CLI_FAIL, err));
    int rc = CLI_USAGE;
    source_t *s = NULL;
    int which = 0;
    if (parse_all(&opts, &o, n_saved, saved, err) || parse_all(&opts, &o, argc - 1, argv + 1, err)) goto fail;
    if (!strcmp(o.dataset, "cifar10")) which = 10;
    else if (!strcmp(o.dataset, "cifar100")) which = 100;
    else if (strcmp(o.dataset, "auto")) {
        st_err(err, "--dataset: '%s' is not one of cifar10, cifar100, auto", o.dataset);
        goto fail;
    }
    if (!o.data) {
        st_err(err, "--data DIR is required (see imagetrain --help)");
        goto fail;
    }
    if (trainrun_prepare(&opts, "runs/imagetrain", &usage_err, err)) {
        rc = usage_err ? CLI_USAGE : CLI_FAIL;
        goto fail;
    }
    rc = CLI_FAIL;
    if (!(s = calloc(1, sizeof *s))) {
        st_err(err, "out of memory");
        goto fail;
    }
    if (cifar_load(&s->data, o.data, which, err)) goto fail;
    if (o.val >= s->data.n[CIFAR_TRAIN]) {
        st_err(err, "--val: %d held-out images leave none of the %d training images", o.val,
               s->data.n[CIFAR_TRAIN]);
        rc = CLI_USAGE;
        goto fail;
    }
    s->val = o.val;
    s->pad = o.pad;
    s->seed = cfg->seed;
    /* Normalisation constants from the images we train on (not the held-out ones). */
    cifar_channel_stats(s->data.pix[CIFAR_TRAIN], s->data.n[CIFAR_TRAIN] - s->val, s->mean, s->std);
    char t[6][TEXT_DOUBLE_LEN];
    snprintf(s->meta, sizeof s->meta, "data=cifar%d\nval=%d\npad=%d\nmean=%s,%s,%s\nstd=%s,%s,%s\n",
             s->data.n_classes, s->val, s->pad, text_double(t[0], s->mean[0]), text_double(t[1], s->mean[1]),
             text_double(t[2], s->mean[2]), text_double(t[3], s->std[0]), text_double(t[4], s->std[1]),
             text_double(t[5], s->std[2]));
    char prog_args[1400];
    snprintf(prog_args, sizeof prog_args, "--data\n%s\n--dataset\ncifar%d\n--val\n%d\n--pad\n%d\n",
             s->data.dir, s->data.n_classes, s->val, s->pad);
    train_data_t d = {
        .ctx = s,
        .c = CIFAR_C, .h = CIFAR_H, .w = CIFAR_W,
        .n_classes = s->data.n_classes,
        .class_names = cifar_class_names(s->data.n_classes),
        .count = src_count, .order = src_order, .batch = src_batch,
        .meta = s->meta,
    };
    rc = trainrun_run(&opts, prog_args, &d);
    goto done;
fail:
    rc = cli_fail(rc, err);
done:
    if (s) cifar_free(&s->data);
    free(s);
    text_lines_free(saved);
    return trainrun_exit(rc);
}
