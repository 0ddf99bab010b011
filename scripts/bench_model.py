#!/usr/bin/python3
"""PyTorch side of scripts/bench_model.sh: train-step throughput of the same PreAct-ResNet18.

    /usr/bin/python3 scripts/bench_model.py --batch 256 --steps 3 --threads 2 [--width 64]

Prints the same key=value lines as bench_model (C): step_s (median after one warm-up step),
samples_per_s, gflops (3 x forward FLOPs per sample), peak_rss_mib.
"""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18  # noqa: E402  (the reference module)


def forward_flops(net, in_ch, h, w):
    flops = 0

    def hook(mod, inp, out):
        nonlocal flops
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1]
            flops += 2 * out.shape[1] * out.shape[2] * out.shape[3] * mod.in_channels * k
        elif isinstance(mod, torch.nn.Linear):
            flops += 2 * mod.in_features * mod.out_features

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        net.eval()
        net(torch.zeros(1, in_ch, h, w))
    for x in hs:
        x.remove()
    return flops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = PreActResNet18(1, 12, args.width)
    fl = forward_flops(net, 1, 32, 32)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(args.batch, 1, 32, 32) - 0.5
    y = F.one_hot(torch.randint(0, 12, (args.batch,)), 12).float()
    times = []
    for s in range(args.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    t = sorted(times[1:])[len(times[1:]) // 2]
    print("params=%d" % sum(p.numel() for p in net.parameters()))
    print("batch=%d threads=%d mode=train" % (args.batch, torch.get_num_threads()))
    print("step_s=%.3f" % t)
    print("samples_per_s=%.2f" % (args.batch / t))
    print("gflops=%.1f" % (3 * fl * args.batch / t / 1e9))
    print("peak_rss_mib=%.0f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
