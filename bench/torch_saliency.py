#!/usr/bin/python3
"""PyTorch peer of `robustlab bench saliency`: Gradient and SmoothGrad maps per
second of a CIFAR ResNet-20 (He et al. 2016, option-A shortcuts, freshly
initialized, evaluation mode) on a batch of random 32x32 images, on CPU.

The loop is robustlab's: the gradient of each image's target logit with respect
to the input (torch.autograd.grad of their sum, so no weight gradients), and for
SmoothGrad the mean of that gradient over --samples noisy copies (noise std 15%
of each image's range), batch after batch. Gradient: the best of --reps timings
after a warm-up; SmoothGrad: one timing. Prints one JSON line:
  {"gradient_maps_per_s": .., "smoothgrad_maps_per_s": .., "torch": ..}
Usage: /usr/bin/python3 bench/torch_saliency.py [--batch 128] [--samples 25] [--reps 3] [--threads 2]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        # Option A: subsample and pad channels with zeros where the shape changes.
        self.pad = (planes - cin) // 2 if stride != 1 or cin != planes else None
        self.stride = stride

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x
        if self.pad is not None:
            sc = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + sc)


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, 3, 1, 1))
        self.register_buffer("std", torch.ones(1, 3, 1, 1))
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for j in range(3):
                blocks.append(Block(cin, planes, stride if j == 0 else 1))
                cin = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = (x - self.mean) / self.std
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


def input_gradient(model, x, targets):
    x = x.detach().requires_grad_(True)
    out = model(x)
    return torch.autograd.grad(out.gather(1, targets[:, None]).sum(), x)[0]


def gradient(model, x, targets):
    return input_gradient(model, x, targets)


def smoothgrad(model, x, targets, samples):
    sigma = 0.15 * (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3)))[:, None, None, None]
    acc = torch.zeros_like(x)
    for _ in range(samples):
        acc += input_gradient(model, x + sigma * torch.randn_like(x), targets)
    return acc / samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--samples", type=int, default=25)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = ResNet20().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(a.batch, 3, 32, 32)
    targets = torch.randint(0, 10, (a.batch,))

    def rate(f):
        start = time.perf_counter()
        f()
        return a.batch / (time.perf_counter() - start)

    rate(lambda: gradient(model, x, targets))
    g = max(rate(lambda: gradient(model, x, targets)) for _ in range(a.reps))
    sg = rate(lambda: smoothgrad(model, x, targets, a.samples))
    print(json.dumps({"gradient_maps_per_s": g, "smoothgrad_maps_per_s": sg, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
