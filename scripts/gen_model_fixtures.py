#!/usr/bin/python3
"""Reference fixtures for src/model, made with PyTorch (Debian python3-torch 1.13).

Run with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 scripts/gen_model_fixtures.py [outdir]     (default tests/fixtures/model)
    /usr/bin/python3 scripts/gen_model_fixtures.py --conv-only [outdir]
                                       (only the per-layer convolution fixtures conv_*.npy)

Builds PreAct-ResNet18 (FMix variant, docs/reference.md §5) at width 4 on a small odd-sized
input and writes float32 .npy files:
  params.npy          initial parameters, flat, in named_parameters() order
  x.npy, y.npy        three batches (3, N, C, H, W) and soft labels (3, N, classes)
  logits.npy          train-mode logits for batch 0
  loss.npy            train-mode soft-label cross-entropy for batch 0 (batch mean)
  grads.npy           every parameter gradient for batch 0, flat
  bn_stats.npy        BN running mean/var per layer after that one train-mode forward
  eval_logits.npy     eval-mode logits for batch 0 with those running statistics
  params_sgd3.npy     parameters after 3 SGD steps (lr, momentum 0.9, wd 5e-4), batches 0,1,2
  momentum_sgd3.npy   SGD momentum buffers after those steps
  bn_stats_sgd3.npy   running statistics after those steps
  lr_cosine.npy       CosineAnnealingLR(T_max=10) lr for epochs 0..12, base 0.05
  lr_warmup.npy       LinearLR(1/3 -> 1 over 3 steps) then CosineAnnealingLR(T_max=7), 12 steps
  config.npy          [in_ch, classes, width, h, w, n, lr*1e6]
Per-layer 3x3 stride-1 pad-1 convolution cases (tests/model/test_conv.c), for each case name
in CONV_CASES, conv_<name>_{x,w,dy,y,dx,dw}.npy: input x (N, Cin, H, W), weight w
(Cout, Cin, 3, 3), upstream gradient dy (N, Cout, H, W), and torch's conv2d output y,
grad_input dx and grad_weight dw. The inputs are float32; torch evaluates in float64 from them
and the results are rounded to float32 (a reference free of float32 summation error).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IN_CH, CLASSES, WIDTH, H, W, N = 3, 12, 4, 24, 20, 6
LR, MOMENTUM, WD = 0.1, 0.9, 5e-4


class PreActBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        # Registration order fixes named_parameters() order: bn1, conv1, bn2, conv2, shortcut.
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        sc = self.shortcut(a) if hasattr(self, "shortcut") else x
        out = self.conv1(a)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + sc


class PreActResNet18(nn.Module):
    """FMix repository variant: stem conv -> BN -> ReLU, no final BN, global average pool."""

    def __init__(self, in_ch, classes, k):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, k, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(k)
        blocks, cin = [], k
        for stage in range(4):
            planes = k << stage
            for i in range(2):
                stride = 2 if (i == 0 and stage > 0) else 1
                blocks.append(PreActBlock(cin, planes, stride))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn(self.conv1(x)))
        out = self.blocks(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def flat_params(net, grad=False):
    ts = [(p.grad if grad else p).detach().reshape(-1) for p in net.parameters()]
    return torch.cat(ts).numpy().astype(np.float32)


def flat_bn(net):
    ts = []
    for mod in net.modules():
        if isinstance(mod, nn.BatchNorm2d):
            ts += [mod.running_mean.reshape(-1), mod.running_var.reshape(-1)]
    return torch.cat(ts).numpy().astype(np.float32)


def soft_ce(logits, y):
    return F.cross_entropy(logits, y)  # probability targets, batch mean


# name: (N, Cin, Cout, H, W): even sizes (16x16, 8x8), odd H and W, and Cin > Cout.
CONV_CASES = {
    "16x16": (3, 8, 16, 16, 16),
    "8x8": (3, 8, 16, 8, 8),
    "7x5": (3, 8, 16, 7, 5),
    "9x6": (2, 16, 8, 9, 6),
}


def conv_fixtures(out):
    torch.manual_seed(4321)
    for name, (n, cin, cout, h, w) in CONV_CASES.items():
        x = torch.randn(n, cin, h, w)
        wt = torch.randn(cout, cin, 3, 3) / 3.0
        dy = torch.randn(n, cout, h, w)
        x64 = x.double().requires_grad_(True)
        w64 = wt.double().requires_grad_(True)
        y = F.conv2d(x64, w64, stride=1, padding=1)
        y.backward(dy.double())
        for key, arr in (("x", x), ("w", wt), ("dy", dy), ("y", y.detach()),
                         ("dx", x64.grad), ("dw", w64.grad)):
            np.save(os.path.join(out, "conv_%s_%s.npy" % (name, key)),
                    np.ascontiguousarray(arr.numpy(), dtype=np.float32))
    print("wrote conv fixtures", ", ".join(CONV_CASES), "to", out)


def main():
    args = sys.argv[1:]
    conv_only = "--conv-only" in args
    args = [a for a in args if a != "--conv-only"]
    out = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "model")
    os.makedirs(out, exist_ok=True)
    if conv_only:
        conv_fixtures(out)
        return
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    net = PreActResNet18(IN_CH, CLASSES, WIDTH)
    init_state = {k: v.clone() for k, v in net.state_dict().items()}
    xs = torch.randn(3, N, IN_CH, H, W)
    ys = torch.softmax(2.0 * torch.randn(3, N, CLASSES), dim=-1)

    def save(name, arr):
        np.save(os.path.join(out, name), np.ascontiguousarray(arr, dtype=np.float32))

    save("params.npy", flat_params(net))
    save("x.npy", xs.numpy())
    save("y.npy", ys.numpy())

    net.train()
    logits = net(xs[0])
    loss = soft_ce(logits, ys[0])
    loss.backward()
    save("logits.npy", logits.detach().numpy())
    save("loss.npy", np.array([loss.item()]))
    save("grads.npy", flat_params(net, grad=True))
    save("bn_stats.npy", flat_bn(net))
    net.eval()
    with torch.no_grad():
        save("eval_logits.npy", net(xs[0]).numpy())

    net.load_state_dict(init_state)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    for step in range(3):
        opt.zero_grad()
        soft_ce(net(xs[step]), ys[step]).backward()
        opt.step()
    save("params_sgd3.npy", flat_params(net))
    save("momentum_sgd3.npy", torch.cat([opt.state[p]["momentum_buffer"].reshape(-1)
                                         for p in net.parameters()]).numpy())
    save("bn_stats_sgd3.npy", flat_bn(net))

    # LR schedules on a dummy optimiser, base lr 0.05.
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)
    lrs = []
    for _ in range(11):
        lrs.append(o.param_groups[0]["lr"])
        o.step()
        sched.step()
    save("lr_cosine.npy", np.array(lrs))
    o = torch.optim.SGD([p], lr=0.05)
    warm = torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0 / 3, end_factor=1.0, total_iters=2)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7)
    seq = torch.optim.lr_scheduler.SequentialLR(o, [warm, cos], milestones=[3])
    lrs = []
    for _ in range(10):
        lrs.append(o.param_groups[0]["lr"])
        o.step()
        seq.step()
    save("lr_warmup.npy", np.array(lrs))
    save("config.npy", np.array([IN_CH, CLASSES, WIDTH, H, W, N, LR * 1e6]))
    conv_fixtures(out)
    print("wrote", out, "params:", flat_params(net).size, "loss:", loss.item())
    print("lr_warmup", lrs)


if __name__ == "__main__":
    main()
