/* cifar.h: the CIFAR-10 / CIFAR-100 binary datasets (docs/reference.md §7).
 *
 * CIFAR-10: DIR/data_batch_1..5.bin (train) and DIR/test_batch.bin, records of 1 label byte
 * + 3072 pixel bytes. CIFAR-100: DIR/train.bin and DIR/test.bin, records of 2 label bytes
 * (coarse, fine) + 3072 pixel bytes; we train on the fine label. Pixels are three 32x32
 * planes R, G, B, so a record is already in (C, H, W) order.
 *
 * DIR may also be the folder that holds the unpacked archive (cifar-10-batches-bin/ or
 * cifar-100-binary/). Every file is validated (size a whole number of records, labels in
 * range) before anything is used, so a bad file is an error naming that file.
 */
#ifndef ST_CIFAR_H
#define ST_CIFAR_H

#include <stdint.h>

#define CIFAR_C 3
#define CIFAR_H 32
#define CIFAR_W 32
#define CIFAR_PIXELS (CIFAR_C * CIFAR_H * CIFAR_W)

enum { CIFAR_TRAIN = 0, CIFAR_TEST = 1 };

typedef struct {
    int n_classes;          /* 10 or 100 */
    int n[2];               /* records in the train and test splits */
    uint8_t *pix[2];        /* (n, 3, 32, 32) raw pixels per split */
    uint8_t *label[2];      /* (n) class index (the fine label for CIFAR-100) */
    char dir[1024];         /* the folder the files were read from */
} cifar_t;

/* Loads a dataset. dataset is 10, 100, or 0 to detect it from the files present. */
int cifar_load(cifar_t *c, const char *dir, int dataset, char *err);
void cifar_free(cifar_t *c);

/* Reads one binary batch file. label_bytes is 1 (CIFAR-10) or 2 (CIFAR-100, fine label is
 * the second byte); labels must be < n_classes (and the coarse label < 20). On success
 * *pix is (n, 3072) and *labels (n), both malloc'd. */
int cifar_read_file(const char *path, int label_bytes, int n_classes, uint8_t **pix,
                    uint8_t **labels, int *n, char *err);

/* The class names of CIFAR-10 (10) or CIFAR-100 (100, fine labels in index order). */
const char *const *cifar_class_names(int n_classes);

/* Per-channel mean and (population) standard deviation of pixel/255 over n images of
 * (3, 32, 32); the usual normalisation constants when computed on the training split. */
void cifar_channel_stats(const uint8_t *pix, long n, float mean[CIFAR_C], float std[CIFAR_C]);

#endif
