/* text.h: the one way to read and write the project's small text formats.
 *
 * Checkpoint metadata, config.txt and saved arguments are "line\n" text; metadata lines are
 * "key=value". Doubles in them are written with text_double, the shortest decimal that
 * strtod reads back to exactly the same value, so a saved setting compares equal to the
 * one it came from and config.txt shows 0.1 rather than 0.10000000000000001.
 */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stddef.h>

/* The next line of *p (without its '\n') as start and *len, advancing *p past it; NULL at
 * the end of the text. A last line without '\n' counts. */
const char *text_line(const char **p, size_t *len);

/* Copies the value of the first "key=value" line of text into buf (cut to len - 1 bytes);
 * -1 when no line has that key. */
int text_kv_get(const char *text, const char *key, char *buf, size_t len);

/* Splits lines into a NULL-terminated array of *n strings (one allocation each for the
 * array and the copied text), freed by text_lines_free; NULL when out of memory. */
char **text_lines_split(const char *text, int *n);
void text_lines_free(char **lines);

/* qsort/bsearch comparator for an array of C strings (strcmp order). */
int text_cmp_ptrs(const void *a, const void *b);

/* Room for any text_double result, with its terminating 0. */
#define TEXT_DOUBLE_LEN 32
/* Writes v as a whole number when it is one (below 1e15), else as the shortest "%.*g" form
 * that reads back exactly; returns buf. */
const char *text_double(char buf[TEXT_DOUBLE_LEN], double v);

#endif
