#!/usr/bin/python3
"""The PyTorch side of scripts/bench_robust.sh: the evaluation `speechtrain robust` makes, on the
same checkpoint, in PyTorch 1.13 / torchaudio 0.13: clean error, FGSM (one input gradient, one
forward per eps), the 7 waveform corruptions at 5 severities (the parameters of
src/audio/corrupt.h, as torch ops on the batch) and occlusion, over the test split plus
silence items made from background-noise windows (as many as speechtrain counted).
Prints seconds=... (data loading included, imports not) and the errors. Run with
/usr/bin/python3.

    bench_robust.py --model CKPT --data DIR --items N [--eps 0.03] [--occlusion 0.25] [--threads 2]
"""
import argparse
import glob
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18  # noqa: E402

RATE = 16000
SNR = [20, 15, 10, 5, 0]
LEVELS = {"noise_snr": SNR, "white_snr": SNR, "clipping": [0.5, 0.3, 0.2, 0.1, 0.05],
          "lowpass": [4000, 3000, 2000, 1000, 500], "reverb": [0.1, 0.2, 0.3, 0.5, 0.8],
          "gain": [-20, -30, -40, -50, -60], "speed": [1.1, 1.2, 1.3, 1.4, 1.5]}


def load_ckpt(path):
    """Architecture, class names, parameters and BN statistics (docs/model.md's layout)."""
    b = open(path, "rb").read()
    if b[:8] != b"STCKPT01":
        sys.exit(f"{path}: not a speechtrain checkpoint")
    (version,) = struct.unpack_from("<I", b, 8)
    off = 12
    arch, in_ch, classes, width, h, w = struct.unpack_from("<6I", b, off)
    off += 24
    P, S = struct.unpack_from("<2Q", b, off)
    off += 16 + 16
    (n,) = struct.unpack_from("<I", b, off)
    meta = b[off + 4:off + 4 + n].decode()
    off += 4 + n
    (k,) = struct.unpack_from("<I", b, off)
    off += 4
    names = []
    for _ in range(k):
        (n,) = struct.unpack_from("<I", b, off)
        names.append(b[off + 4:off + 4 + n].decode())
        off += 4 + n
    if version == 1:  # a list of generator states (u32 count, 32 bytes each), dropped in 2
        (r,) = struct.unpack_from("<I", b, off)
        off += 4 + 32 * r
    params = np.frombuffer(b, np.float32, P, off)
    bn = np.frombuffer(b, np.float32, S, off + 4 * P)
    return dict(in_ch=in_ch, classes=classes, width=width, h=h, w=w, meta=meta, names=names, params=params, bn=bn)


def build_net(ck):
    net = PreActResNet18(ck["in_ch"], ck["classes"], ck["width"])
    flat, o = torch.from_numpy(ck["params"].copy()), 0
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(flat[o:o + p.numel()].view_as(p))
            o += p.numel()
        st, o = torch.from_numpy(ck["bn"].copy()), 0
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                for t in (m.running_mean, m.running_var):
                    t.copy_(st[o:o + t.numel()])
                    o += t.numel()
    assert o == st.numel(), "BN statistics do not match the architecture"
    return net.eval()


