#!/usr/bin/python3
"""Times the mixer (src/mix, via the bench_mix program) against the references in one run:
PyTorch ops for mixup, cutmix and resizemix (as in mixup-cifar10, CutMix-PyTorch and
ResizeMix), and the FMix repository's numpy algorithm (fmix.py, rewritten here) for fmix,
on 256x1x32x32 and 256x3x32x32 batches with 12-class soft labels. Prints one table and, last,
`min speedup vs reference: N.NNx`.

  /usr/bin/python3 scripts/bench_mix.py [BUILD_DIR] [--reps N] [--rounds R] [--tuned-malloc]

BUILD_DIR (default: build) holds src/mix/bench_mix. Both sides do the same work per call:
draw perm and lam (box, mask), mix x and the soft labels. torch uses 2 threads, ours the
OpenMP default (`ours 1t`: OMP_NUM_THREADS=1). In the reference's favour: mixup and fmix
take the faster of the usual out-of-place code and an in-place variant (no batch-sized
allocations), and the fmix mask reuses fmix.py's frequency grid and scale per shape (ours
computes them once in mix_init). Ours and the references alternate for R rounds (default 5)
of N calls each (default 100): each time is the median over a round, the table shows the
median over the rounds, so a load change on a shared machine hits both sides.
--tuned-malloc re-runs under MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736
(the honest ceiling for PyTorch's allocations).
"""
import argparse
import math
import os
import random
import subprocess
import sys
import time

if '--tuned-malloc' in sys.argv and os.environ.get('MALLOC_MMAP_MAX_') != '0':
    os.environ.update(MALLOC_MMAP_MAX_='0', MALLOC_TRIM_THRESHOLD_='68719476736')
    os.execv(sys.executable, [sys.executable] + sys.argv)

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


def ref_mixup_inplace(x, y, alpha=1.0, buf={}):
    """the same arithmetic in place: x*lam + (1-lam)*x[idx] with preallocated rows"""
    lam = np.random.beta(alpha, alpha)
    idx = rand_perm(x.size(0))
    b = buf.setdefault(x.shape, torch.empty_like(x))
    torch.index_select(x, 0, idx, out=b)
    x.mul_(lam).add_(b, alpha=1 - lam)
    return x, lam * y + (1 - lam) * y[idx, :]


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


_SCALE = {}


def get_spectrum(freqs, decay, ch, h, w):
    # fmix.py recomputes the scale each call; it depends only on the shape, so it is
    # computed once here (in the reference's favour, as ours does in mix_init)
    key = (h, w, decay)
    if key not in _SCALE:
        scale = np.ones(1) / (np.maximum(freqs, np.array([1. / max(w, h)])) ** decay)
        _SCALE[key] = np.expand_dims(scale, -1)[None, :]
    param = np.random.randn(ch, *freqs.shape, 2)
    return _SCALE[key] * param


def binarise_mask(mask, lam, in_shape):
    idx = mask.reshape(-1).argsort()[::-1]
    mask = mask.reshape(-1)
    num = math.ceil(lam * mask.size) if random.random() > 0.5 else math.floor(lam * mask.size)
    mask[idx[:num]] = 1
    mask[idx[num:]] = 0
    return mask.reshape((1, *in_shape))


_FREQS = {}


def sample_mask(lam, shape, decay=3.0, reference=True):
    """fmix.py's make_low_freq_image + binarise_mask; reference=False indexes the
    spectrum on its re/im axis (the paper's isotropic mask, our default)."""
    shape = tuple(shape)
    if shape not in _FREQS:  # once per shape, in the reference's favour
        _FREQS[shape] = fftfreqnd(*shape)
    freqs = _FREQS[shape]
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


def ref_fmix_inplace(x, y, alpha=1.0, buf={}):
    """the same selection in place: where(mask, x, x[idx]) into x"""
    lam = np.random.beta(alpha, alpha)
    mask = torch.from_numpy(sample_mask(lam, x.shape[2:], reference=False)) > 0.5
    idx = rand_perm(x.size(0))
    b = buf.setdefault(x.shape, torch.empty_like(x))
    torch.index_select(x, 0, idx, out=b)
    torch.where(mask, x, b, out=x)
    return x, lam * y + (1 - lam) * y[idx, :]


