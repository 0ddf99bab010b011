/* conv_wino.c: 3x3, stride 1, pad 1 convolution by Winograd F(2x2, 3x3) (Lavin & Gray 2016).
 *
 * Each 2x2 block of output pixels ("tile") is computed from the 4x4 input patch around it as
 *   y = A^T [ (G g G^T) .* (B^T d B) ] A
 * with g the 3x3 kernel. Over channels the elementwise product becomes 16 independent GEMMs,
 * one per frequency f = 4*i + j of the 4x4 transform domain:
 *   M[f] (cout x T) = U[f] (cout x cin) . V[f] (cin x T)      T = tiles in the chunk
 * 16 cin cout multiply-adds per tile instead of 36 cin cout (2.25x fewer GEMM FLOPs).
 *
 * Backward (exact transposes of the forward, no approximation beyond float rounding):
 *   dM[f] = A dy A^T of each output-gradient tile (2x2 -> 4x4)
 *   dU[f] (cout x cin) += dM[f] (cout x T) . V[f]^T      dW += G^T dU G   (4x4 -> 3x3)
 *   dV[f] (cin x T) = U[f]^T (cin x cout) . dM[f]         dx += B dV B^T over the overlapping
 *                                                           4x4 patches (each plane owned by
 *                                                           one thread: no races)
 * Buffers, frequency-major so each GEMM operand is one contiguous matrix:
 *   V: [16][cin][T]   M / dM: [16][cout][T]   U, dU: [16][cout][cin]
 * Tiles of a chunk are ordered (image, tile row, tile column); tiles cover ceil(H/2) x ceil(W/2)
 * blocks, reading zeros past the border, so odd sizes are exact too. Chunking (images per
 * chunk) depends only on the shapes and the cap, never on the thread count, so results are
 * reproducible bit for bit for a given batch and thread count. sgemm is never called from
 * inside a parallel region.
 */
#include "model/layers.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int conv_wino_ok(const conv_dims_t *d) { return d->k == 3 && d->stride == 1 && d->pad == 1; }

static size_t wino_per_image(const conv_dims_t *d)
{
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    return 16 * cmax * (size_t)((d->h + 1) / 2) * (size_t)((d->w + 1) / 2);
}

int conv_wino_chunk(const conv_dims_t *d, size_t cap)
{
    size_t per = wino_per_image(d);
    size_t c = cap / per;
    if (c < 1) c = 1;
    if (c > (size_t)d->n) c = (size_t)d->n;
    size_t chunks = ((size_t)d->n + c - 1) / c;
    return (int)(((size_t)d->n + chunks - 1) / chunks);
}

size_t conv_wino_ws_size(const conv_dims_t *d, size_t cap)
{
    size_t per = wino_per_image(d);
    size_t buf = per > cap ? per : cap;
    return 2 * buf + 2 * 16 * (size_t)d->cout * d->cin;
}

/* Kernels per block in the weight transforms: gathered into [9][WB] so the arithmetic runs
 * over WB consecutive input channels (vectorised) and each frequency is stored contiguously. */
#define WB 16

/* U[f][co][ci] = (G g G^T)[f] for every kernel g = wt[co][ci]. */
static void wt_transform(float *U, const float *wt, int cout, int cin)
{
    const size_t fs = (size_t)cout * cin;
#pragma omp parallel for schedule(static)
    for (int co = 0; co < cout; co++) {
        for (int c0 = 0; c0 < cin; c0 += WB) {
            const int nb = cin - c0 < WB ? cin - c0 : WB;
            float g[9][WB], t[4][3][WB], u[16][WB];
            const float *src = wt + ((size_t)co * cin + c0) * 9;
            for (int l = 0; l < nb; l++)
                for (int k = 0; k < 9; k++) g[k][l] = src[l * 9 + k];
            for (int l = nb; l < WB; l++)
                for (int k = 0; k < 9; k++) g[k][l] = 0.0f;
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < WB; l++) {
                    t[0][j][l] = g[j][l];
                    t[1][j][l] = 0.5f * (g[j][l] + g[3 + j][l] + g[6 + j][l]);
                    t[2][j][l] = 0.5f * (g[j][l] - g[3 + j][l] + g[6 + j][l]);
                    t[3][j][l] = g[6 + j][l];
                }
            for (int i = 0; i < 4; i++)
                for (int l = 0; l < WB; l++) {
                    u[4 * i + 0][l] = t[i][0][l];
                    u[4 * i + 1][l] = 0.5f * (t[i][0][l] + t[i][1][l] + t[i][2][l]);
                    u[4 * i + 2][l] = 0.5f * (t[i][0][l] - t[i][1][l] + t[i][2][l]);
                    u[4 * i + 3][l] = t[i][2][l];
                }
            float *dst = U + (size_t)co * cin + c0;
            for (int f = 0; f < 16; f++) memcpy(dst + f * fs, u[f], sizeof(float) * nb);
        }
    }
}

