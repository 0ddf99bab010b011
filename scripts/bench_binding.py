#!/usr/bin/python3
"""Times mixing a 256x3x32x32 batch (10-class soft labels) through the Python binding
(python/speechtrain, ctypes over libspeechtrain-mix) against the usual PyTorch code, in one
run, on torch CPU tensors:
  mixup:  binding RandomMix("mixup") vs timm's x.mul_(lam).add_(x.flip(0).mul_(1 - lam));
  cutmix: binding RandomMix("cutmix") vs torchvision.transforms.v2.CutMix's algorithm
          (rewritten here in torch ops: Beta lam, box around a uniform centre, x.roll(1, 0)
          pasted in, lam from the box area);
  randommix: the binding with all four modes (no torch peer; for reference).
Each side draws lam (and box/perm) and mixes x and the labels in place per call; the binding's
time includes its Python and ctypes overhead. Both use the same threads: torch's
set_num_threads sets the OpenMP thread count that the library's loops use too. Like the
programs, the script runs with OMP_WAIT_POLICY=PASSIVE unless OMP_WAIT_POLICY or GOMP_SPINCOUNT
is set (spinning threads on a loaded machine time the load, not the code).
Sides alternate for R rounds of N calls; each time is the median per call over a round, the
table the median over rounds. The last line is the smaller of the two speedups.

  /usr/bin/python3 scripts/bench_binding.py [--threads T] [--reps N] [--rounds R]
(the library from build/src/lib, or SPEECHTRAIN_LIBDIR)
"""
import argparse
import math
import os
import sys
import time

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read by libgomp when it loads: restart once
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import speechtrain  # noqa: E402

N, C, H, W, K = 256, 3, 32, 32, 10


def timm_mixup(x, y, alpha=1.0):
    lam = float(np.random.beta(alpha, alpha))
    x.mul_(lam).add_(x.flip(0).mul_(1.0 - lam))
    y.mul_(lam).add_(y.flip(0).mul_(1.0 - lam))
    return x, y


_beta = torch.distributions.Beta(torch.tensor([1.0]), torch.tensor([1.0]))


def tv2_cutmix(x, y):
    lam = float(_beta.sample(()))
    r_x = int(torch.randint(W, size=(1,)))
    r_y = int(torch.randint(H, size=(1,)))
    r = 0.5 * math.sqrt(1.0 - lam)
    rw, rh = int(r * W), int(r * H)
    x1, y1 = max(r_x - rw, 0), max(r_y - rh, 0)
    x2, y2 = min(r_x + rw, W), min(r_y + rh, H)
    x_rolled = x.roll(1, 0)
    x[..., y1:y2, x1:x2] = x_rolled[..., y1:y2, x1:x2]
    lam = 1.0 - float((x2 - x1) * (y2 - y1)) / (W * H)
    y_rolled = y.roll(1, 0)
    y_rolled.mul_(1.0 - lam).add_(y.mul_(lam))
    return x, y_rolled


def time_calls(f, x, y, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f(x, y)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    np.random.seed(0)
    x = torch.rand(N, C, H, W)
    y = torch.nn.functional.one_hot(torch.arange(N) % K, K).float()
    sides = {
        "mixup binding": speechtrain.RandomMix("mixup", seed=1),
        "mixup timm": timm_mixup,
        "cutmix binding": speechtrain.RandomMix("cutmix", seed=2),
        "cutmix tv2": tv2_cutmix,
        "randommix binding": speechtrain.RandomMix(seed=3),
    }
    t = {k: [] for k in sides}
    for f in sides.values():  # warm-up: contexts, thread pools, allocator
        time_calls(f, x, y, 5)
    for _ in range(a.rounds):
        for k, f in sides.items():
            t[k].append(time_calls(f, x, y, a.reps))
    med = {k: float(np.median(v)) for k, v in t.items()}
    print(f"{'side':<20}{'us/call':>10}")
    for k in sides:
        print(f"{k:<20}{med[k]:>10.1f}")
    s_mix = med["mixup timm"] / med["mixup binding"]
    s_cut = med["cutmix tv2"] / med["cutmix binding"]
    print(f"batch {N}x{C}x{H}x{W}, {K} classes; threads {torch.get_num_threads()}; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}; {a.rounds} rounds x {a.reps} calls")
    print(f"mixup: binding {s_mix:.2f}x timm; cutmix: binding {s_cut:.2f}x torchvision-v2")
    print(f"min speedup of the binding vs torch: {min(s_mix, s_cut):.2f}x")


if __name__ == "__main__":
    main()
