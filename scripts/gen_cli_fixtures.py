#!/usr/bin/python3
"""Reference fixtures for src/train (the shared training loop), made with PyTorch 1.13.

Run with /usr/bin/python3 (Debian python3-torch):
    /usr/bin/python3 scripts/gen_cli_fixtures.py [outdir]      (default tests/fixtures/cli)

The loop is checked end to end against the plain PyTorch recipe: PreAct-ResNet18 (the
reference module of scripts/gen_model_fixtures.py) at width 4 on 6 items of 1x8x10 with 5
classes, batch 3 (2 steps per epoch), 2 epochs, items in order, no mixing, no augmentation;
SGD(lr 0.05, momentum 0.9, weight decay 5e-4) with CosineAnnealingLR(T_max=4) stepped
every iteration, loss F.cross_entropy against one-hot targets. Files (float32 .npy):
  loop_x.npy         (6, 1, 8, 10) inputs
  loop_labels.npy    (6,) class indices
  loop_params0.npy   initial parameters (named_parameters order)
  loop_params.npy    parameters after the 4 steps
  loop_bn.npy        BN running statistics after the 4 steps
  loop_lr.npy        lr used at each of the 4 steps
  loop_eval_pred.npy eval-mode predicted class of each item with the final model
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import PreActResNet18, flat_bn, flat_params  # noqa: E402

N, C, H, W, K, WIDTH, BATCH, EPOCHS = 6, 1, 8, 10, 5, 4, 3, 2
LR, MOMENTUM, WD = 0.05, 0.9, 5e-4


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "cli")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20240)
    torch.set_num_threads(1)
    net = PreActResNet18(C, K, WIDTH)
    x = torch.randn(N, C, H, W)
    labels = torch.tensor([0, 1, 2, 3, 4, 1])

    def save(name, arr):
        np.save(os.path.join(out, name), np.ascontiguousarray(arr, dtype=np.float32))

    save("loop_x.npy", x.numpy())
    save("loop_labels.npy", labels.numpy())
    save("loop_params0.npy", flat_params(net))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    steps = EPOCHS * (N // BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    lrs = []
    net.train()
    for epoch in range(EPOCHS):
        for s in range(N // BATCH):
            xb, yb = x[s * BATCH:(s + 1) * BATCH], labels[s * BATCH:(s + 1) * BATCH]
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            F.cross_entropy(net(xb), F.one_hot(yb, K).float()).backward()
            opt.step()
            sched.step()
    save("loop_params.npy", flat_params(net))
    save("loop_bn.npy", flat_bn(net))
    save("loop_lr.npy", np.array(lrs))
    net.eval()
    with torch.no_grad():
        save("loop_eval_pred.npy", net(x).argmax(1).numpy())
    print("wrote", out, "lrs", lrs)


if __name__ == "__main__":
    main()
