#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

int st_err(char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, ST_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}
