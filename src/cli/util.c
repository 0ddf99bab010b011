/* util.c: program name, messages and exit statuses, --help/--version. */
#include "cli/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

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

int cli_check_out_path(const char *flag, const char *path, char *err)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return st_err(err, "%s %s: path too long", flag, path);
    char *sl = strrchr(dir, '/');
    if (!sl) snprintf(dir, sizeof dir, ".");
    else if (sl == dir) dir[1] = 0;
    else *sl = 0;
    struct stat st;
    if (stat(dir, &st) != 0) return st_err(err, "%s %s: folder %s does not exist", flag, path, dir);
    if (!S_ISDIR(st.st_mode)) return st_err(err, "%s %s: %s is not a folder", flag, path, dir);
    if (access(dir, W_OK | X_OK) != 0) return st_err(err, "%s %s: folder %s is not writable", flag, path, dir);
    return 0;
}

const char *cli_version(void) { return ST_VERSION; }
void cli_print_version(void) { printf("%s %s\n", g_prog, ST_VERSION); }

int cli_help_or_version(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        if (!strcmp(argv[i], "--version")) return 2;
    }
    return 0;
}
