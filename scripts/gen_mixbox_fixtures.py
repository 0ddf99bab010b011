#!/usr/bin/python3
"""Reference distributions of the CutMix and ResizeMix boxes for tests/mix/test_mix_box.c.
Run with /usr/bin/python3 (Debian numpy):

  box_defaults.npy         (4,) the reference implementations' defaults: alpha 1 (CutMix-PyTorch
                           --beta 1, used by RandomMix for every mode), ResizeMix scope
                           (0.1, 0.8), FMix decay_power 3.
  box_<mode>_<H>x<W>.npy   (7, L) float32, L = max(H, W, 20) + 1: rows are the probabilities of
                           0 h, 1 y0, 2 y0 + h, 3 w, 4 x0, 5 x0 + w (each over 0..H or 0..W,
                           zero padded), 6 lam = 1 - h w / (H W) in 20 equal bins of [0, 1]
                           (bin 19 includes 1). Estimated from NDRAW draws of the reference
                           code below with the defaults. An empty box is counted as
                           h = w = y0 = x0 = 0, as mix.h reports it.

CutMix: CutMix-PyTorch's rand_bbox (train.py), reproduced verbatim below (np.int is int in
today's numpy); lam0 ~ Beta(alpha, alpha). Its first axis (size[2], called W there) is the row
axis of an NCHW tensor, our H. ResizeMix: tau ~ U(lo, hi); the partner resized to
int(H tau) x int(W tau), pasted at a position uniform over every place fully inside the image.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'mix')
os.makedirs(OUT, exist_ok=True)
NDRAW = 2_000_000
ALPHA, RESIZE_LO, RESIZE_HI, FMIX_DECAY = 1.0, 0.1, 0.8, 3.0
SHAPES = [(40, 101), (32, 32), (7, 5)]


def rand_bbox(size, lam):
    """CutMix-PyTorch train.py, as published (np.int -> int)."""
    W = size[2]
    H = size[3]
    cut_rat = np.sqrt(1. - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)

    # uniform
    cx = np.random.randint(W)
    cy = np.random.randint(H)

    bbx1 = np.clip(cx - cut_w // 2, 0, W)
    bby1 = np.clip(cy - cut_h // 2, 0, H)
    bbx2 = np.clip(cx + cut_w // 2, 0, W)
    bby2 = np.clip(cy + cut_h // 2, 0, H)

    return bbx1, bby1, bbx2, bby2


def rand_bbox_vec(H, W, lam, cy, cx):
    """rand_bbox on arrays, centres given; in our names (rows H, columns W)."""
    cut_rat = np.sqrt(1. - lam)
    ch = (H * cut_rat).astype(np.int64)
    cw = (W * cut_rat).astype(np.int64)
    y1, y2 = np.clip(cy - ch // 2, 0, H), np.clip(cy + ch // 2, 0, H)
    x1, x2 = np.clip(cx - cw // 2, 0, W), np.clip(cx + cw // 2, 0, W)
    return y1, x1, y2 - y1, x2 - x1


def check_vec_matches_scalar(H, W):
    rs = np.random.RandomState(7)
    for _ in range(20000):
        lam = rs.beta(ALPHA, ALPHA)
        state = np.random.get_state()
        bx1, by1, bx2, by2 = rand_bbox((1, 1, H, W), lam)
        np.random.set_state(state)
        cy = np.random.randint(H)  # rand_bbox's cx: its first axis, our rows
        cx = np.random.randint(W)
        y0, x0, h, w = rand_bbox_vec(H, W, np.array([lam]), np.array([cy]), np.array([cx]))
        assert (y0[0], x0[0], h[0], w[0]) == (bx1, by1, bx2 - bx1, by2 - by1)


def cutmix(H, W, rs):
    lam = rs.beta(ALPHA, ALPHA, NDRAW)
    return rand_bbox_vec(H, W, lam, rs.randint(H, size=NDRAW), rs.randint(W, size=NDRAW))


def resizemix(H, W, rs):
    tau = rs.uniform(RESIZE_LO, RESIZE_HI, NDRAW)
    h = np.minimum((H * tau).astype(np.int64), H)
    w = np.minimum((W * tau).astype(np.int64), W)
    y0 = rs.randint(0, H - h + 1)
    x0 = rs.randint(0, W - w + 1)
    return y0, x0, h, w


def table(H, W, box):
    y0, x0, h, w = box
    empty = (h == 0) | (w == 0)
    y0, x0, h, w = (np.where(empty, 0, a) for a in (y0, x0, h, w))
    L = max(H, W, 20) + 1
    t = np.zeros((7, L))
    for r, (v, n) in enumerate([(h, H), (y0, H), (y0 + h, H), (w, W), (x0, W), (x0 + w, W)]):
        t[r, :n + 1] = np.bincount(v, minlength=n + 1) / NDRAW
    lam = 1.0 - h * w / (H * W)
    t[6, :20] = np.bincount(np.minimum((lam * 20).astype(np.int64), 19), minlength=20) / NDRAW
    return t.astype(np.float32)


def main():
    np.save(os.path.join(OUT, 'box_defaults.npy'),
            np.array([ALPHA, RESIZE_LO, RESIZE_HI, FMIX_DECAY], dtype=np.float32))
    rs = np.random.RandomState(20261204)
    np.random.seed(3)
    for H, W in SHAPES:
        check_vec_matches_scalar(H, W)
        for name, fn in (('cutmix', cutmix), ('resizemix', resizemix)):
            np.save(os.path.join(OUT, f'box_{name}_{H}x{W}.npy'), table(H, W, fn(H, W, rs)))


if __name__ == '__main__':
    main()
