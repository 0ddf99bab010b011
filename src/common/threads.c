#include "common/threads.h"

#include <stdlib.h>
#include <unistd.h>

void threads_passive_wait(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
    /* The new image loads libgomp afresh and reads the variable; it is set now, so no loop. */
    execv("/proc/self/exe", argv);
    unsetenv("OMP_WAIT_POLICY");   /* exec failed: keep the environment as the user gave it */
}
