/* runfiles.c: the run folder (its place, config.txt, log.csv, checkpoints and the
 * arguments saved in them). */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/hash.h"
#include "common/text.h"
#include "model/checkpoint.h"
#include "train/internal.h"

int train_set_threads(int n)
{
    if (n <= 0) n = omp_get_num_procs();
    model_set_threads(n);   /* OpenMP's and OpenBLAS's counts, in one place */
    return n;
}

int train_mkdirs(const char *dir, char *err)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return st_err(err, "%s: path too long", dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) return st_err(err, "%s: cannot create folder: %s", p, strerror(errno));
            *s = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return st_err(err, "%s: not a folder", dir);
    return 0;
}

const char *train_run_dir(const char *out, const char *resume, const char *fallback, char *buf, size_t len)
{
    if (out) return out;
    if (!resume) return fallback;
    snprintf(buf, len, "%s", resume);
    char *sl = strrchr(buf, '/');
    if (!sl) snprintf(buf, len, ".");
    else if (sl == buf) sl[1] = 0;   /* "/x.ckpt" lives in "/" */
    else *sl = 0;
    return buf;
}

int train_meta_args(const char *meta, char ***args, int *n, char *err)
{
    size_t len = strlen(meta), ll;
    char *lines = malloc(len + 1), *o = lines;
    if (!lines) return st_err(err, "out of memory");
    for (const char *p = meta, *l; (l = text_line(&p, &ll));) {
        if (ll >= 4 && !strncmp(l, "arg=", 4)) {
            memcpy(o, l + 4, ll - 4);
            o += ll - 4;
            *o++ = '\n';
        }
    }
    *o = 0;
    *args = text_lines_split(lines, n);
    free(lines);
    return *args ? 0 : st_err(err, "out of memory");
}

int train_resume_args(const char *ckpt, char ***args, int *n, char *err)
{
    model_t *m = NULL;
    ckpt_info_t info;
    memset(&info, 0, sizeof info);
    if (ckpt_load(ckpt, &m, 1, &info, err)) return -1;
    model_free(m);
    int rc = train_meta_args(info.meta_text, args, n, err);
    ckpt_info_free(&info);
    return rc;
}

int run_meta_compare(const char *want, const char *have, const char *ckpt, char *err)
{
    size_t ll;
    for (const char *p = want, *l; (l = text_line(&p, &ll));) {
        const char *eq = memchr(l, '=', ll);
        if (!eq) continue;
        char key[256], wv[512], hv[512];
        snprintf(key, sizeof key, "%.*s", (int)(eq - l), l);
        snprintf(wv, sizeof wv, "%.*s", (int)(ll - (size_t)(eq - l) - 1), eq + 1);
        if (text_kv_get(have, key, hv, sizeof hv))
            return st_err(err, "%s: checkpoint has no setting '%s' (made for other data)", ckpt, key);
        if (strcmp(hv, wv))
            return st_err(err, "%s: checkpoint was made with %s=%s, this run has %s=%s", ckpt, key, hv, key, wv);
    }
    return 0;
}

static char *build_meta(const train_data_t *d, const train_state_t *st, const char *args)
{
    /* Each argument line grows by "arg=": 5 * strlen(args) is enough. */
    size_t n = (d->meta ? strlen(d->meta) : 0) + 256 + 5 * strlen(args) + 16, u = 0, ll;
    char *b = malloc(n);
    if (!b) return NULL;
    char t[3][TEXT_DOUBLE_LEN];
    u += (size_t)snprintf(b + u, n - u, "%s", d->meta ? d->meta : "");
    if (u > 0 && b[u - 1] != '\n') u += (size_t)snprintf(b + u, n - u, "\n");
    u += (size_t)snprintf(b + u, n - u, "train.best_acc=%s\ntrain.loss_sum=%s\ntrain.acc_sum=%s\ntrain.seen=%ld\n",
                          text_double(t[0], st->best_acc), text_double(t[1], st->loss_sum),
                          text_double(t[2], st->acc_sum), st->seen);
    if (st->run_id[0]) u += (size_t)snprintf(b + u, n - u, "train.run_id=%s\n", st->run_id);
    for (const char *p = args, *l; u < n && (l = text_line(&p, &ll));)
        u += (size_t)snprintf(b + u, n - u, "arg=%.*s\n", (int)ll, l);
    return b;
}

void run_state_from_meta(const char *meta, train_state_t *st)
{
    char v[128];
    if (!text_kv_get(meta, "train.best_acc", v, sizeof v)) st->best_acc = strtod(v, NULL);
    if (!text_kv_get(meta, "train.loss_sum", v, sizeof v)) st->loss_sum = strtod(v, NULL);
    if (!text_kv_get(meta, "train.acc_sum", v, sizeof v)) st->acc_sum = strtod(v, NULL);
    if (!text_kv_get(meta, "train.seen", v, sizeof v)) st->seen = strtol(v, NULL, 10);
    if (text_kv_get(meta, "train.run_id", st->run_id, sizeof st->run_id)) st->run_id[0] = 0;
}

