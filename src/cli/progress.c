/* progress.c: the progress bar and plain progress lines (stderr). */
#include "cli/progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(progress_t *p, int mode, const char *label, long total)
{
    memset(p, 0, sizeof *p);
    p->f = stderr;
    if (mode == PROGRESS_AUTO) mode = isatty(fileno(stderr)) ? 1 : 2;
    p->mode = mode < 0 ? 0 : mode;
    p->total = total > 0 ? total : 1;
    p->every = 10.0;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->t0 = p->last = progress_now();
}

int progress_columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 0 ? n : 80;
}

void progress_format_time(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 1e7) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void progress_update(progress_t *p, long done, const char *extra, int force)
{
    if (!p->mode) return;
    double now = progress_now();
    double gap = p->mode == 1 ? 0.1 : p->every;
    if (!force && now - p->last < gap) return;
    p->last = now;
    double el = now - p->t0;
    double frac = (double)done / (double)p->total;
    if (frac > 1) frac = 1;
    char eta[32], ela[32];
    progress_format_time(eta, sizeof eta, done > 0 ? el * (1 - frac) / frac : -1);
    progress_format_time(ela, sizeof ela, el);
    if (p->mode == 1) {
        /* One line that fits the terminal (a wrapped line would add a line per redraw): the
         * bar shrinks from 30 to 10 cells, then the extra text is cut, then the bar goes. */
        int cols = progress_columns(p->f);
        char head[160], tail[400];
        snprintf(head, sizeof head, "%s ", p->label);
        snprintf(tail, sizeof tail, " %3d%% ETA %s%s%s", (int)(frac * 100), eta, extra ? " " : "", extra ? extra : "");
        int room = cols - 1 - (int)strlen(head) - (int)strlen(tail) - 2;
        int width = room > 30 ? 30 : room;
        if (width < 10) {
            width = 10;
            int over = (int)strlen(head) + width + 2 + (int)strlen(tail) - (cols - 1);
            if (over > 0) tail[(int)strlen(tail) - over > 0 ? (int)strlen(tail) - over : 0] = 0;
        }
        char bar[31];
        int fill = (int)(frac * width);
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = 0;
        if ((int)strlen(head) + width + 2 >= cols) fprintf(p->f, "\r%.*s\033[K", cols > 1 ? cols - 1 : 0, head);
        else fprintf(p->f, "\r%s[%s]%s\033[K", head, bar, tail);
    } else {
        fprintf(p->f, "%s %ld/%ld (%d%%) elapsed %s ETA %s %s\n", p->label, done, p->total,
                (int)(frac * 100), ela, eta, extra ? extra : "");
    }
    fflush(p->f);
}

void progress_finish(progress_t *p)
{
    if (p->mode == 1) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
}

double progress_elapsed(const progress_t *p) { return progress_now() - p->t0; }
