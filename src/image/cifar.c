/* cifar.c: reading and validating the CIFAR binary files. */
#include "image/cifar.h"

#include "common/err.h"
#include "common/infile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const cifar10_names[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

/* The fine labels, in the index order of the dataset's fine_label_names.txt. */
static const char *const cifar100_names[100] = {
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
    "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
    "willow_tree", "wolf", "woman", "worm",
};

const char *const *cifar_class_names(int n_classes)
{
    return n_classes == 100 ? cifar100_names : cifar10_names;
}

int cifar_read_file(const char *path, int label_bytes, int n_classes, uint8_t **pix,
                    uint8_t **labels, int *n, char *err)
{
    *pix = NULL;
    *labels = NULL;
    *n = 0;
    struct stat st;
    FILE *f = infile_open(path, &st.st_size, err);
    if (!f) return -1;
    long rec = label_bytes + CIFAR_PIXELS;
    if (st.st_size == 0 || st.st_size % rec != 0) {
        fclose(f);
        return st_err(err, "%s: size %lld bytes is not a whole number of %ld-byte %s records",
                      path, (long long)st.st_size, rec, label_bytes == 1 ? "CIFAR-10" : "CIFAR-100");
    }
    if (st.st_size / rec > 1000000) {
        fclose(f);
        return st_err(err, "%s: %lld records is more than any CIFAR batch holds", path,
                      (long long)(st.st_size / rec));
    }
    int count = (int)(st.st_size / rec);
    uint8_t *p = malloc((size_t)count * CIFAR_PIXELS);
    uint8_t *l = malloc((size_t)count);
    if (!p || !l) {
        free(p);
        free(l);
        fclose(f);
        return st_err(err, "%s: out of memory for %d images", path, count);
    }
    uint8_t head[2];
    for (int i = 0; i < count; i++) {
        if (fread(head, 1, (size_t)label_bytes, f) != (size_t)label_bytes ||
            fread(p + (size_t)i * CIFAR_PIXELS, 1, CIFAR_PIXELS, f) != CIFAR_PIXELS) {
            free(p);
            free(l);
            fclose(f);
            return st_err(err, "%s: read error at record %d", path, i);
        }
        int label = head[label_bytes - 1];
        if (label_bytes == 2 && head[0] >= 20) {
            free(p);
            free(l);
            fclose(f);
            return st_err(err, "%s: record %d has coarse label %d, outside 0..19", path, i, head[0]);
        }
        if (label >= n_classes) {
            free(p);
            free(l);
            fclose(f);
            return st_err(err, "%s: record %d has label %d, outside 0..%d (is this CIFAR-%d data?)",
                          path, i, label, n_classes - 1, n_classes);
        }
        l[i] = (uint8_t)label;
    }
    fclose(f);
    *pix = p;
    *labels = l;
    *n = count;
    return 0;
}

