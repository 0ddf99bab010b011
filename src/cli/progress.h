/* progress.h: a progress display for long loops (training epochs, evaluation, predict).
 *
 * On a terminal: one line redrawn in place, "label [=====>    ] 45% ETA 0:12 <extra>", at
 * most 10 times a second, fitted to the terminal's width. Otherwise (a log file, a pipe): a plain line every `every`
 * seconds. Everything goes to stderr so stdout stays clean for results.
 */
#ifndef ST_CLI_PROGRESS_H
#define ST_CLI_PROGRESS_H

#include <stdio.h>

/* Display modes: off (--quiet), auto (bar on a terminal, plain lines otherwise), bar, plain. */
enum { PROGRESS_OFF = -1, PROGRESS_AUTO = 0, PROGRESS_BAR = 1, PROGRESS_PLAIN = 2 };

typedef struct {
    int mode;           /* 0 off, 1 bar, 2 plain lines */
    double t0, last;    /* start and last draw (seconds, monotonic) */
    double every;       /* plain mode: seconds between lines */
    long total;
    char label[96];
    FILE *f;
} progress_t;

/* mode: PROGRESS_*. */
void progress_start(progress_t *p, int mode, const char *label, long total);
/* done of total finished; extra is shown after the ETA (may be NULL). force draws now. */
void progress_update(progress_t *p, long done, const char *extra, int force);
/* Ends the bar line (terminal) so the next output starts on a fresh line. */
void progress_finish(progress_t *p);
/* Seconds since progress_start. */
double progress_elapsed(const progress_t *p);
/* Width of the terminal f writes to (TIOCGWINSZ), else $COLUMNS, else 80. */
int progress_columns(FILE *f);
/* "m:ss" or "h:mm:ss"; 0:00 for a negative or absurd time. */
void progress_format_time(char *buf, size_t n, double s);
/* Monotonic clock in seconds. */
double progress_now(void);

#endif
