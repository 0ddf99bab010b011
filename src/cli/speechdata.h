/* speechdata.h: speechtrain's own flags (data folder, features, dataset options) and the
 * Speech Commands dataset wrapped as a train_data_t for the shared training loop. */
#ifndef ST_SPEECHDATA_H
#define ST_SPEECHDATA_H

#include <stdio.h>

#include "audio/mel.h"
#include "audio/speechcommands.h"
#include "train/train.h"

typedef struct {
    const char *data;       /* --data DIR (NULL: not given) */
    feat_config_t feat;     /* feature settings */
    int feat_given;         /* a feature flag was given on the command line */
    sc_options_t sc;        /* dataset options (balance, strict, augmentation switches) */
    char data_abs[4096];    /* data as an absolute path, once resolved */
} speech_opts_t;

void speech_opts_default(speech_opts_t *o);
/* Like trainopts_parse: 1 consumed, 0 not ours, -1 error. Feature flags only when
 * features != 0, dataset flags only when dataset != 0. */
int speech_opts_parse(speech_opts_t *o, int argc, char **argv, int *i, int features, int dataset, char *err);
void speech_opts_help(FILE *f, int features, int dataset);

/* Canonical args of the speech flags (one per line), malloc'd. */
char *speech_opts_canonical(const speech_opts_t *o);

/* The dataset with its train_data_t view. */
typedef struct {
    sc_dataset_t *ds;
    char meta[1024];
    train_data_t td;
} speech_data_t;

int speech_data_open(speech_data_t *s, speech_opts_t *o, char *err);
void speech_data_close(speech_data_t *s);

/* Loads a speechtrain checkpoint for eval/predict: the model (max_batch rows), its info,
 * and its feature settings into o->feat. Feature flags the user gave (o->feat_given) must
 * equal the checkpoint's, else -1 ("checkpoint was trained with --n-mels 32, not 40").
 * The class names come from the checkpoint (one without names and 12 outputs is the Kaggle
 * set) and are also set as o->sc.classes, so that a dataset opened with o has the same
 * classes; info must outlive that use. */
#include "model/checkpoint.h"
int speech_ckpt_open(const char *path, int max_batch, speech_opts_t *o, model_t **m, ckpt_info_t *info,
                     char *err);

/* Opens the data a loaded checkpoint is evaluated on, without augmentation: --data when o
 * holds one, else the folder (and silence share) the checkpoint was trained on, else the
 * demo corpus. o->data may then point into *saved, which the caller frees with
 * text_lines_free after closing s. Returns 0; -1 with err set; 1 when no folder is known. */
int speech_data_open_for(speech_data_t *s, speech_opts_t *o, const ckpt_info_t *info, int quiet,
                         char ***saved, char *err);

/* The demo corpus folder (datasets/demo beside the current folder or the program), or
 * NULL when it is not there. */
const char *speech_demo_corpus(void);

#endif
