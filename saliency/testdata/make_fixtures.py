#!/usr/bin/python3
"""Fixtures for package saliency's tests, computed by numpy and PyTorch in float64:

  bilinear   torch.nn.functional.interpolate(mode="bilinear", align_corners=False),
             the upsampling GradCAM maps go through;
  blur       torchvision's gaussian_blur with kernel size 2*ceil(3 sigma)+1 (reflect
             padding), the Blur baseline;
  percentile numpy.percentile of |v| (linear interpolation), the clipping scale;
  legendre   numpy.polynomial.legendre.leggauss, mapped to [0,1], IG's default rule.

Run from the repository root: /usr/bin/python3 saliency/testdata/make_fixtures.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

rng = np.random.default_rng(20240601)
out = {"bilinear": [], "blur": [], "percentile": [], "legendre": []}

for ih, iw, oh, ow in [(4, 4, 8, 8), (3, 5, 7, 9), (8, 8, 32, 32), (2, 3, 2, 3), (7, 7, 32, 32)]:
    x = rng.standard_normal((ih, iw))
    y = F.interpolate(torch.from_numpy(x)[None, None], size=(oh, ow), mode="bilinear", align_corners=False)[0, 0]
    out["bilinear"].append({"ih": ih, "iw": iw, "oh": oh, "ow": ow, "in": x.ravel().tolist(), "out": y.numpy().ravel().tolist()})

for c, h, w, sigma in [(3, 10, 12, 1.3), (1, 16, 16, 2.0), (3, 32, 32, 4.0), (2, 9, 7, 0.8)]:
    x = rng.random((c, h, w))
    k = 2 * math.ceil(3 * sigma) + 1
    y = TF.gaussian_blur(torch.from_numpy(x), [k, k], [sigma, sigma])
    out["blur"].append({"c": c, "h": h, "w": w, "sigma": sigma, "in": x.ravel().tolist(), "out": y.numpy().ravel().tolist()})

for n in [1, 2, 10, 101]:
    v = rng.standard_normal(n).astype(np.float32)
    ps = [0, 1, 50, 97.5, 99, 100]
    out["percentile"].append({"values": v.astype(float).tolist(), "p": ps,
                              "want": [float(np.percentile(np.abs(v.astype(np.float64)), p)) for p in ps]})

for n in [1, 2, 3, 8, 50, 64]:
    x, w = np.polynomial.legendre.leggauss(n)
    out["legendre"].append({"n": n, "alphas": ((x + 1) / 2).tolist(), "weights": (w / 2).tolist()})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
