/* libFuzzer target: the dataset scanner and split lists (sc_scan) on a scratch tree
 * /tmp/st-fuzz-<pid>-tree with word folders, clips and background noise. The input is up to
 * three parts split at 0xff bytes: validation_list.txt, testing_list.txt, and lines naming
 * extra entries made in yes/ for this input (a name ending in '/' is a folder, '|' a FIFO),
 * so odd file names and file kinds reach the scanner too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "audio/sc_internal.h"

static char dir[128];

static void put(const char *rel, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) abort();
}

static void remove_tree(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void make_tree(void)
{
    snprintf(dir, sizeof dir, "/tmp/st-fuzz-%ld-tree", (long)getpid());
    static const char *folders[] = {"", "/yes", "/no", "/marvin", "/_background_noise_"};
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s%s", dir, folders[i]);
        mkdir(p, 0755);
    }
    static const char *files[] = {"yes/a_nohash_0.wav", "yes/b_nohash_0.wav", "no/a_nohash_1.wav",
                                  "marvin/c_nohash_0.wav", "_background_noise_/n.wav"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) put(files[i], "RIFF", 4);
    atexit(remove_tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    if (!dir[0]) make_tree();
    const uint8_t *part[3] = {data, NULL, NULL};
    size_t len[3] = {size, 0, 0};
    for (int k = 0; k < 2 && part[k]; k++) {
        const uint8_t *cut = memchr(part[k], 0xff, len[k]);
        if (!cut) break;
        part[k + 1] = cut + 1;
        len[k + 1] = len[k] - (size_t)(cut + 1 - part[k]);
        len[k] = (size_t)(cut - part[k]);
    }
    put("validation_list.txt", part[0], len[0]);
    if (part[1]) put("testing_list.txt", part[1], len[1]);
    /* extra entries in yes/: at most 8 names of 1..64 bytes without '/' inside */
    char made[8][224];
    int nmade = 0;
    for (const uint8_t *p = part[2], *end = p ? p + len[2] : NULL; p && p < end && nmade < 8;) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        char name[72];
        if (n >= 1 && n <= 64) {
            memcpy(name, p, n);
            name[n] = 0;
            char kind = name[n - 1];
            if (kind == '/' || kind == '|') name[--n] = 0;
            if (n && !memchr(name, '/', n) && !memchr(name, 0, n)) {
                snprintf(made[nmade], sizeof made[nmade], "%s/yes/%s", dir, name);
                if (access(made[nmade], F_OK) == 0) goto next; /* "." and the tree's own clips */
                int rc = kind == '/' ? mkdir(made[nmade], 0755)
                         : kind == '|' ? mkfifo(made[nmade], 0644)
                                       : (put(made[nmade] + strlen(dir) + 1, "RIFF", 4), 0);
                if (rc == 0) nmade++;
            }
        }
    next:
        p = nl ? nl + 1 : end;
    }
    sc_scan_t s;
    char err[ST_ERR_LEN];
    if (sc_scan(dir, &s, err) == 0) sc_scan_free(&s);
    for (int i = nmade - 1; i >= 0; i--)
        if (remove(made[i]) != 0) abort();
    char p[256];
    snprintf(p, sizeof p, "%s/testing_list.txt", dir);
    unlink(p);
    return 0;
}
