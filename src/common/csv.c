/* csv.c: see csv.h. */
#include "common/csv.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/infile.h"
#include "common/text.h"

void csv_free(csv_t *t)
{
    free(t->buf);
    free(t->cell);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int csv_read(const char *path, csv_t *t, char *err)
{
    memset(t, 0, sizeof *t);
    size_t len;
    unsigned char *raw;
    if (infile_read_all(path, (size_t)64 << 20, NULL, 0, "CSV file", &raw, &len, err)) return -1;
    /* A copy with room for the last line's terminating 0. */
    t->buf = malloc(len + 1);
    if (t->buf) memcpy(t->buf, raw, len), t->buf[len] = 0;
    free(raw);
    if (!t->buf) return st_err(err, "%s: out of memory", path);
    if (memchr(t->buf, 0, len)) return csv_free(t), st_err(err, "%s: not a text file (NUL byte)", path);
    int cap = 0;
    const char *p = (const char *)t->buf, *start;
    size_t ll;
    for (int lineno = 1; (start = text_line(&p, &ll)); lineno++) {
        char *s = (char *)start;
        s[ll] = 0;
        if (ll && s[ll - 1] == '\r') s[--ll] = 0;
        if (!ll) continue;
        int nf = 1;
        for (char *q = s; *q; q++) nf += *q == ',';
        if (t->rows == 0) t->cols = nf;
        else if (nf != t->cols) {
            st_err(err, "%s:%d: %d fields, the first line has %d", path, lineno, nf, t->cols);
            return csv_free(t), -1;
        }
        if (t->rows == cap) {
            cap = cap ? 2 * cap : 64;
            char **nc = realloc(t->cell, (size_t)cap * t->cols * sizeof *nc);
            int *nl = nc ? realloc(t->line, (size_t)cap * sizeof *nl) : NULL;
            if (nc) t->cell = nc;
            if (!nl) return csv_free(t), st_err(err, "%s: out of memory", path);
            t->line = nl;
        }
        char **row = t->cell + (size_t)t->rows * t->cols;
        row[0] = s;
        for (int k = 1; k < nf; k++) {
            s = strchr(s, ',');
            *s++ = 0;
            row[k] = s;
        }
        t->line[t->rows++] = lineno;
    }
    if (t->rows == 0) return csv_free(t), st_err(err, "%s: empty file", path);
    return 0;
}

int csv_col(const csv_t *t, const char *path, const char *name, char *err)
{
    for (int k = 0; k < t->cols; k++)
        if (!strcmp(t->cell[k], name)) return k;
    return st_err(err, "%s: no column '%s' in the header", path, name);
}

int csv_num(const csv_t *t, const char *path, int r, int k, double *v, char *err)
{
    const char *s = t->cell[(size_t)r * t->cols + k];
    char *end;
    *v = strtod(s, &end);
    if (!*s || *end) return st_err(err, "%s:%d: '%s' in column '%s' is not a number", path, t->line[r], s, t->cell[k]);
    return 0;
}