/* dwt[co][ci] += G^T dU[.][co][ci] G. */
static void wt_grad_transform(float *dwt, const float *dU, int cout, int cin)
{
    const size_t fs = (size_t)cout * cin;
#pragma omp parallel for schedule(static)
    for (int co = 0; co < cout; co++) {
        for (int c0 = 0; c0 < cin; c0 += WB) {
            const int nb = cin - c0 < WB ? cin - c0 : WB;
            float x[16][WB], t[3][4][WB], g[9][WB];
            const float *src = dU + (size_t)co * cin + c0;
            for (int f = 0; f < 16; f++) {
                memcpy(x[f], src + f * fs, sizeof(float) * nb);
                for (int l = nb; l < WB; l++) x[f][l] = 0.0f;
            }
            for (int j = 0; j < 4; j++)
                for (int l = 0; l < WB; l++) {
                    t[0][j][l] = x[j][l] + 0.5f * (x[4 + j][l] + x[8 + j][l]);
                    t[1][j][l] = 0.5f * (x[4 + j][l] - x[8 + j][l]);
                    t[2][j][l] = 0.5f * (x[4 + j][l] + x[8 + j][l]) + x[12 + j][l];
                }
            for (int a = 0; a < 3; a++)
                for (int l = 0; l < WB; l++) {
                    g[a * 3 + 0][l] = t[a][0][l] + 0.5f * (t[a][1][l] + t[a][2][l]);
                    g[a * 3 + 1][l] = 0.5f * (t[a][1][l] - t[a][2][l]);
                    g[a * 3 + 2][l] = 0.5f * (t[a][1][l] + t[a][2][l]) + t[a][3][l];
                }
            float *dst = dwt + ((size_t)co * cin + c0) * 9;
            for (int l = 0; l < nb; l++)
                for (int k = 0; k < 9; k++) dst[l * 9 + k] += g[k][l];
        }
    }
}

/* Tiles per row segment in the transforms: their row buffers live on the stack. */
#define SEG 128

/* V[f][c][t] = (B^T d B)[f] for the 4x4 input patch of each tile of images n0..n0+nc-1 of
 * in (C, N, H, W). The patch of tile (ty, tx) is rows 2ty-1..2ty+2, columns 2tx-1..2tx+2. */
static void in_transform(float *V, const float *in, int C, int N, int H, int W, int n0, int nc)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    const size_t tpi = (size_t)th * tw, T = (size_t)nc * tpi, fs = (size_t)C * T;
    const size_t plane = (size_t)H * W;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < nc; i++) {
            /* Padded columns 2*tx0 .. 2*tx0 + 2*nt + 1 of 4 input rows (padded column p is
             * image column p - 1), and their vertical transform q = B^T rows. */
            float rp[4][2 * SEG + 2], q[4][2 * SEG + 2];
            const float *src = in + ((size_t)c * N + n0 + i) * plane;
            float *dst = V + (size_t)c * T + (size_t)i * tpi;
            for (int ty = 0; ty < th; ty++) {
                for (int tx0 = 0; tx0 < tw; tx0 += SEG) {
                    const int nt = tw - tx0 < SEG ? tw - tx0 : SEG, np = 2 * nt + 2;
                    const int x0 = 2 * tx0 - 1;  /* image column of rp[.][0] */
                    for (int r = 0; r < 4; r++) {
                        int y = 2 * ty - 1 + r;
                        if (y < 0 || y >= H) {
                            memset(rp[r], 0, sizeof(float) * np);
                            continue;
                        }
                        const float *srow = src + (size_t)y * W;
                        int a = x0 < 0 ? -x0 : 0, b = x0 + np > W ? W - x0 : np;
                        for (int p = 0; p < a; p++) rp[r][p] = 0.0f;
                        if (b > a) memcpy(rp[r] + a, srow + x0 + a, sizeof(float) * (b - a));
                        for (int p = b > a ? b : a; p < np; p++) rp[r][p] = 0.0f;
                    }
                    for (int p = 0; p < np; p++) {
                        float r0 = rp[0][p], r1 = rp[1][p], r2 = rp[2][p], r3 = rp[3][p];
                        q[0][p] = r0 - r2;
                        q[1][p] = r1 + r2;
                        q[2][p] = r2 - r1;
                        q[3][p] = r1 - r3;
                    }
                    float *row = dst + (size_t)ty * tw + tx0;
                    for (int a = 0; a < 4; a++) {
                        const float *qa = q[a];
                        float *d0 = row + (size_t)(4 * a + 0) * fs, *d1 = row + (size_t)(4 * a + 1) * fs;
                        float *d2 = row + (size_t)(4 * a + 2) * fs, *d3 = row + (size_t)(4 * a + 3) * fs;
                        for (int tx = 0; tx < nt; tx++) {
                            float a0 = qa[2 * tx], a1 = qa[2 * tx + 1], a2 = qa[2 * tx + 2],
                                  a3 = qa[2 * tx + 3];
                            d0[tx] = a0 - a2;
                            d1[tx] = a1 + a2;
                            d2[tx] = a2 - a1;
                            d3[tx] = a1 - a3;
                        }
                    }
                }
            }
        }
    }
}