def load_wave(f):
    w, _ = torchaudio.load(f)
    w = w.mean(0)[:RATE]
    return F.pad(w, (0, RATE - w.numel()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--items", type=int, required=True)
    ap.add_argument("--eps", type=float, default=0.03)
    ap.add_argument("--occlusion", type=float, default=0.25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    ck = load_ckpt(a.model)
    net = build_net(ck)
    names = ck["names"]
    unk, sil = names.index("unknown"), names.index("silence")
    rels = [line.strip() for line in open(os.path.join(a.data, "testing_list.txt")) if line.strip()]
    waves = [load_wave(os.path.join(a.data, r)) for r in rels]
    labels = [names.index(r.split("/")[0]) if r.split("/")[0] in names else unk for r in rels]
    noise = torch.cat([load_wave_full(f) for f in sorted(glob.glob(os.path.join(a.data, "_background_noise_", "*.wav")))])
    g = torch.Generator().manual_seed(0)
    while len(waves) < a.items:
        s = int(torch.randint(0, noise.numel() - RATE, (1,), generator=g))
        waves.append(noise[s:s + RATE] * float(torch.rand(1, generator=g)))
        labels.append(sil)
    X, Y = torch.stack(waves), torch.tensor(labels)
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=RATE, n_fft=2048, hop_length=512, n_mels=ck["h"], f_min=0,
                                               f_max=8000, mel_scale="slaney", norm="slaney", center=True,
                                               pad_mode="reflect", power=2.0)

    def features(w):
        db = 10 * torch.log10(mel(w).clamp(min=1e-10))
        db = db - db.amax(dim=(1, 2), keepdim=True)
        return ((db.clamp(min=-80) + 40) / 80).unsqueeze(1)[..., :ck["w"]]

    def error(fn):
        wrong = 0
        for i in range(0, len(Y), a.batch):
            with torch.no_grad():
                wrong += int((net(fn(X[i:i + a.batch], i)).argmax(1) != Y[i:i + a.batch]).sum())
        return wrong / len(Y)

    res = {"clean": error(lambda w, i: features(w))}
    wrong = 0
    for i in range(0, len(Y), a.batch):
        x = features(X[i:i + a.batch]).requires_grad_(True)
        F.cross_entropy(net(x), Y[i:i + a.batch]).backward()
        with torch.no_grad():
            adv = torch.clamp(x + a.eps * torch.sign(x.grad), -0.5, 0.5)
            wrong += int((net(adv).argmax(1) != Y[i:i + a.batch]).sum())
    res["fgsm"] = wrong / len(Y)
    errs = []
    for name, levels in LEVELS.items():
        for lv in levels:
            errs.append(error(lambda w, i: features(corrupt(name, lv, w.clone(), noise, g))))
    res["corruption_mean"] = sum(errs) / len(errs)
    res["occlusion"] = error(lambda w, i: occlude(features(w), a.occlusion, g))
    dt = time.perf_counter() - t0
    print(f"seconds={dt:.2f}")
    print(" ".join(f"{k}={v:.4f}" for k, v in res.items()))


def load_wave_full(f):
    w, _ = torchaudio.load(f)
    return w.mean(0)


def add_snr(x, add, snr):
    px, pa = (x ** 2).sum(1, keepdim=True), (add ** 2).sum(1, keepdim=True)
    gain = torch.where((px > 0) & (pa > 0), torch.sqrt(px / (pa.clamp(min=1e-30) * 10 ** (snr / 10))), torch.zeros_like(px))
    return x + gain * add


def corrupt(name, lv, x, noise, g):
    B, n = x.shape
    if name == "noise_snr":
        s = torch.randint(0, noise.numel() - n, (B,), generator=g)
        return add_snr(x, noise[s[:, None] + torch.arange(n)], lv)
    if name == "white_snr":
        return add_snr(x, torch.randn(B, n, generator=g), lv)
    if name == "clipping":
        p = lv * x.abs().amax(1, keepdim=True)
        return torch.maximum(torch.minimum(x, p), -p)
    if name == "lowpass":
        j = torch.arange(255, dtype=torch.float64) - 127
        h = torch.special.sinc(2 * lv / RATE * j) * torch.hamming_window(255, periodic=False, dtype=torch.float64)
        h = (h / h.sum()).float()
        return F.conv1d(x[:, None], h.flip(0)[None, None], padding=127)[:, 0]
    if name == "reverb":
        L = math.ceil(lv * RATE) + 1
        t = torch.arange(L, dtype=torch.float32)
        h = torch.randn(B, L, generator=g) * 10 ** (-3 * t / (lv * RATE))
        h[:, 0] = 0
        h = h / h.pow(2).sum(1, keepdim=True).sqrt()
        h[:, 0] = 1
        m = 1 << (n + L - 1).bit_length()
        y = torch.fft.irfft(torch.fft.rfft(x, m) * torch.fft.rfft(h, m), m)[:, :n]
        scale = torch.sqrt((x ** 2).sum(1, keepdim=True) / (y ** 2).sum(1, keepdim=True).clamp(min=1e-30))
        return y * scale
    if name == "gain":
        return torch.clamp(torch.round(x * 10 ** (lv / 20) * 32768), -32768, 32767) / 32768
    if name == "speed":
        pos = torch.arange(0, n, lv)
        i0 = pos.floor().long().clamp(max=n - 1)
        i1 = (i0 + 1).clamp(max=n - 1)
        f = pos - i0
        y = x[:, i0] * (1 - f) + x[:, i1] * f
        return F.pad(y, (0, n - y.shape[1]))
    raise ValueError(name)


def occlude(x, share, g):
    B, C, H, W = x.shape
    bh, bw, target = max(H // 4, 1), max(W // 4, 1), round(share * H * W)
    mask = torch.zeros(B, H, W, dtype=torch.bool)
    for b in range(B):
        m = mask[b]
        while int(m.sum()) < target:
            y0 = int(torch.randint(0, H - bh + 1, (1,), generator=g))
            x0 = int(torch.randint(0, W - bw + 1, (1,), generator=g))
            m[y0:y0 + bh, x0:x0 + bw] = True
    return x.masked_fill(mask[:, None], -0.5)


if __name__ == "__main__":
    main()
