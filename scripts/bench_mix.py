#!/usr/bin/python3
"""Times the mixer (src/mix, via the bench_mix program) against the references in one run:
PyTorch ops for mixup, cutmix and resizemix (as in mixup-cifar10, CutMix-PyTorch and
ResizeMix), and the FMix repository's numpy algorithm (fmix.py, rewritten here) for fmix,
on 256x1x32x32 and 256x3x32x32 batches with 12-class soft labels. Prints one table and, last,
`min speedup vs reference: N.NNx`.

  /usr/bin/python3 scripts/bench_mix.py [BUILD_DIR] [--reps N]

BUILD_DIR (default: build) holds src/mix/bench_mix. Median times; torch uses 2 threads.
"""
import argparse
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)


# ---- references ----
def rand_perm(n):
    return torch.randperm(n)


def ref_mixup(x, y, alpha=1.0):
    lam = np.random.beta(alpha, alpha)
    idx = rand_perm(x.size(0))
    return lam * x + (1 - lam) * x[idx, :], lam * y + (1 - lam) * y[idx, :]


def rand_bbox(H, W, lam):
    cut = np.sqrt(1. - lam)
    cw, ch = int(W * cut), int(H * cut)
    cx, cy = np.random.randint(W), np.random.randint(H)
    return (np.clip(cx - cw // 2, 0, W), np.clip(cy - ch // 2, 0, H),
            np.clip(cx + cw // 2, 0, W), np.clip(cy + ch // 2, 0, H))


def ref_cutmix(x, y, alpha=1.0):
    lam = np.random.beta(alpha, alpha)
    idx = rand_perm(x.size(0))
    H, W = x.shape[2], x.shape[3]
    x1, y1, x2, y2 = rand_bbox(H, W, lam)
    x[:, :, y1:y2, x1:x2] = x[idx, :, y1:y2, x1:x2]
    lam = 1 - ((x2 - x1) * (y2 - y1) / (W * H))
    return x, lam * y + (1 - lam) * y[idx, :]


def ref_resizemix(x, y, lo=0.1, hi=0.8):
    tau = np.random.uniform(lo, hi)
    idx = rand_perm(x.size(0))
    H, W = x.shape[2], x.shape[3]
    h, w = int(H * tau), int(W * tau)
    y0, x0 = np.random.randint(H - h + 1), np.random.randint(W - w + 1)
    x[:, :, y0:y0 + h, x0:x0 + w] = F.interpolate(x[idx], size=(h, w), mode='bilinear',
                                                  align_corners=False)
    lam = 1 - h * w / (H * W)
    return x, lam * y + (1 - lam) * y[idx, :]


def fftfreqnd(h, w):
    fy = np.expand_dims(np.fft.fftfreq(h), -1)
    fx = np.fft.fftfreq(w)[: w // 2 + 2] if w % 2 == 1 else np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def get_spectrum(freqs, decay, ch, h, w):
    scale = np.ones(1) / (np.maximum(freqs, np.array([1. / max(w, h)])) ** decay)
    param = np.random.randn(ch, *freqs.shape, 2)
    return np.expand_dims(scale, -1)[None, :] * param


def binarise_mask(mask, lam, in_shape):
    idx = mask.reshape(-1).argsort()[::-1]
    mask = mask.reshape(-1)
    num = math.ceil(lam * mask.size) if random.random() > 0.5 else math.floor(lam * mask.size)
    mask[idx[:num]] = 1
    mask[idx[num:]] = 0
    return mask.reshape((1, *in_shape))


def sample_mask(lam, shape, decay=3.0, reference=True):
    """fmix.py's make_low_freq_image + binarise_mask; reference=False indexes the
    spectrum on its re/im axis (the paper's isotropic mask, our default)."""
    freqs = fftfreqnd(*shape)
    spec = get_spectrum(freqs, decay, 1, *shape)
    spec = spec[:, 0] + 1j * spec[:, 1] if reference else spec[..., 0] + 1j * spec[..., 1]
    mask = np.real(np.fft.irfftn(spec, shape))[:1, :shape[0], :shape[1]]
    mask = mask - mask.min()
    mask = mask / mask.max()
    return binarise_mask(mask, lam, shape)


def ref_fmix(x, y, alpha=1.0):
    lam = np.random.beta(alpha, alpha)
    mask = torch.from_numpy(sample_mask(lam, x.shape[2:], reference=False)).float()
    idx = rand_perm(x.size(0))
    return mask * x + (1 - mask) * x[idx], lam * y + (1 - lam) * y[idx, :]


def median_us(fn, reps):
    for _ in range(max(2, reps // 10)):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e6)
    return float(np.median(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--reps', type=int, default=100)
    a = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    exe = os.path.join(a.build if os.path.isabs(a.build) else os.path.join(root, a.build),
                       'src', 'mix', 'bench_mix')
    if not os.access(exe, os.X_OK):
        sys.exit(f'bench_mix.py: {exe} not found; build first (meson compile -C {a.build})')
    np.random.seed(0)
    random.seed(0)
    torch.manual_seed(0)
    rows = []
    for C in (1, 3):
        N, H, W = 256, 32, 32
        out = subprocess.run([exe, str(N), str(C), str(H), str(W), str(a.reps)], check=True,
                             capture_output=True, text=True).stdout
        ours = {k: float(v) for k, v in (line.split() for line in out.strip().splitlines())}
        x = torch.rand(N, C, H, W)
        y = F.one_hot(torch.arange(N) % 12, 12).float()
        shape = f'{N}x{C}x{H}x{W}'
        for name, fn in (('mixup', ref_mixup), ('cutmix', ref_cutmix),
                         ('resizemix', ref_resizemix), ('fmix', ref_fmix)):
            rows.append((name, shape, ours[name], median_us(lambda: fn(x, y), a.reps)))
        rows.append(('fmix mask (isotropic)', f'{H}x{W}', ours['fmix_mask'],
                     median_us(lambda: sample_mask(np.random.rand(), (H, W), reference=False),
                               a.reps)))
        rows.append(('fmix mask (reference)', f'{H}x{W}', ours['fmix_mask_reference'],
                     median_us(lambda: sample_mask(np.random.rand(), (H, W)), a.reps)))
    print(f"{'mode':<24}{'shape':<14}{'ours us':>10}{'ref us':>10}{'speedup':>10}")
    for name, shape, o, r in rows:
        print(f'{name:<24}{shape:<14}{o:>10.1f}{r:>10.1f}{r / o:>9.2f}x')
    print(f'min speedup vs reference: {min(r / o for _, _, o, r in rows):.2f}x')


if __name__ == '__main__':
    main()