/* dM[f][c][t] = (A dy A^T)[f] for the 2x2 output-gradient block of each tile (zeros past the
 * border), images n0..n0+nc-1 of dout (C, N, H, W). */
static void grad_transform(float *D, const float *dout, int C, int N, int H, int W, int n0, int nc)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    const size_t tpi = (size_t)th * tw, T = (size_t)nc * tpi, fs = (size_t)C * T;
    const size_t plane = (size_t)H * W;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < nc; i++) {
            /* columns 2*tx0 .. 2*tx0 + 2*nt - 1 of the two rows, then the vertical transform
             * (A dy): e0 = dy0, e1 = dy0 + dy1, e2 = dy0 - dy1, e3 = -dy1 */
            float rw[2][2 * SEG], e[4][2 * SEG];
            const float *src = dout + ((size_t)c * N + n0 + i) * plane;
            float *dst = D + (size_t)c * T + (size_t)i * tpi;
            for (int ty = 0; ty < th; ty++) {
                for (int tx0 = 0; tx0 < tw; tx0 += SEG) {
                    const int nt = tw - tx0 < SEG ? tw - tx0 : SEG, np = 2 * nt;
                    const int x0 = 2 * tx0, nv = x0 + np > W ? W - x0 : np;
                    for (int r = 0; r < 2; r++) {
                        int y = 2 * ty + r;
                        if (y >= H) {
                            memset(rw[r], 0, sizeof(float) * np);
                            continue;
                        }
                        memcpy(rw[r], src + (size_t)y * W + x0, sizeof(float) * nv);
                        for (int p = nv; p < np; p++) rw[r][p] = 0.0f;
                    }
                    for (int p = 0; p < np; p++) {
                        float a = rw[0][p], b = rw[1][p];
                        e[0][p] = a;
                        e[1][p] = a + b;
                        e[2][p] = a - b;
                        e[3][p] = -b;
                    }
                    float *row = dst + (size_t)ty * tw + tx0;
                    for (int a = 0; a < 4; a++) {
                        const float *ea = e[a];
                        float *d0 = row + (size_t)(4 * a + 0) * fs, *d1 = row + (size_t)(4 * a + 1) * fs;
                        float *d2 = row + (size_t)(4 * a + 2) * fs, *d3 = row + (size_t)(4 * a + 3) * fs;
                        for (int tx = 0; tx < nt; tx++) {
                            float u = ea[2 * tx], v = ea[2 * tx + 1];
                            d0[tx] = u;
                            d1[tx] = u + v;
                            d2[tx] = u - v;
                            d3[tx] = -v;
                        }
                    }
                }
            }
        }
    }
}

