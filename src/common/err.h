/* err.h: how library code reports failure.
 *
 * Functions that can fail return 0 on success and -1 on failure, and write one line for a
 * person (naming the file or argument and the problem, no trailing newline) into the
 * caller's buffer err[ST_ERR_LEN]. err may be NULL when the caller does not want the text.
 */
#ifndef ST_ERR_H
#define ST_ERR_H

#include <stddef.h>

#define ST_ERR_LEN 512

/* Formats the message into err (if not NULL) and returns -1, so `return st_err(...)` reads well. */
int st_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
