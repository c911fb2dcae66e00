#!/usr/bin/python3
"""PyTorch peer of `robustlab bench attack`: PGD on CIFAR ResNet-20 (He et al. 2016,
shortcut option A as robustlab's resnet20), batch 128, random 32x32 images in [0,1],
the model in evaluation mode. The loop is the usual PyTorch PGD (Madry et al. 2018):
per step the input gradient of the cross-entropy, a signed step of 2.5*eps/steps,
the projection onto [x-eps, x+eps] and [0,1].

Timed as robustlab times its side: one warm-up attack, then REPS attacks; prints one
JSON line {"peer":..,"pgd_steps_img_s":..} (images x steps per second).
Usage: /usr/bin/python3 bench/torch_pgd.py [threads] [steps] [batch] [reps]
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        s.bn1 = nn.BatchNorm2d(cout)
        s.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        s.bn2 = nn.BatchNorm2d(cout)
        s.pad = (cout - cin) // 2 if stride != 1 or cin != cout else None

    def forward(s, x):
        out = s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x)))))
        # Option A: subsample and pad channels with zeros, no parameters.
        sc = x if s.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, s.pad, s.pad))
        return F.relu(out + sc)


class ResNet20(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        s.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        s.layers = nn.Sequential(*layers)
        s.linear = nn.Linear(64, 10)

    def forward(s, x):
        x = (x - 0.5) / 0.25  # normalization inside the model, as robustlab's
        out = s.layers(F.relu(s.bn1(s.conv1(x))))
        return s.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def pgd(model, x, y, eps, steps):
    alpha = 2.5 * eps / steps
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(model(adv), y), adv)
        with torch.no_grad():
            adv = torch.min(torch.max(adv + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
    return adv.detach()


model = ResNet20().eval()
for p in model.parameters():
    p.requires_grad_(False)  # an attack needs the input gradient only
x = torch.rand(batch, 3, 32, 32)
y = torch.randint(0, 10, (batch,))
pgd(model, x, y, 8 / 255, steps)
t = time.perf_counter()
for _ in range(reps):
    pgd(model, x, y, 8 / 255, steps)
rate = batch * steps * reps / (time.perf_counter() - t)
print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": torch.get_num_threads(), "batch": batch,
                  "steps": steps, "pgd_steps_img_s": round(rate, 1)}))