/* out (C, N, H, W) images n0..: (=|+=) A^T m A of each tile of M[f][c][t]. */
static void out_transform(float *out, const float *M, int C, int N, int H, int W, int n0, int nc,
                          int accumulate)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    const size_t tpi = (size_t)th * tw, T = (size_t)nc * tpi, fs = (size_t)C * T;
    const size_t plane = (size_t)H * W;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < nc; i++) {
            float o[4][SEG];  /* o[2r + s][tx]: output pixel (2ty + r, 2tx + s) */
            float *dst = out + ((size_t)c * N + n0 + i) * plane;
            const float *src = M + (size_t)c * T + (size_t)i * tpi;
            for (int ty = 0; ty < th; ty++) {
                for (int tx0 = 0; tx0 < tw; tx0 += SEG) {
                    const int nt = tw - tx0 < SEG ? tw - tx0 : SEG;
                    const float *m = src + (size_t)ty * tw + tx0;
                    for (int tx = 0; tx < nt; tx++) {
                        float v[16];
                        for (int f = 0; f < 16; f++) v[f] = m[f * fs + tx];
                        /* rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3; then columns */
                        float s0[4], s1[4];
                        for (int j = 0; j < 4; j++) {
                            s0[j] = v[j] + v[4 + j] + v[8 + j];
                            s1[j] = v[4 + j] - v[8 + j] - v[12 + j];
                        }
                        o[0][tx] = s0[0] + s0[1] + s0[2];
                        o[1][tx] = s0[1] - s0[2] - s0[3];
                        o[2][tx] = s1[0] + s1[1] + s1[2];
                        o[3][tx] = s1[1] - s1[2] - s1[3];
                    }
                    const int xa = 2 * tx0, xb = 2 * (tx0 + nt) < W ? 2 * (tx0 + nt) : W;
                    for (int r = 0; r < 2; r++) {
                        int y = 2 * ty + r;
                        if (y >= H) break;
                        float *drow = dst + (size_t)y * W;
                        const float *a = o[2 * r], *b = o[2 * r + 1];
                        const int np = (xb - xa) / 2;  /* full pairs; an odd W leaves one */
                        float *dr = drow + xa;
                        if (accumulate) {
                            for (int t = 0; t < np; t++) {
                                dr[2 * t] += a[t];
                                dr[2 * t + 1] += b[t];
                            }
                            if ((xb - xa) & 1) dr[2 * np] += a[np];
                        } else {
                            for (int t = 0; t < np; t++) {
                                dr[2 * t] = a[t];
                                dr[2 * t + 1] = b[t];
                            }
                            if ((xb - xa) & 1) dr[2 * np] = a[np];
                        }
                    }
                }
            }
        }
    }
}

/* din (C, N, H, W) images n0..: (=|+=) the sum over tiles of B dV B^T, each 4x4 result added
 * onto its input patch (neighbouring patches overlap by 2). Each (channel, image) plane is
 * owned by one thread. */
static void in_transform_t_any(float *din, const float *dV, int C, int N, int H, int W, int n0, int nc,
                           int accumulate)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    const size_t tpi = (size_t)th * tw, T = (size_t)nc * tpi, fs = (size_t)C * T;
    const size_t plane = (size_t)H * W;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < nc; i++) {
            float *dst = din + ((size_t)c * N + n0 + i) * plane;
            const float *src = dV + (size_t)c * T + (size_t)i * tpi;
            if (!accumulate) memset(dst, 0, sizeof(float) * plane);
            for (int ty = 0; ty < th; ty++) {
                const int y0 = 2 * ty - 1, yin = y0 >= 0 && y0 + 3 < H;
                const float *m = src + (size_t)ty * tw;
                for (int tx = 0; tx < tw; tx++) {
                    float v[16];
                    for (int f = 0; f < 16; f++) v[f] = m[f * fs + tx];
                    /* rows (B X): p0 = X0, p1 = X1 - X2 + X3, p2 = X1 + X2 - X0, p3 = -X3;
                     * then the same over columns. */
                    float r[4][4], o[4][4];
                    for (int j = 0; j < 4; j++) {
                        r[0][j] = v[j];
                        r[1][j] = v[4 + j] - v[8 + j] + v[12 + j];
                        r[2][j] = v[4 + j] + v[8 + j] - v[j];
                        r[3][j] = -v[12 + j];
                    }
                    for (int p = 0; p < 4; p++) {
                        o[p][0] = r[p][0];
                        o[p][1] = r[p][1] - r[p][2] + r[p][3];
                        o[p][2] = r[p][1] + r[p][2] - r[p][0];
                        o[p][3] = -r[p][3];
                    }
                    const int x0 = 2 * tx - 1;
                    if (yin && x0 >= 0 && x0 + 3 < W) {
                        float *d = dst + (size_t)y0 * W + x0;
                        for (int p = 0; p < 4; p++, d += W)
                            for (int s = 0; s < 4; s++) d[s] += o[p][s];
                    } else {
                        for (int p = 0; p < 4; p++) {
                            int y = y0 + p;
                            if (y < 0 || y >= H) continue;
                            float *d = dst + (size_t)y * W;
                            for (int s = 0; s < 4; s++) {
                                int x = x0 + s;
                                if (x >= 0 && x < W) d[x] += o[p][s];
                            }
                        }
                    }
                }
            }
        }
    }
}