def median_us(fn, reps):
    for _ in range(max(2, reps // 10)):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e6)
    return float(np.median(t))


def run_ours(exe, N, C, H, W, reps, threads=None):
    env = dict(os.environ)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    out = subprocess.run([exe, str(N), str(C), str(H), str(W), str(reps)], check=True,
                         capture_output=True, text=True, env=env).stdout
    return {k: float(v) for k, v in (line.split() for line in out.strip().splitlines())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--reps', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--tuned-malloc', action='store_true')
    a = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    exe = os.path.join(a.build if os.path.isabs(a.build) else os.path.join(root, a.build),
                       'src', 'mix', 'bench_mix')
    if not os.access(exe, os.X_OK):
        sys.exit(f'bench_mix.py: {exe} not found; build first (meson compile -C {a.build})')
    np.random.seed(0)
    random.seed(0)
    torch.manual_seed(0)
    N, H, W = 256, 32, 32
    keys = []  # (name, shape, our key, reference functions)
    for C in (1, 3):
        shape = f'{N}x{C}x{H}x{W}'
        keys += [('mixup', shape, C, 'mixup', (ref_mixup, ref_mixup_inplace)),
                 ('cutmix', shape, C, 'cutmix', (ref_cutmix,)),
                 ('resizemix', shape, C, 'resizemix', (ref_resizemix,)),
                 ('fmix', shape, C, 'fmix', (ref_fmix, ref_fmix_inplace)),
                 ('fmix mask (isotropic)', f'{H}x{W}', C, 'fmix_mask', None),
                 ('fmix mask (reference)', f'{H}x{W}', C, 'fmix_mask_reference', None)]
    data = {C: (torch.rand(N, C, H, W), F.one_hot(torch.arange(N) % 12, 12).float())
            for C in (1, 3)}
    t_ours = {k[:2]: [] for k in keys}
    t_one = {k[:2]: [] for k in keys}
    t_ref = {k[:2]: [] for k in keys}
    t_canon = {k[:2]: [] for k in keys}  # the usual out-of-place code alone
    for _ in range(a.rounds):
        for C in (1, 3):
            ours = run_ours(exe, N, C, H, W, a.reps)
            one = run_ours(exe, N, C, H, W, a.reps, threads=1)
            x, y = data[C]
            for name, shape, kc, key, fns in keys:
                if kc != C:
                    continue
                t_ours[name, shape].append(ours[key])
                t_one[name, shape].append(one[key])
                if fns is not None:
                    rs = [median_us(lambda: fn(x, y), a.reps) for fn in fns]
                else:
                    ref = key == 'fmix_mask_reference'
                    rs = [median_us(lambda: sample_mask(np.random.rand(), (H, W), reference=ref),
                                    a.reps)]
                t_ref[name, shape].append(min(rs))
                t_canon[name, shape].append(rs[0])
    med = lambda v: float(np.median(v))
    print(f"{'mode':<24}{'shape':<14}{'ours us':>10}{'ours 1t':>10}{'ref us':>10}"
          f"{'ref canon':>10}{'speedup':>10}")
    ratios = []
    for name, shape, _, _, _ in keys:
        o, o1, r = med(t_ours[name, shape]), med(t_one[name, shape]), med(t_ref[name, shape])
        rc = med(t_canon[name, shape])
        ratios.append(r / o)
        print(f'{name:<24}{shape:<14}{o:>10.1f}{o1:>10.1f}{r:>10.1f}{rc:>10.1f}{r / o:>9.2f}x')
    print('ref us: the faster reference variant (speedup is against it); ref canon: the '
          'usual out-of-place code')
    print(f'torch threads {torch.get_num_threads()}, ours OpenMP default threads; '
          f'{a.rounds} rounds x {a.reps} calls; malloc '
          f"{'tuned' if os.environ.get('MALLOC_MMAP_MAX_') == '0' else 'default'}")
    print(f'min speedup vs reference: {min(ratios):.2f}x')


if __name__ == '__main__':
    main()