/* out <- "a/b"; the caller has checked that a is short enough (cifar_load limits it). */
static void join(char *out, size_t n, const char *a, const char *b)
{
    if (snprintf(out, n, "%s/%s", a, b) >= (int)n) out[n - 1] = 0;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Appends the records of path to split s of c. */
static int append_file(cifar_t *c, int s, const char *path, int label_bytes, char *err)
{
    uint8_t *pix, *lab;
    int n;
    if (cifar_read_file(path, label_bytes, c->n_classes, &pix, &lab, &n, err)) return -1;
    if (c->n[s] > 0x7fffffff - n) {
        free(pix);
        free(lab);
        return st_err(err, "%s: too many images", path);
    }
    uint8_t *np = realloc(c->pix[s], (size_t)(c->n[s] + n) * CIFAR_PIXELS);
    if (np) c->pix[s] = np;
    uint8_t *nl = np ? realloc(c->label[s], (size_t)(c->n[s] + n)) : NULL;
    if (nl) c->label[s] = nl;
    if (!np || !nl) {
        free(pix);
        free(lab);
        return st_err(err, "%s: out of memory", path);
    }
    memcpy(c->pix[s] + (size_t)c->n[s] * CIFAR_PIXELS, pix, (size_t)n * CIFAR_PIXELS);
    memcpy(c->label[s] + c->n[s], lab, (size_t)n);
    c->n[s] += n;
    free(pix);
    free(lab);
    return 0;
}

/* Which dataset's files are in dir: 10, 100 or 0. */
static int detect(const char *dir)
{
    char p[1100];
    join(p, sizeof p, dir, "data_batch_1.bin");
    if (file_exists(p)) return 10;
    join(p, sizeof p, dir, "train.bin");
    if (file_exists(p)) return 100;
    return 0;
}

int cifar_load(cifar_t *c, const char *dir, int dataset, char *err)
{
    memset(c, 0, sizeof *c);
    if (dataset != 0 && dataset != 10 && dataset != 100)
        return st_err(err, "dataset: %d is not CIFAR-10 or CIFAR-100", dataset);
    if (strlen(dir) > 900) return st_err(err, "%.60s...: path too long", dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return st_err(err, "%s: not a folder", dir);
    /* Accept the folder the archive was unpacked into as well as the files' own folder. */
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    int found = detect(dir);
    if (!found || (dataset && found != dataset)) {
        const char *sub[2] = {"cifar-10-batches-bin", "cifar-100-binary"};
        for (int k = 0; k < 2; k++) {
            char d[1100];
            join(d, sizeof d, dir, sub[k]);
            int f = detect(d);
            if (f && (!dataset || f == dataset)) {
                join(c->dir, sizeof c->dir, dir, sub[k]);
                found = f;
                break;
            }
        }
    }
    if (!dataset) {
        if (!found)
            return st_err(err, "%s: no CIFAR files (expected data_batch_1.bin .. data_batch_5.bin and "
                          "test_batch.bin for CIFAR-10, or train.bin and test.bin for CIFAR-100)", dir);
        dataset = found;
    }
    c->n_classes = dataset;
    char p[1100];
    if (dataset == 10) {
        for (int b = 1; b <= 5; b++) {
            char name[32];
            snprintf(name, sizeof name, "data_batch_%d.bin", b);
            join(p, sizeof p, c->dir, name);
            if (!file_exists(p)) {
                cifar_free(c);
                return st_err(err, "%s: missing CIFAR-10 training batch %d of 5", p, b);
            }
            if (append_file(c, CIFAR_TRAIN, p, 1, err)) {
                cifar_free(c);
                return -1;
            }
        }
        join(p, sizeof p, c->dir, "test_batch.bin");
    } else {
        join(p, sizeof p, c->dir, "train.bin");
        if (!file_exists(p)) {
            cifar_free(c);
            return st_err(err, "%s: missing CIFAR-100 training file", p);
        }
        if (append_file(c, CIFAR_TRAIN, p, 2, err)) {
            cifar_free(c);
            return -1;
        }
        join(p, sizeof p, c->dir, "test.bin");
    }
    if (!file_exists(p)) {
        cifar_free(c);
        return st_err(err, "%s: missing CIFAR-%d test file", p, dataset);
    }
    if (append_file(c, CIFAR_TEST, p, dataset == 10 ? 1 : 2, err)) {
        cifar_free(c);
        return -1;
    }
    return 0;
}

void cifar_free(cifar_t *c)
{
    for (int s = 0; s < 2; s++) {
        free(c->pix[s]);
        free(c->label[s]);
        c->pix[s] = c->label[s] = NULL;
        c->n[s] = 0;
    }
}

void cifar_channel_stats(const uint8_t *pix, long n, float mean[CIFAR_C], float std[CIFAR_C])
{
    const int hw = CIFAR_H * CIFAR_W;
    for (int ch = 0; ch < CIFAR_C; ch++) {
        /* Integer sums are exact (< 2^63 for any real dataset), so the result does not depend
         * on summation order. */
        uint64_t s = 0, s2 = 0;
        for (long i = 0; i < n; i++) {
            const uint8_t *q = pix + (size_t)i * CIFAR_PIXELS + (size_t)ch * hw;
            for (int k = 0; k < hw; k++) {
                s += q[k];
                s2 += (uint64_t)q[k] * q[k];
            }
        }
        double cnt = (double)n * hw;
        double m = cnt > 0 ? (double)s / cnt : 0.0;
        double var = cnt > 0 ? (double)s2 / cnt - m * m : 0.0;
        mean[ch] = (float)(m / 255.0);
        std[ch] = (float)(var > 0 ? sqrt(var) / 255.0 : 1.0);
    }
}
