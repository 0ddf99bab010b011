/* opt.c: flag tables, value parsing and the --progress flag. */
#include "cli/opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/progress.h"
#include "common/err.h"

int opt_int(const char *flag, const char *s, long lo, long hi, long *out, char *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno) return st_err(err, "%s: '%s' is not a whole number", flag, s);
    if (v < lo || v > hi) return st_err(err, "%s: %ld is out of range [%ld, %ld]", flag, v, lo, hi);
    *out = v;
    return 0;
}

int opt_double(const char *flag, const char *s, double lo, double hi, double *out, char *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v)) return st_err(err, "%s: '%s' is not a number", flag, s);
    if (v < lo || v > hi) return st_err(err, "%s: %g is out of range [%g, %g]", flag, v, lo, hi);
    *out = v;
    return 0;
}

int opt_match(const char *name, int argc, char **argv, int *i, const char **val, char *err)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0) return 0;
    if (*i + 1 >= argc) return st_err(err, "%s: missing value", name);
    *val = argv[++*i];
    return 1;
}

int opt_switch(const char *name, const char *a, char *err)
{
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == 0) return 1;
    if (a[n] == '=') return st_err(err, "%s takes no value", name);
    return 0;
}

const char *opt_find(const char *name, int argc, char **argv)
{
    const char *found = NULL, *v;
    char err[ST_ERR_LEN];
    for (int i = 0; i < argc; i++) {
        int j = i;
        if (opt_match(name, argc, argv, &j, &v, err) > 0) found = v;
    }
    return found;
}

int opt_parse(const opt_flag_t *flags, int n, int argc, char **argv, int *i, char *err)
{
    for (int k = 0; k < n; k++) {
        const opt_flag_t *f = &flags[k];
        const char *v;
        int r = opt_match(f->name, argc, argv, i, &v, err);
        if (r < 0) return -1;
        if (r == 0) continue;
        long l;
        switch (f->kind) {
        case OPT_STR: *(const char **)f->var = v; return 1;
        case OPT_INT:
            if (opt_int(f->name, v, (long)f->lo, (long)f->hi, &l, err)) return -1;
            *(int *)f->var = (int)l;
            return 1;
        case OPT_LONG: return opt_int(f->name, v, (long)f->lo, (long)f->hi, (long *)f->var, err) ? -1 : 1;
        case OPT_DOUBLE: return opt_double(f->name, v, f->lo, f->hi, (double *)f->var, err) ? -1 : 1;
        }
    }
    return 0;
}

int opt_progress(int argc, char **argv, int *i, int *mode, char *err)
{
    const char *v;
    int r = opt_match("--progress", argc, argv, i, &v, err);
    if (r <= 0) return r;
    if (!strcmp(v, "auto")) *mode = PROGRESS_AUTO;
    else if (!strcmp(v, "bar")) *mode = PROGRESS_BAR;
    else if (!strcmp(v, "plain")) *mode = PROGRESS_PLAIN;
    else return st_err(err, "--progress: '%s' is not one of auto, bar, plain", v);
    return 1;
}
