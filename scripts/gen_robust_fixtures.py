#!/usr/bin/python3
"""Reference fixtures for the robustness evaluation (src/train/robust.c, src/audio/corrupt.c).

    /usr/bin/python3 scripts/gen_robust_fixtures.py [outdir]   (default tests/fixtures/robust)

Model part (PyTorch 1.13, the reference PreAct-ResNet18 of gen_model_fixtures.py at width 4,
1 x 20 x 24 input, 12 classes), in eval mode with non-trivial running statistics:
  params.npy, bn_stats.npy   weights (named_parameters order) and BN running mean/var per layer
  x.npy (N,1,H,W) in [-0.5, 0.5], labels.npy (N)
  dx.npy                     d CE(f(x), labels) / dx (batch-mean cross-entropy, autograd)
  adv_pred.npy               argmax of f(clamp(x + EPS * sign(dx), -0.5, 0.5)), EPS = 0.05
  adv_x.npy                  that adversarial input
Waveform part (numpy), on one 1 s clip at 16 kHz (clip.npy):
  clip_clipping.npy   np.clip at 0.2 x peak
  clip_lowpass.npy    windowed-sinc low-pass 2000 Hz, 255 taps, Hamming, np.convolve 'same'
  clip_gain.npy       -40 dB then 16-bit requantisation (np.round)
  clip_speed.npy      np.interp at np.arange(0, n, 1.3), zero-padded
  ir.npy, clip_reverb.npy   np.convolve(clip, ir)[:n] rescaled to the clip's RMS
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18, flat_bn, flat_params  # noqa: E402

N, H, W, CLASSES, WIDTH, EPS = 8, 20, 24, 12, 4, 0.05


def save(out, name, arr, dtype=np.float32):
    np.save(os.path.join(out, name), np.ascontiguousarray(arr, dtype=dtype))


def model_part(out):
    torch.manual_seed(77)
    net = PreActResNet18(1, CLASSES, WIDTH)
    for mod in net.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(0.1 * torch.randn_like(mod.running_mean))
            mod.running_var.copy_(0.5 + torch.rand_like(mod.running_var))
            with torch.no_grad():
                mod.weight.copy_(1 + 0.2 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
    net.eval()
    x = torch.rand(N, 1, H, W) - 0.5
    labels = torch.randint(0, CLASSES, (N,))
    xg = x.clone().requires_grad_(True)
    loss = F.cross_entropy(net(xg), labels)
    loss.backward()
    dx = xg.grad.detach()
    adv = torch.clamp(x + EPS * torch.sign(dx), -0.5, 0.5)
    with torch.no_grad():
        pred = net(adv).argmax(1)
    save(out, "params.npy", flat_params(net))
    save(out, "bn_stats.npy", flat_bn(net))
    save(out, "x.npy", x.numpy())
    save(out, "labels.npy", labels.numpy())
    save(out, "dx.npy", dx.numpy())
    save(out, "adv_x.npy", adv.numpy())
    save(out, "adv_pred.npy", pred.numpy())
    save(out, "config.npy", np.array([1, CLASSES, WIDTH, H, W, N, EPS]))


def wave_part(out):
    rng = np.random.default_rng(5)
    n, rate = 16000, 16000
    t = np.arange(n) / rate
    env = np.exp(-((t - 0.5) / 0.15) ** 2)
    clip = env * (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 3100 * t)) + 0.01 * rng.standard_normal(n)
    clip = clip.astype(np.float32)
    x = clip.astype(np.float64)
    save(out, "clip.npy", clip)
    peak = np.max(np.abs(clip))
    save(out, "clip_clipping.npy", np.clip(clip, -np.float32(0.2 * peak), np.float32(0.2 * peak)))
    taps, fc = 255, 2000 / rate
    j = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * fc * j) * np.hamming(taps)
    h /= h.sum()
    save(out, "clip_lowpass.npy", np.convolve(x, h, "same"))
    q = np.clip(np.round(x * 10 ** (-40 / 20) * 32768), -32768, 32767) / 32768
    save(out, "clip_gain.npy", q)
    pos = np.arange(0, n, 1.3)
    y = np.interp(pos, np.arange(n), x)
    sp = np.zeros(n)
    sp[:min(n, len(y))] = y[:n]
    save(out, "clip_speed.npy", sp)
    L = 4801
    ir = rng.standard_normal(L) * 10 ** (-3 * np.arange(L) / L)
    ir[0] = 1.0
    ir = ir.astype(np.float32)
    yr = np.convolve(x, ir.astype(np.float64))[:n]
    yr *= np.sqrt(np.sum(x ** 2) / np.sum(yr ** 2))
    save(out, "ir.npy", ir)
    save(out, "clip_reverb.npy", yr)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "robust")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model_part(out)
    wave_part(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