void run_id_new(train_state_t *st, const char *args)
{
    snprintf(st->run_id, sizeof st->run_id, "%016llx",
             (unsigned long long)hash_fnv1a(HASH_FNV_OFFSET, args, strlen(args)));
}

int run_id_check(const char *ckpt, const char *meta, const train_state_t *st, char *err)
{
    char id[sizeof st->run_id];
    if (!st->run_id[0] || text_kv_get(meta, "train.run_id", id, sizeof id)) return 0;
    if (strcmp(id, st->run_id))
        return st_err(err, "%s: belongs to another run (run id %s, this run's is %s)", ckpt, id, st->run_id);
    return 0;
}

/* Loads path's model and info for checking or copying; the caller frees both. */
static int load_whole(const char *path, model_t **m, ckpt_info_t *info, char *err)
{
    memset(info, 0, sizeof *info);
    return ckpt_load(path, m, 1, info, err);
}

int run_best_check(const char *best, const char *resume, const train_state_t *st, char *err)
{
    model_t *m = NULL;
    ckpt_info_t info;
    memset(&info, 0, sizeof info);
    char e2[ST_ERR_LEN] = "";
    if (access(best, F_OK) == 0) {
        if (load_whole(best, &m, &info, err)) return -1;
        int rc = run_id_check(best, info.meta_text, st, e2);
        model_free(m);
        ckpt_info_free(&info);
        if (rc) st_err(err, "%s: the test report would come from the wrong model; put this run's best.ckpt there", e2);
        return rc;
    }
    char twin[4200];
    snprintf(twin, sizeof twin, "%s", resume);
    char *sl = strrchr(twin, '/');
    snprintf(sl ? sl + 1 : twin, sizeof twin - (size_t)(sl ? sl + 1 - twin : 0), "best.ckpt");
    if (access(twin, F_OK) != 0 || load_whole(twin, &m, &info, e2) || run_id_check(twin, info.meta_text, st, e2)) {
        model_free(m);
        ckpt_info_free(&info);
        return st_err(err, "%s: missing: %s has finished epochs, so its run has a best checkpoint%s%s%s; copy it "
                      "there, or resume into the folder that holds it", best, resume, e2[0] ? " (" : "",
                      e2, e2[0] ? ")" : "");
    }
    ckpt_meta_t cm = {.meta_text = info.meta_text, .n_classes = info.n_classes,
                      .class_names = (const char *const *)info.class_names, .epoch = info.epoch, .step = info.step};
    int rc = ckpt_save(best, m, &cm, err);
    model_free(m);
    ckpt_info_free(&info);
    return rc;
}

int run_save_ckpt(const char *path, const model_t *m, const train_data_t *d, const train_state_t *st,
                  const char *args, long epoch, long step, char *err)
{
    char *meta = build_meta(d, st, args);
    if (!meta) return st_err(err, "%s: out of memory", path);
    ckpt_meta_t cm = {.meta_text = meta, .n_classes = d->n_classes, .class_names = d->class_names,
                      .epoch = epoch, .step = step};
    int rc = ckpt_save(path, m, &cm, err);
    free(meta);
    return rc;
}

int run_write_text(const char *path, const char *text, char *err)
{
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    fputs(text, a.f);
    return afile_commit(&a, err);
}

/* s shell-quoted (when it needs it) after a space, into f. */
static void put_quoted(FILE *f, const char *s, size_t n)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,+:";
    int ok = n > 0;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(plain, s[i])) ok = 0;
    if (ok) {
        fprintf(f, " %.*s", (int)n, s);
        return;
    }
    fputs(" '", f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') fputs("'\\''", f);
        else fputc(s[i], f);
    }
    fputc('\'', f);
}

int run_write_config(const char *dir, const char *prog, const char *args, int threads, char *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.txt", dir);
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    fprintf(a.f, "# The exact configuration of this run; to repeat it (same seed and --threads %d\n"
                 "# give the same bytes), run the command below from the same folder.\n%s",
            threads, prog ? prog : "train");
    size_t ll;
    for (const char *p = args, *l; (l = text_line(&p, &ll));) put_quoted(a.f, l, ll);
    fputc('\n', a.f);
    return afile_commit(&a, err);
}

int run_log_add(run_log_t *l, const char *s, char *err)
{
    size_t n = strlen(s);
    if (l->len + n + 1 > l->cap) {
        size_t nc = (l->len + n + 1) * 2 + 1024;
        char *t = realloc(l->text, nc);
        if (!t) return st_err(err, "log.csv: out of memory");
        l->text = t;
        l->cap = nc;
    }
    memcpy(l->text + l->len, s, n + 1);
    l->len += n;
    return 0;
}

static const char LOG_HEADER[] = "epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds,samples_per_s\n";

int run_log_load(run_log_t *l, const char *path, long keep_epochs, char *err)
{
    if (run_log_add(l, LOG_HEADER, err)) return -1;
    if (!path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    int first = 1, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        if (first) {
            first = 0;
            continue;
        }
        long e = strtol(line, NULL, 10);
        if (e >= 1 && e <= keep_epochs && strchr(line, '\n')) rc = run_log_add(l, line, err);
    }
    fclose(f);
    return rc;
}
