#include "common/threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static long procs_running(void)
{
    FILE *f = fopen("/proc/stat", "r");   /* a kernel file: never blocks */
    if (!f) return -1;
    char line[512];
    long n = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "procs_running ", 14)) {
            n = strtol(line + 14, NULL, 10);
            break;
        }
    fclose(f);
    return n;
}

double threads_others_running(void)
{
    enum { SAMPLES = 5 };
    double sum = 0;
    for (int i = 0; i < SAMPLES; i++) {
        long n = procs_running();
        if (n < 1) return -1;
        sum += (double)(n - 1);
        if (i + 1 < SAMPLES) nanosleep(&(struct timespec){0, 4000000}, NULL);
    }
    return sum / SAMPLES;
}

int threads_long_spin(void)
{
    const char *policy = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    if (policy && !strcasecmp(policy, "passive") && !spin) return 0;
    if (!policy && spin && !strcmp(spin, THREADS_IDLE_SPINCOUNT)) return 0;
    return 1;
}

void threads_wait_policy(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    /* Half a thread on average: a busy process is always runnable, a passing one is not. */
    double others = threads_others_running();
    int idle = others >= 0 && others < 0.5;
    const char *var = idle ? "GOMP_SPINCOUNT" : "OMP_WAIT_POLICY";
    if (setenv(var, idle ? THREADS_IDLE_SPINCOUNT : "PASSIVE", 1) != 0) return;
    /* The new image loads libgomp afresh and reads the variable; it is set now, so no loop. */
    execv("/proc/self/exe", argv);
    unsetenv(var);   /* exec failed: keep the environment as the user gave it */
}
