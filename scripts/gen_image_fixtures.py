#!/usr/bin/python3
"""Reference values for src/image, from numpy and PyTorch 1.13 (Debian's python3-torch).

    /usr/bin/python3 scripts/gen_image_fixtures.py

Reads the synthetic CIFAR files in tests/fixtures/image/ (scripts/gen_cifar_synthetic.py)
and writes, beside them:
  cifar10_stats.npy      (2, 3)  per-channel mean and population std of pixel/255 over the
                                 five training batches (numpy, float64)
  cifar100_stats.npy     (2, 3)  the same for CIFAR-100 train.bin
  cifar10_labels.npy     (60,)   every label of data_batch_1..5 then test_batch, as parsed by numpy
  aug_params.npy         (K, 4)  image index (into test_batch), dy, dx, flip
  aug_expected.npy       (K, 3, 32, 32) float32: torch zero-pad by 4 -> crop at (dy, dx)
                                 -> flip (torch.flip on the width axis) -> ToTensor's /255 ->
                                 Normalize(mean, std) with the float32 CIFAR-10 stats above
torchvision is not installed here, so its RandomCrop/RandomHorizontalFlip/ToTensor/Normalize
steps are spelled out with the torch operations they are built from.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures", "image")


def read(path, label_bytes):
    raw = np.fromfile(path, dtype=np.uint8)
    rec = raw.reshape(-1, label_bytes + 3072)
    return rec[:, label_bytes - 1].astype(np.int64), rec[:, label_bytes:].reshape(-1, 3, 32, 32)


def stats(pix):
    x = pix.astype(np.float64) / 255.0
    return np.stack([x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))])


def main():
    d10 = os.path.join(FIX, "cifar10")
    parts = [read(os.path.join(d10, f"data_batch_{b}.bin"), 1) for b in range(1, 6)]
    test_labels, test_pix = read(os.path.join(d10, "test_batch.bin"), 1)
    train_pix = np.concatenate([p for _, p in parts])
    s10 = stats(train_pix)
    np.save(os.path.join(FIX, "cifar10_stats.npy"), s10)
    np.save(os.path.join(FIX, "cifar10_labels.npy"),
            np.concatenate([l for l, _ in parts] + [test_labels]).astype(np.int64))
    _, p100 = read(os.path.join(FIX, "cifar100", "train.bin"), 2)
    np.save(os.path.join(FIX, "cifar100_stats.npy"), stats(p100))

    rng = np.random.default_rng(60)
    params = [[0, 4, 4, 0], [1, 0, 0, 0], [2, 8, 8, 1], [3, 0, 8, 1], [4, 8, 0, 0], [5, 3, 6, 1]]
    for _ in range(6):
        params.append([int(rng.integers(0, len(test_pix))), int(rng.integers(0, 9)),
                       int(rng.integers(0, 9)), int(rng.integers(0, 2))])
    params = np.array(params, dtype=np.int64)
    mean = torch.tensor(s10[0], dtype=torch.float32)[:, None, None]
    std = torch.tensor(s10[1], dtype=torch.float32)[:, None, None]
    out = []
    for i, dy, dx, flip in params:
        img = torch.from_numpy(test_pix[i].copy())                     # (3, 32, 32) uint8
        padded = F.pad(img[None].float(), (4, 4, 4, 4), value=0.0)[0].to(torch.uint8)
        crop = padded[:, dy:dy + 32, dx:dx + 32]
        if flip:
            crop = torch.flip(crop, dims=[2])
        x = crop.float().div(255)
        out.append(((x - mean) / std).numpy())
    np.save(os.path.join(FIX, "aug_params.npy"), params)
    np.save(os.path.join(FIX, "aug_expected.npy"), np.stack(out).astype(np.float32))


if __name__ == "__main__":
    main()
