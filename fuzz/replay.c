/* replay.c: main() for the normal (non-libFuzzer) build of a fuzz target: feeds every file
 * named on the command line, or found directly inside a folder named there, to
 * LLVMFuzzerTestOneInput once. The test suite runs it over fuzz/corpus/<target>, so seeds
 * and the crashers found so far are replayed by every build (ASan included). An input that
 * runs for more than 60 s kills the replay (SIGALRM): no input may hang. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fprintf(stderr, "%s: cannot open\n", path), -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) return fprintf(stderr, "%s: out of memory\n", path), -1;
    alarm(60);
    LLVMFuzzerTestOneInput(buf, n);
    alarm(0);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    long done = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) return fprintf(stderr, "%s: not found\n", argv[i]), 1;
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[i])) return 1;
            done++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) return fprintf(stderr, "%s: cannot open\n", argv[i]), 1;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            if (replay_file(p)) return 1;
            done++;
        }
        closedir(d);
    }
    printf("replayed %ld inputs\n", done);
    return done > 0 ? 0 : 1;
}
