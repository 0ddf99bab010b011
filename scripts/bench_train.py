#!/usr/bin/python3
"""The PyTorch side of scripts/bench_train.sh: the same training loop as `speechtrain train
--no-augment --weights 1,0,0,0` (log-mel on every step, Mixup, PreAct-ResNet18, SGD) on a
Speech Commands folder, in PyTorch 1.13 / torchaudio 0.13. Prints samples_per_s=... of the
last epoch (steps only, as speechtrain's log.csv). Run with /usr/bin/python3."""
import argparse
import glob
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--width", type=int, default=16)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
files = sorted(f for f in glob.glob(os.path.join(a.data, "*", "*.wav")) if "/_" not in f)
words = "yes no up down left right on off stop go".split()
waves, labels = [], []
for f in files:
    w, sr = torchaudio.load(f)
    w = w.mean(0)[:16000]
    waves.append(F.pad(w, (0, 16000 - w.numel())))
    word = os.path.basename(os.path.dirname(f))
    labels.append(words.index(word) if word in words else 11)
waves, labels = torch.stack(waves), torch.tensor(labels)
mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=2048, hop_length=512, n_mels=32, f_min=0,
                                           f_max=8000, mel_scale="slaney", norm="slaney", center=True,
                                           pad_mode="reflect", power=2.0)
net = PreActResNet18(1, 12, a.width)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
n, B = len(files), a.batch
steps = n // B
for epoch in range(a.epochs):
    order = torch.randperm(n)
    t0 = time.perf_counter()
    for s in range(steps):
        idx = order[s * B:(s + 1) * B]
        S = mel(waves[idx])                                   # (B, 32, 32)
        db = 10 * torch.log10(S.clamp(min=1e-10))
        db = db - db.amax(dim=(1, 2), keepdim=True)
        x = ((db.clamp(min=-80) + 40) / 80).unsqueeze(1)
        y = F.one_hot(labels[idx], 12).float()
        lam = float(np.random.beta(1, 1))
        perm = torch.randperm(B)
        x, y = lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    dt = time.perf_counter() - t0
print(f"samples_per_s={steps * B / dt:.1f}")
