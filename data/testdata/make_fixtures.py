"""Developer script: makes the parity fixtures of the data package's tests.

Run from this folder with Debian's python3 (torch, Pillow):
    /usr/bin/python3 make_fixtures.py
It writes resize_torch.json (PyTorch bilinear / adaptive-average resizes of a
fixed input) and tiny.webp (a 4x3 lossless WebP with known pixels).
"""
import json
import math

import torch
import torch.nn.functional as F
from PIL import Image


def ramp(c, h, w):
    # The same deterministic input the Go test builds.
    return [[[math.sin(0.37 * (ci * h * w + y * w + x)) * 0.5 + 0.5 for x in range(w)]
             for y in range(h)] for ci in range(c)]


cases = []
for (c, h, w) in [(2, 5, 7)]:
    x = torch.tensor([ramp(c, h, w)], dtype=torch.float64)
    for (oh, ow) in [(4, 9), (11, 3), (5, 7), (10, 14), (2, 3)]:
        y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
        cases.append({"method": "bilinear", "c": c, "h": h, "w": w, "oh": oh, "ow": ow,
                      "out": y.flatten().tolist()})
for (c, h, w, oh, ow) in [(2, 8, 6, 4, 3), (1, 6, 6, 2, 2), (2, 8, 6, 8, 6)]:
    x = torch.tensor([ramp(c, h, w)], dtype=torch.float64)
    # For integer factors the exact-coverage area resize equals average
    # pooling, which is what adaptive_avg_pool2d computes there.
    y = F.adaptive_avg_pool2d(x, (oh, ow))
    cases.append({"method": "area", "c": c, "h": h, "w": w, "oh": oh, "ow": ow,
                  "out": y.flatten().tolist()})
with open("resize_torch.json", "w") as f:
    json.dump(cases, f)

# 4x3 RGB with distinct colours, stored losslessly.
img = Image.new("RGB", (4, 3))
for y in range(3):
    for x in range(4):
        img.putpixel((x, y), (x * 60, y * 100, 255 - x * 20 - y * 30))
img.save("tiny.webp", lossless=True)