/* in_transform_t for one plane when a tile row fits the stack buffers (tw <= SEG): the same
 * sums, vectorised over the tiles of a row. Tile (ty, tx) adds o[p][s] at padded row 2ty + p,
 * padded column 2tx + s (padded index = image index + 1); a padded row is final once the
 * next tile row (which starts 2 rows further down) has been added. */
static void in_transform_t_plane(float *dst, const float *src, size_t fs, int H, int W, int th,
                                 int tw, int accumulate)
{
    float o[16][SEG];           /* o[4p + s][tx] */
    float acc[4][2 * SEG + 2];  /* padded rows 2ty .. 2ty+3 of the current tile row */
    float carry[2][2 * SEG + 2];  /* rows 2ty, 2ty+1 as left by the previous tile row */
    const int np = 2 * tw + 2;
    memset(carry, 0, sizeof carry);
    for (int ty = 0; ty <= th; ty++) {
        if (ty < th) {
            const float *m = src + (size_t)ty * tw;
            for (int tx = 0; tx < tw; tx++) {
                float v[16], r[4][4];
                for (int f = 0; f < 16; f++) v[f] = m[f * fs + tx];
                for (int j = 0; j < 4; j++) {
                    r[0][j] = v[j];
                    r[1][j] = v[4 + j] - v[8 + j] + v[12 + j];
                    r[2][j] = v[4 + j] + v[8 + j] - v[j];
                    r[3][j] = -v[12 + j];
                }
                for (int p = 0; p < 4; p++) {
                    o[4 * p + 0][tx] = r[p][0];
                    o[4 * p + 1][tx] = r[p][1] - r[p][2] + r[p][3];
                    o[4 * p + 2][tx] = r[p][1] + r[p][2] - r[p][0];
                    o[4 * p + 3][tx] = -r[p][3];
                }
            }
            for (int p = 0; p < 4; p++) {
                const float *o0 = o[4 * p], *o1 = o[4 * p + 1], *o2 = o[4 * p + 2],
                            *o3 = o[4 * p + 3];
                float *a = acc[p];
                a[0] = o0[0];
                a[1] = o1[0];
                for (int tx = 1; tx < tw; tx++) {
                    a[2 * tx] = o0[tx] + o2[tx - 1];
                    a[2 * tx + 1] = o1[tx] + o3[tx - 1];
                }
                a[2 * tw] = o2[tw - 1];
                a[2 * tw + 1] = o3[tw - 1];
            }
            for (int p = 0; p < 2; p++)
                for (int x = 0; x < np; x++) acc[p][x] += carry[p][x];
        } else {
            memcpy(acc[0], carry[0], sizeof(float) * np);
            memcpy(acc[1], carry[1], sizeof(float) * np);
        }
        /* padded rows 2ty, 2ty+1 = image rows 2ty-1, 2ty are final */
        for (int p = 0; p < 2; p++) {
            int y = 2 * ty - 1 + p;
            if (y < 0 || y >= H) continue;
            float *drow = dst + (size_t)y * W;
            const float *b = acc[p] + 1;
            if (accumulate) {
                for (int x = 0; x < W; x++) drow[x] += b[x];
            } else {
                memcpy(drow, b, sizeof(float) * W);
            }
        }
        if (ty < th) {
            memcpy(carry[0], acc[2], sizeof(float) * np);
            memcpy(carry[1], acc[3], sizeof(float) * np);
        }
    }
}

/* din (C, N, H, W) images n0..: (=|+=) the sum over tiles of B dV B^T (see above). */
static void in_transform_t(float *din, const float *dV, int C, int N, int H, int W, int n0, int nc,
                           int accumulate)
{
    const int th = (H + 1) / 2, tw = (W + 1) / 2;
    if (tw > SEG) {
        in_transform_t_any(din, dV, C, N, H, W, n0, nc, accumulate);
        return;
    }
    const size_t tpi = (size_t)th * tw, T = (size_t)nc * tpi, fs = (size_t)C * T;
    const size_t plane = (size_t)H * W;
#pragma omp parallel for schedule(static) collapse(2)
    for (int c = 0; c < C; c++)
        for (int i = 0; i < nc; i++)
            in_transform_t_plane(din + ((size_t)c * N + n0 + i) * plane,
                                 dV + (size_t)c * T + (size_t)i * tpi, fs, H, W, th, tw,
                                 accumulate);
}

