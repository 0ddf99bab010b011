#!/usr/bin/python3
"""Log-mel speed: our front end vs torchaudio 0.13 on the same 1000 clips, in one run.

  /usr/bin/python3 scripts/bench_audio.py [BUILD_DIR ...]   (default: build/, and build-fftw/ if built)

Times torchaudio MelSpectrogram + the dB step (docs/reference.md §2) per clip and batched,
with torch.set_num_threads(1) and (2); ours per clip on 1 thread and batched on 2 threads
(BUILD_DIR/src/audio/bench_audio, once per build, so one run compares the FFT backends:
meson -Dfft=kissfft|fftw); and the backend's bare 32 real FFTs per clip as the limit.
Also checks that each produced the same features as torchaudio (max |diff| in network-input
units). Last line: speedup vs torchaudio: N.NNx (BACKEND; ...) -- the best build's best over
torchaudio's best, then the other builds'."""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchaudio

N, REPS = 1000, 3
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
builds = sys.argv[1:] or [os.path.join(root, "build")] + [
    b for b in [os.path.join(root, "build-fftw")] if os.path.exists(os.path.join(b, "build.ninja"))]
exes = [os.path.join(b, "src", "audio", "bench_audio") for b in builds]
for b, exe in zip(builds, exes):
    if not os.path.exists(exe):
        sys.exit("bench_audio: %s not built (meson compile -C %s)" % (exe, b))

# 1000 speech-like clips: a few decaying harmonics plus noise, different per clip.
rng = np.random.default_rng(0)
t = np.arange(16000) / 16000.0
f0 = rng.uniform(90, 300, N)[:, None]
env = np.exp(-((t[None] - rng.uniform(0.2, 0.8, N)[:, None]) / 0.15) ** 2)
clips = sum(np.sin(2 * np.pi * k * f0 * t[None]) / k for k in range(1, 6)) * env * 0.2
clips += 0.003 * rng.standard_normal(clips.shape)
clips = clips.astype(np.float32)

mel = torchaudio.transforms.MelSpectrogram(
    sample_rate=16000, n_fft=2048, hop_length=512, n_mels=32, f_min=0.0, f_max=8000.0,
    mel_scale="slaney", norm="slaney", center=True, pad_mode="reflect", power=2.0)


def to_input(S):
    # power_to_db(ref=max per clip, amin=1e-10, top_db=80), then (dB + 40) / 80.
    db = 10 * torch.log10(torch.clamp(S, min=1e-10))
    ref = db.amax(dim=(-2, -1), keepdim=True)
    db = torch.maximum(db - ref, torch.tensor(-80.0))
    return (db + 40) / 80


X = torch.from_numpy(clips)


def torch_per_clip():
    with torch.no_grad():
        for i in range(N):
            to_input(mel(X[i]))


def torch_batch():
    with torch.no_grad():
        return to_input(mel(X))


def best(fn):
    b = 1e30
    for _ in range(REPS):
        t0 = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t0)
    return N / b


res = {}
for th in (1, 2):
    torch.set_num_threads(th)
    res["torchaudio_per_clip_%dthread" % th] = best(torch_per_clip)
    res["torchaudio_batch_%dthread" % th] = best(torch_batch)
torch.set_num_threads(1)
ref = torch_batch().numpy()



def run_ours(exe):
    with tempfile.TemporaryDirectory() as d:
        np.save(os.path.join(d, "clips.npy"), clips)
        out = subprocess.run([exe, os.path.join(d, "clips.npy"), "--reps", str(REPS), "--threads", "2",
                              "--check", os.path.join(d, "ours.npy")],
                             check=True, capture_output=True, text=True).stdout
        feat = np.load(os.path.join(d, "ours.npy"))
    kv = dict(l.split() for l in out.strip().splitlines())
    name = kv.pop("backend")
    return name, dict((k, float(v)) for k, v in kv.items()), feat


for k, v in res.items():
    print("%-28s %8.1f clips/s" % (k, v))
best_torch = max(res.values())
speedups = []
for exe in exes:
    name, ours, ours_feat = run_ours(exe)
    print("-- backend %s (%s)" % (name, exe))
    print("%-28s %8.1f clips/s  (32 bare 2048-point real FFTs per clip: the limit)" % ("fft_bare_1thread", ours["fft_bare_1thread"]))
    print("%-28s %8.1f clips/s" % ("ours_per_clip_1thread", ours["ours_1thread"]))
    print("%-28s %8.1f clips/s" % ("ours_batch_2threads", ours["ours_batch_2threads"]))
    overhead = ours["fft_bare_1thread"] / ours["ours_1thread"] - 1
    scaling = ours["ours_batch_2threads"] / ours["ours_1thread"]
    print("around-FFT overhead (1 thread): %+.1f%% of the bare FFT time (target <= 15%%)" % (100 * overhead))
    print("2-thread scaling: %.2fx (target >= 1.8x)" % scaling)
    print("features max |ours - torchaudio| (network input units): %.2e" % np.abs(ours_feat - ref).max())
    best_ours = max(ours["ours_1thread"], ours["ours_batch_2threads"])
    print("%s speedup vs torchaudio: %.2fx" % (name, best_ours / best_torch))
    speedups.append((best_ours / best_torch, name))
speedups.sort(reverse=True)
print("speedup vs torchaudio: %.2fx (%s)" % (speedups[0][0], "; ".join(
    [speedups[0][1]] + ["%s %.2fx" % (n, v) for v, n in speedups[1:]])))
