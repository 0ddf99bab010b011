#!/usr/bin/env bash
# CIFAR input pipeline throughput (zero-pad 4 + random 32x32 crop + horizontal flip +
# per-channel normalise, one image at a time, 1 thread): ours (src/image) against the
# PyTorch 1.13 equivalent of torchvision's per-sample transforms on uint8 tensors.
#   scripts/bench_image.sh [BUILD_DIR]     (default build/; takes well under a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
meson compile -C "$build" bench_image >/dev/null
data=$(mktemp -d /tmp/bench_image.XXXXXX)
trap 'rm -rf "$data"' EXIT
/usr/bin/python3 scripts/gen_cifar_synthetic.py "$data" --per-file 2000   # 10000 training images
ours=$(OMP_NUM_THREADS=1 "$build/tests/image/bench_image" "$data/cifar10" 5)
echo "$ours"
peer=$(/usr/bin/python3 - "$data/cifar10" <<'PY'
import sys, time
import numpy as np
import torch
import torch.nn.functional as F
torch.set_num_threads(1)
d = sys.argv[1]
pix = np.concatenate([np.fromfile(f"{d}/data_batch_{b}.bin", dtype=np.uint8).reshape(-1, 3073)[:, 1:]
                      for b in range(1, 6)]).reshape(-1, 3, 32, 32)
x = torch.from_numpy(pix)
xf = pix.astype(np.float64) / 255
mean = torch.tensor(xf.mean(axis=(0, 2, 3)), dtype=torch.float32)[:, None, None]
std = torch.tensor(xf.std(axis=(0, 2, 3)), dtype=torch.float32)[:, None, None]
n = x.shape[0]
best = 1e30
for r in range(3):
    g = np.random.default_rng(r)
    offs = g.integers(0, 9, size=(n, 2)); flips = g.random(n) < 0.5
    t0 = time.perf_counter()
    for i in range(n):
        # RandomCrop(32, padding=4) + RandomHorizontalFlip + ToTensor + Normalize on a tensor
        p = F.pad(x[i], (4, 4, 4, 4))
        dy, dx = offs[i]
        c = p[:, dy:dy + 32, dx:dx + 32]
        if flips[i]:
            c = c.flip(-1)
        out = (c.float().div(255) - mean) / std
    best = min(best, time.perf_counter() - t0)
print(f"pytorch: {n} images, best of 3: {best:.4f} s, {n / best:.0f} images/s")
PY
)
echo "$peer"
o=$(echo "$ours" | sed -E 's/.* ([0-9]+) images\/s.*/\1/')
p=$(echo "$peer" | sed -E 's/.* ([0-9]+) images\/s.*/\1/')
echo "ratio ours/pytorch: $(awk -v o="$o" -v p="$p" 'BEGIN { printf "%.1f", o / p }')x"
