#!/usr/bin/python3
"""Reference fixtures for tests/mix, computed by the reference libraries. Run with
/usr/bin/python3 (Debian torch 1.13, numpy, mpmath):

  resize_*_{src,out}.npy  F.interpolate(src, size=(oh, ow), mode='bilinear',
                          align_corners=False): the ResizeMix patch.
  refbins_HxW.npy         (H, W) 0/1: the fft2 bins in which the FMix repository's
                          fmix.py grey images (make_low_freq_image, before binarising) have
                          any energy, union over many draws.
  lowfreq.npy             rows (H, W, mean, std): share of the energy of the binarised
                          isotropic FMix mask (lam 0.5, decay 3; fmix.py with the spectrum
                          indexed on its re/im axis) in bins with f <= 2/max(H, W) over the
                          bins with f > 0, mean and std over 400 masks.
  betacdf.npy             (3, 41): regularised incomplete beta I_x(a, a) for a = 0.2, 1, 2
                          at x = linspace(0, 1, 41), from mpmath (checks the test's own CDF).
"""
import math
import os
import random

import mpmath
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'mix')
os.makedirs(OUT, exist_ok=True)
rs = np.random.RandomState(20261128)
random.seed(1)
np.random.seed(2)


def save(name, a):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(a))


# ---- ResizeMix patch: (C, H, W) -> (oh, ow) ----
RESIZE = [(1, 32, 32, 3, 3), (1, 32, 32, 25, 25), (1, 32, 32, 7, 19), (3, 32, 32, 12, 5),
          (1, 40, 101, 4, 10), (1, 40, 101, 32, 80), (3, 64, 64, 51, 51), (2, 5, 7, 11, 13)]
for C, H, W, oh, ow in RESIZE:
    src = rs.uniform(-1, 1, size=(C, H, W)).astype(np.float32)
    out = F.interpolate(torch.from_numpy(src)[None], size=(oh, ow), mode='bilinear',
                        align_corners=False)[0].numpy()
    tag = f'resize_{C}x{H}x{W}_to_{oh}x{ow}'
    save(tag + '_src.npy', src)
    save(tag + '_out.npy', out.astype(np.float32))


# ---- FMix: the repository's fmix.py, rewritten (same indexing) ----
def fftfreqnd(h, w):
    fy = np.expand_dims(np.fft.fftfreq(h), -1)
    fx = np.fft.fftfreq(w)[: w // 2 + 2] if w % 2 == 1 else np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def get_spectrum(freqs, decay, h, w):
    scale = np.ones(1) / (np.maximum(freqs, np.array([1. / max(w, h)])) ** decay)
    param = np.random.randn(1, *freqs.shape, 2)
    return np.expand_dims(scale, -1)[None, :] * param


def grey_repo(h, w, decay=3.0):
    """make_low_freq_image as in fmix.py: spectrum[:, 0] + 1j * spectrum[:, 1]."""
    spec = get_spectrum(fftfreqnd(h, w), decay, h, w)
    spec = spec[:, 0] + 1j * spec[:, 1]
    m = np.real(np.fft.irfftn(spec, (h, w)))[:1, :h, :w]
    m = m - m.min()
    return (m / m.max())[0]


def grey_iso(h, w, decay=3.0):
    """The paper's mask: the same spectrum indexed on its re/im axis (rfft grid)."""
    fy = np.expand_dims(np.fft.fftfreq(h), -1)
    fx = np.fft.rfftfreq(w)
    f = np.sqrt(fx * fx + fy * fy)
    scale = 1.0 / np.maximum(f, 1.0 / max(h, w)) ** decay
    p = np.random.randn(h, w // 2 + 1, 2)
    spec = scale * p[..., 0] + 1j * scale * p[..., 1]
    return np.fft.irfftn(spec, (h, w))


def binarise(grey, lam):
    idx = grey.reshape(-1).argsort()[::-1]
    m = np.zeros(grey.size)
    num = math.ceil(lam * grey.size) if random.random() > 0.5 else math.floor(lam * grey.size)
    m[idx[:num]] = 1
    return m.reshape(grey.shape)


for h, w in [(32, 32), (40, 101), (64, 64), (33, 17), (8, 40)]:
    seen = np.zeros((h, w), bool)
    for _ in range(50):
        g = grey_repo(h, w)
        P = np.abs(np.fft.fft2(g)) ** 2
        seen |= P > 1e-20 * P.max()
    save(f'refbins_{h}x{w}.npy', seen.astype(np.float32))

rows = []
for h, w in [(32, 32), (40, 101)]:
    fy = np.expand_dims(np.fft.fftfreq(h), -1)
    fx = np.expand_dims(np.fft.fftfreq(w), 0)
    f = np.sqrt(fx * fx + fy * fy)
    low, ac = f <= 2.0 / max(h, w), f > 0
    share = []
    for _ in range(400):
        m = binarise(grey_iso(h, w), 0.5)
        P = np.abs(np.fft.fft2(m)) ** 2
        share.append(P[low & ac].sum() / P[ac].sum())
    rows.append((h, w, np.mean(share), np.std(share)))
save('lowfreq.npy', np.array(rows, dtype=np.float64))

# ---- Beta(a, a) CDF ----
xs = np.linspace(0, 1, 41)
cdf = [[float(mpmath.betainc(a, a, 0, x, regularized=True)) for x in xs] for a in (0.2, 1.0, 2.0)]
save('betacdf.npy', np.array(cdf, dtype=np.float64))
print('wrote', OUT)
for r in rows:
    print('lowfreq share %dx%d: mean %.4f std %.4f' % r)
