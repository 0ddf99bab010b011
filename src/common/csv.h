/* csv.h: the project's CSV files read back (log.csv, experiment tables, confusion matrices,
 * robustness reports, detection ground truth).
 *
 * They are written without quoting, so a line splits on every comma. The reader opens regular
 * files only (infile.h: a FIFO or a directory is refused, not waited on) of at most 64 MiB. */
#ifndef ST_CSV_H
#define ST_CSV_H

/* Lines of comma-separated fields, empty lines skipped; row 0 is the first line (the header
 * where the file has one). Every row has cols fields. */
typedef struct {
    unsigned char *buf; /* the file's text, cut into the cells */
    char **cell;        /* (rows, cols) */
    int *line;          /* (rows) line number in the file, from 1 */
    int rows, cols;
} csv_t;

/* Reads path into *t. -1 with err naming the file and line for a file that cannot be read, has
 * a NUL byte, is empty or has a row whose field count differs from the first row's. */
int csv_read(const char *path, csv_t *t, char *err);
void csv_free(csv_t *t);

/* The header column called name; -1 with err when there is none. */
int csv_col(const csv_t *t, const char *path, const char *name, char *err);

/* Cell (r, k) as a number into *v; -1 with err when it is not one (a whole-cell strtod). */
int csv_num(const csv_t *t, const char *path, int r, int k, double *v, char *err);

#endif