void conv_wino_forward(float *out, const float *in, const float *wt, const conv_dims_t *d,
                       float *ws, size_t cap, int accumulate, layer_time_t *t)
{
    const int cin = d->cin, cout = d->cout;
    const size_t tpi = (size_t)((d->h + 1) / 2) * ((d->w + 1) / 2);
    const size_t per = wino_per_image(d), bufsz = per > cap ? per : cap;
    float *V = ws, *M = ws + bufsz, *U = ws + 2 * bufsz;
    const int chunk = conv_wino_chunk(d, cap);
    double t0 = t ? omp_get_wtime() : 0;
    wt_transform(U, wt, cout, cin);
    if (t) t->other += omp_get_wtime() - t0;
    for (int n0 = 0; n0 < d->n; n0 += chunk) {
        int nc = d->n - n0 < chunk ? d->n - n0 : chunk;
        int T = (int)(nc * tpi);
        double t1 = t ? omp_get_wtime() : 0;
        in_transform(V, in, cin, d->n, d->h, d->w, n0, nc);
        double t2 = t ? omp_get_wtime() : 0;
        for (int f = 0; f < 16; f++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, T, cin, 1.0f,
                        U + (size_t)f * cout * cin, cin, V + (size_t)f * cin * T, T, 0.0f,
                        M + (size_t)f * cout * T, T);
        double t3 = t ? omp_get_wtime() : 0;
        out_transform(out, M, cout, d->n, d->h, d->w, n0, nc, accumulate);
        if (t) {
            t->im2col += t2 - t1;
            t->gemm += t3 - t2;
            t->col2im += omp_get_wtime() - t3;
        }
    }
}

void conv_wino_backward(float *din, float *dwt, const float *dout, const float *in,
                        const float *wt, const conv_dims_t *d, float *ws, size_t cap,
                        int accumulate, layer_time_t *t)
{
    const int cin = d->cin, cout = d->cout;
    const size_t tpi = (size_t)((d->h + 1) / 2) * ((d->w + 1) / 2);
    const size_t per = wino_per_image(d), bufsz = per > cap ? per : cap;
    const size_t fw = (size_t)cout * cin;
    float *V = ws, *D = ws + bufsz, *U = ws + 2 * bufsz, *dU = U + 16 * fw;
    const int chunk = conv_wino_chunk(d, cap);
    double t0 = t ? omp_get_wtime() : 0;
    if (din) wt_transform(U, wt, cout, cin);
    if (t) t->other += omp_get_wtime() - t0;
    for (int n0 = 0; n0 < d->n; n0 += chunk) {
        int nc = d->n - n0 < chunk ? d->n - n0 : chunk;
        int T = (int)(nc * tpi);
        double t1 = t ? omp_get_wtime() : 0;
        in_transform(V, in, cin, d->n, d->h, d->w, n0, nc);
        grad_transform(D, dout, cout, d->n, d->h, d->w, n0, nc);
        double t2 = t ? omp_get_wtime() : 0;
        for (int f = 0; f < 16; f++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cout, cin, T, 1.0f,
                        D + (size_t)f * cout * T, T, V + (size_t)f * cin * T, T,
                        n0 == 0 ? 0.0f : 1.0f, dU + f * fw, cin);
        double t3 = t ? omp_get_wtime() : 0, t4 = t3;
        if (din) {
            /* V is free again: dV goes there. */
            for (int f = 0; f < 16; f++)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cin, T, cout, 1.0f,
                            U + f * fw, cin, D + (size_t)f * cout * T, T, 0.0f,
                            V + (size_t)f * cin * T, T);
            t4 = t ? omp_get_wtime() : 0;
            in_transform_t(din, V, cin, d->n, d->h, d->w, n0, nc, accumulate);
        }
        if (t) {
            t->im2col += t2 - t1;
            t->gemm += t4 - t2;
            t->col2im += omp_get_wtime() - t4;
        }
    }
    double t5 = t ? omp_get_wtime() : 0;
    wt_grad_transform(dwt, dU, cout, cin);
    if (t) t->other += omp_get_wtime() - t5;
}
