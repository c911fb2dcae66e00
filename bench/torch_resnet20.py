#!/usr/bin/python3
"""PyTorch peer for `robustlab bench train`: CIFAR ResNet-20 (He et al. 2016)
with projection shortcuts (option B), batch 128, random 32x32 inputs.

Times, as robustlab measures itself: a training step (forward, backward, SGD
with momentum), an input-gradient step (model in eval mode; the cost of one
attack or saliency step), and inference; each is 3 warm-up iterations then 10
timed ones. Prints one JSON line with train_img_s, input_grad_img_s,
inference_img_s and train_peak_rss_mb (the process's peak resident memory
after the training phase, from getrusage).

Usage: /usr/bin/python3 bench/torch_resnet20.py [threads]   (Debian python3-torch)
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F



class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, n=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def rate(step, batch, warm=3, timed=10):
    for _ in range(warm):
        step()
    t = time.perf_counter()
    for _ in range(timed):
        step()
    return batch * timed / (time.perf_counter() - t)


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    torch.manual_seed(0)
    model, B = ResNet20(), 128
    x, y = torch.rand(B, 3, 32, 32), torch.randint(0, 10, (B,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    train = rate(train_step, B)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model.eval()

    def input_grad_step():
        xa = x.clone().requires_grad_(True)
        torch.autograd.grad(F.cross_entropy(model(xa), y), xa)

    grad = rate(input_grad_step, B)
    with torch.no_grad():
        inf = rate(lambda: model(x), B)
    print(json.dumps({"peer": "pytorch " + torch.__version__, "model": "resnet20", "batch": B,
                      "threads": torch.get_num_threads(), "train_img_s": round(train, 1),
                      "input_grad_img_s": round(grad, 1), "inference_img_s": round(inf, 1),
                      "train_peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    main()
