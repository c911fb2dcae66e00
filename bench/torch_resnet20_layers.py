#!/usr/bin/python3
"""Peer timings for robustlab's BenchmarkConv2d and BenchmarkBatchNorm2d
(autograd): PyTorch CPU on the CIFAR ResNet-20 layer shapes, batch 128.

One JSON line per case, named like the Go sub-benchmarks, with the median
and min-max milliseconds of 7 timings (after a warm-up) and images per
second at the median:
  conv: forward (no grad), train (input and weight gradients), inputgrad
  (input gradient only, as an attack step);
  batchnorm: train (forward and backward, all gradients), eval (forward).
Compare with the Go benchmark in the same session, alternating, e.g.
  go test ./autograd -run X -bench 'Conv2d|BatchNorm2d' -benchtime 10x
  /usr/bin/python3 bench/torch_resnet20_layers.py [threads]
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
N = 128


def timeit(f, reps):
    f()
    ts = []
    for _ in range(7):
        s = time.perf_counter()
        for _ in range(reps):
            f()
        ts.append((time.perf_counter() - s) / reps * 1e3)
    return statistics.median(ts), min(ts), max(ts)


def report(name, f, reps=3):
    med, lo, hi = timeit(f, reps)
    print(json.dumps({"peer": "pytorch " + torch.__version__, "case": name, "ms": round(med, 3),
                      "min_ms": round(lo, 3), "max_ms": round(hi, 3), "img_s": round(N / med * 1e3)}))


convs = [("stem3to16@32", 3, 32, 16, 1), ("16to16@32", 16, 32, 16, 1), ("16to32s2@32", 16, 32, 32, 2),
         ("32to32@16", 32, 16, 32, 1), ("32to64s2@16", 32, 16, 64, 2), ("64to64@8", 64, 8, 64, 1)]
for name, cin, h, cout, s in convs:
    x = torch.rand(N, cin, h, h) * 2 - 1
    w = torch.rand(cout, cin, 3, 3) * 2 - 1
    dy = torch.rand_like(F.conv2d(x, w, None, s, 1)) * 2 - 1

    def forward():
        with torch.no_grad():
            F.conv2d(x, w, None, s, 1)

    def train():
        xv, wv = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        torch.autograd.grad(F.conv2d(xv, wv, None, s, 1), (xv, wv), dy)

    def inputgrad():
        xv = x.clone().requires_grad_(True)
        torch.autograd.grad(F.conv2d(xv, w, None, s, 1), (xv,), dy)

    report(name + "/forward", forward)
    report(name + "/train", train)
    report(name + "/inputgrad", inputgrad)

for c, h in [(16, 32), (32, 16), (64, 8)]:
    x = torch.rand(N, c, h, h) * 2 - 1
    g, b = torch.rand(c) + 0.5, torch.rand(c) * 2 - 1
    rm, rv = torch.zeros(c), torch.ones(c)
    dy = torch.rand_like(x) * 2 - 1

    def train():
        xv, gv, bv = (t.clone().requires_grad_(True) for t in (x, g, b))
        torch.autograd.grad(F.batch_norm(xv, rm, rv, gv, bv, training=True), (xv, gv, bv), dy)

    def evaluate():
        with torch.no_grad():
            F.batch_norm(x, rm, rv, g, b, training=False)

    report(f"{c}x{h}x{h}/train", train)
    report(f"{c}x{h}x{h}/eval", evaluate)
