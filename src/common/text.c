/* text.c: lines, key=value lines and exact doubles. */
#include "common/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *text_line(const char **p, size_t *len)
{
    const char *s = *p;
    if (!s || !*s) return NULL;
    const char *eol = strchr(s, '\n');
    *len = eol ? (size_t)(eol - s) : strlen(s);
    *p = eol ? eol + 1 : s + *len;
    return s;
}

int text_kv_get(const char *text, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key), ll;
    for (const char *p = text, *l; (l = text_line(&p, &ll));) {
        if (ll > kl && !strncmp(l, key, kl) && l[kl] == '=') {
            size_t vl = ll - kl - 1;
            if (vl >= len) vl = len - 1;
            memcpy(buf, l + kl + 1, vl);
            buf[vl] = 0;
            return 0;
        }
    }
    return -1;
}

char **text_lines_split(const char *text, int *n)
{
    size_t cap = 1, ll;
    for (const char *p = text; *p; p++) cap += *p == '\n';
    /* slot 0 keeps the copied text; the caller sees the array from slot 1 */
    char **v = calloc(cap + 2, sizeof *v);
    char *copy = strdup(text);
    if (!v || !copy) {
        free(v), free(copy);
        return NULL;
    }
    int k = 1;
    for (const char *p = copy, *l; (l = text_line(&p, &ll));) {
        copy[l - copy + (ptrdiff_t)ll] = 0;
        v[k++] = copy + (l - copy);
    }
    v[0] = copy;
    v[k] = NULL;
    *n = k - 1;
    return v + 1;
}

void text_lines_free(char **lines)
{
    if (!lines) return;
    free(lines[-1]);
    free(lines - 1);
}

int text_cmp_ptrs(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

const char *text_double(char buf[TEXT_DOUBLE_LEN], double v)
{
    /* Whole numbers as such: "%g" would say 8e+03 for 8000. */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, TEXT_DOUBLE_LEN, "%.0f", v);
        return buf;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, TEXT_DOUBLE_LEN, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}
