/* util.c: program name, messages and exit statuses, --help/--version. */
#include "cli/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef ST_VERSION
#define ST_VERSION "unknown"
#endif

static const char *g_prog = "speechtrain";

void cli_set_prog(const char *prog) { g_prog = prog; }

const char *cli_prog(void) { return g_prog; }

int cli_fail(int code, const char *msg)
{
    fprintf(stderr, "%s: %s\n", g_prog, msg);
    return code;
}

static void vsay(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", g_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_failf(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    return code;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

void cli_print_version(void) { printf("%s %s\n", g_prog, ST_VERSION); }

int cli_help_or_version(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        if (!strcmp(argv[i], "--version")) return 2;
    }
    return 0;
}
