#include "common/npy.h"

#include "common/atomicfile.h"
#include "common/err.h"
#include "common/infile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *find_key(const char *hdr, const char *key)
{
    const char *p = strstr(hdr, key);
    if (!p) return NULL;
    p = strchr(p + strlen(key), ':');
    if (!p) return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

int npy_read(const char *path, npy_t *out, char *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = infile_open(path, NULL, err);
    if (!f) return -1;
    unsigned char pre[12];
    int rc = -1;
    char *hdr = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        st_err(err, "%s: not a .npy file", path);
        goto done;
    }
    size_t hlen;
    if (pre[6] == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            st_err(err, "%s: truncated header", path);
            goto done;
        }
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        st_err(err, "%s: unsupported .npy version %d", path, pre[6]);
        goto done;
    }
    if (hlen == 0 || hlen > 65536) {
        st_err(err, "%s: bad header length", path);
        goto done;
    }
    hdr = malloc(hlen + 1);
    if (!hdr || fread(hdr, 1, hlen, f) != hlen) {
        st_err(err, "%s: truncated header", path);
        goto done;
    }
    hdr[hlen] = 0;
    const char *d = find_key(hdr, "'descr'");
    const char *o = find_key(hdr, "'fortran_order'");
    const char *s = find_key(hdr, "'shape'");
    if (!d || !o || !s || *d != '\'' || strlen(d) < 5) {
        st_err(err, "%s: malformed header", path);
        goto done;
    }
    if (strncmp(o, "False", 5) != 0) {
        st_err(err, "%s: Fortran-order arrays are not supported", path);
        goto done;
    }
    char endian = d[1], kind = d[2];
    int itemsize = atoi(d + 3);
    if ((endian != '<' && endian != '|') || !strchr("fiub", kind) ||
        !(itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8) ||
        (kind == 'f' && itemsize < 4)) {
        st_err(err, "%s: unsupported dtype %.6s", path, d);
        goto done;
    }
    if (*s != '(') {
        st_err(err, "%s: malformed shape", path);
        goto done;
    }
    s++;
    size_t count = 1;
    int ndim = 0;
    while (*s && *s != ')') {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || ndim == NPY_MAX_DIMS || (v > 0 && count > SIZE_MAX / 16 / (size_t)v)) {
            st_err(err, "%s: malformed or too large shape", path);
            goto done;
        }
        out->shape[ndim++] = v;
        count *= (size_t)v;
        s = end;
    }
    out->kind = kind;
    out->itemsize = itemsize;
    out->ndim = ndim;
    out->count = count;
    out->data = malloc(count * itemsize + 1);
    if (!out->data) {
        st_err(err, "%s: out of memory for %zu elements", path, count);
        goto done;
    }
    if (fread(out->data, (size_t)itemsize, count, f) != count) {
        st_err(err, "%s: truncated data (expected %zu elements)", path, count);
        goto done;
    }
    rc = 0;
done:
    free(hdr);
    fclose(f);
    if (rc) npy_free(out);
    return rc;
}

void npy_free(npy_t *a)
{
    free(a->data);
    a->data = NULL;
    a->count = 0;
}

int npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[NPY_MAX_DIMS], char *err)
{
    npy_t a;
    if (npy_read(path, &a, err)) return -1;
    float *o = malloc((a.count ? a.count : 1) * sizeof *o);
    if (!o) {
        npy_free(&a);
        return st_err(err, "%s: out of memory", path);
    }
    for (size_t i = 0; i < a.count; i++) {
        const unsigned char *p = (const unsigned char *)a.data + i * a.itemsize;
        double v = 0;
        if (a.kind == 'f') {
            if (a.itemsize == 4) { float t; memcpy(&t, p, 4); v = t; }
            else { double t; memcpy(&t, p, 8); v = t; }
        } else if (a.kind == 'i') {
            switch (a.itemsize) {
            case 1: { int8_t t; memcpy(&t, p, 1); v = t; break; }
            case 2: { int16_t t; memcpy(&t, p, 2); v = t; break; }
            case 4: { int32_t t; memcpy(&t, p, 4); v = t; break; }
            default: { int64_t t; memcpy(&t, p, 8); v = (double)t; break; }
            }
        } else {
            switch (a.itemsize) {
            case 1: v = p[0]; break;
            case 2: { uint16_t t; memcpy(&t, p, 2); v = t; break; }
            case 4: { uint32_t t; memcpy(&t, p, 4); v = t; break; }
            default: { uint64_t t; memcpy(&t, p, 8); v = (double)t; break; }
            }
        }
        o[i] = (float)v;
    }
    *data = o;
    if (ndim) *ndim = a.ndim;
    if (shape) memcpy(shape, a.shape, sizeof a.shape);
    npy_free(&a);
    return 0;
}

int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, char *err)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS) return st_err(err, "%s: bad number of dimensions %d", path, ndim);
    char dims[256] = "";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        size_t l = strlen(dims);
        snprintf(dims + l, sizeof dims - l, ndim == 1 ? "%lld," : (i ? " %lld" : "%lld"), (long long)shape[i]);
        if (ndim > 1 && i < ndim - 1) strncat(dims, ",", sizeof dims - strlen(dims) - 1);
        count *= (size_t)shape[i];
    }
    char hdr[384];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims);
    /* Pad with spaces so that magic + length + header is a multiple of 64, ending in '\n'. */
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    memset(hdr + n, ' ', pad);
    hdr[n + pad] = '\n';
    int hlen = n + pad + 1;
    afile_t a;
    if (afile_open(&a, path, err)) return -1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, a.f);
    fwrite(hdr, 1, hlen, a.f);
    fwrite(data, sizeof *data, count, a.f);
    return afile_commit(&a, err);
}
