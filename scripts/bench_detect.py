#!/usr/bin/python3
"""The PyTorch side of scripts/bench_detect.sh: the sliding-window inference `speechtrain
detect` does, window by window, in PyTorch 1.13 / torchaudio 0.13: the recording is read
whole, every 1 s window (hop 3 x 512 samples, zero-padded at the end, as detect) gets its own
log-mel (torchaudio MelSpectrogram, power_to_db ref=max, floor -80, (db + 40) / 80), and
batches of 32 windows go through the same PreAct-ResNet18 (width 16, the demo preset, eval
mode, random weights: the cost does not depend on them), then softmax. Prints
seconds=... (wall clock, reading the audio to the last probability), cpu_seconds=... (the
process's CPU time over the same span, all threads) and windows=...
Run with /usr/bin/python3."""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchaudio

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("wav")
ap.add_argument("--classes", type=int, default=12)
ap.add_argument("--width", type=int, default=16)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
net = PreActResNet18(1, a.classes, a.width).eval()
mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=2048, hop_length=512, n_mels=32, f_min=0,
                                           f_max=8000, mel_scale="slaney", norm="slaney", center=True,
                                           pad_mode="reflect", power=2.0)
clip, step = 16000, 3 * 512
t0, c0 = time.perf_counter(), time.process_time()
w, sr = torchaudio.load(a.wav)
assert sr == 16000, "bench_detect.py reads 16 kHz recordings"
x = w.mean(0)
nwin = 1 + max(0, -(-(x.numel() - clip) // step))
x = F.pad(x, (0, (nwin - 1) * step + clip - x.numel()))
with torch.inference_mode():
    for b in range(0, nwin, a.batch):
        idx = torch.arange(b, min(b + a.batch, nwin))
        cut = torch.stack([x[i * step:i * step + clip] for i in idx.tolist()])   # (B, 16000)
        S = mel(cut)                                                             # (B, 32, 32)
        db = 10 * torch.log10(S.clamp(min=1e-10))
        db = db - db.amax(dim=(1, 2), keepdim=True)
        inp = ((db.clamp(min=-80) + 40) / 80).unsqueeze(1)                       # (B, 1, 32, 32)
        p = torch.softmax(net(inp), dim=1)
dt, dc = time.perf_counter() - t0, time.process_time() - c0
print(f"seconds={dt:.3f}")
print(f"cpu_seconds={dc:.3f}")
print(f"windows={nwin}")
