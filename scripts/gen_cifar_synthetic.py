#!/usr/bin/python3
"""Writes small synthetic CIFAR-10 and CIFAR-100 datasets in the exact binary layout.

    /usr/bin/python3 scripts/gen_cifar_synthetic.py OUT_DIR [--per-file N] [--seed S]

OUT_DIR/cifar10/{data_batch_1..5,test_batch}.bin: records of 1 label byte + 3072 bytes
(R, G, B planes of 32x32). OUT_DIR/cifar100/{train,test}.bin: records of coarse label byte,
fine label byte, 3072 bytes. Each class has its own colour and stripe direction plus noise,
so a tiny model can learn something in an epoch. Only numpy; deterministic for a seed.
The committed copy under tests/fixtures/image/ was made with the defaults.
"""
import argparse
import os

import numpy as np


def images(rng, labels, n_classes):
    n = len(labels)
    yy, xx = np.mgrid[0:32, 0:32]
    out = np.empty((n, 3, 32, 32), dtype=np.uint8)
    for i, k in enumerate(labels):
        base = np.array([(37 * k) % 256, (91 * k + 60) % 256, (173 * k + 120) % 256], dtype=np.float64)
        stripes = np.sin((xx if k % 2 else yy) * (0.3 + 0.2 * (k % 5))) * 60.0
        img = base[:, None, None] * 0.7 + stripes[None] + rng.normal(0, 25, size=(3, 32, 32))
        out[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def write(path, labels_rows, pix):
    """labels_rows: (n, label_bytes) uint8; pix (n, 3, 32, 32) uint8."""
    n = pix.shape[0]
    rec = np.concatenate([labels_rows.astype(np.uint8), pix.reshape(n, 3072)], axis=1)
    with open(path, "wb") as f:
        f.write(rec.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--per-file", type=int, default=10, help="records per CIFAR-10 batch file")
    ap.add_argument("--seed", type=int, default=6)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)

    d10 = os.path.join(a.out, "cifar10")
    os.makedirs(d10, exist_ok=True)
    names = [f"data_batch_{b}.bin" for b in range(1, 6)] + ["test_batch.bin"]
    for j, name in enumerate(names):
        labels = (np.arange(a.per_file) + j) % 10
        write(os.path.join(d10, name), labels[:, None], images(rng, labels, 10))

    d100 = os.path.join(a.out, "cifar100")
    os.makedirs(d100, exist_ok=True)
    for name, n in (("train.bin", 2 * a.per_file), ("test.bin", a.per_file)):
        fine = rng.integers(0, 100, size=n)
        coarse = fine // 5  # any value in 0..19 is valid; the reader only range-checks it
        write(os.path.join(d100, name), np.stack([coarse, fine], axis=1), images(rng, fine, 100))


if __name__ == "__main__":
    main()
