#!/usr/bin/python3
"""Writes torch_ops.json: PyTorch 1.13's outputs and input gradients for
small cases of the structural ops, so that robustlab's ops are checked against
PyTorch itself (semantics: padding, bins, running statistics), not only
against our own float64 references.

Each case holds its inputs, the output, r (a fixed cotangent) and the
gradients of sum(r * output) with respect to every input. Rerun with
/usr/bin/python3 autograd/testdata/torch_ops.py from the repository root.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(name, fn, inputs, extra=None):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(*xs)
    r = torch.rand(y.shape) * 2 - 1
    (y * r).sum().backward()
    c = {
        "name": name,
        "inputs": [{"shape": list(x.shape), "data": flat(x)} for x in xs],
        "output": {"shape": list(y.shape), "data": flat(y)},
        "r": flat(r),
        "grads": [flat(x.grad) for x in xs],
    }
    if extra:
        c.update(extra)
    return c


def rnd(*shape):
    return torch.rand(shape) * 2 - 1


cases = []
cases.append(case("conv2d s2 p1 d1 g1 bias",
                  lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
                  [rnd(2, 3, 7, 6), rnd(4, 3, 3, 3), rnd(4)],
                  {"stride": [2, 2], "padding": [1, 1], "dilation": [1, 1], "groups": 1}))
cases.append(case("conv2d s(1,2) p(2,0) d(2,1) g2",
                  lambda x, w: F.conv2d(x, w, None, stride=(1, 2), padding=(2, 0), dilation=(2, 1), groups=2),
                  [rnd(2, 4, 6, 7), rnd(6, 2, 3, 2)],
                  {"stride": [1, 2], "padding": [2, 0], "dilation": [2, 1], "groups": 2}))
cases.append(case("conv2d depthwise",
                  lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3),
                  [rnd(2, 3, 5, 5), rnd(3, 1, 3, 3), rnd(3)],
                  {"stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 3}))

# Batch norm in training mode: the output, gradients and the updated running
# statistics (momentum 0.1, unbiased variance).
x = rnd(3, 2, 4, 3) * 3 + 1
rm, rv = torch.rand(2), torch.rand(2) + 0.5
rm0, rv0 = rm.clone(), rv.clone()
c = case("batchnorm train",
         lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5),
         [x, torch.rand(2) + 0.5, rnd(2)],
         {"running_in": [flat(rm0), flat(rv0)]})
c["running_out"] = [flat(rm), flat(rv)]  # after the forward has updated them
cases.append(c)
cases.append(case("batchnorm eval",
                  lambda x, g, b: F.batch_norm(x, rm0, rv0, g, b, training=False, eps=1e-5),
                  [rnd(2, 2, 3, 3), torch.rand(2) + 0.5, rnd(2)],
                  {"running_in": [flat(rm0), flat(rv0)]}))

# Max pool inputs: a permutation, so no window has a tie.
perm = torch.randperm(2 * 2 * 7 * 6).double().reshape(2, 2, 7, 6) / 84 - 1
cases.append(case("maxpool k3 s2 p1", lambda x: F.max_pool2d(x, 3, 2, 1), [perm],
                  {"pool": [3, 2, 1]}))
cases.append(case("avgpool k3 s2 p1", lambda x: F.avg_pool2d(x, 3, 2, 1), [rnd(2, 2, 7, 6)],
                  {"pool": [3, 2, 1]}))
cases.append(case("adaptive 7x5 to 3x2", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [rnd(2, 2, 7, 5)],
                  {"out": [3, 2]}))
cases.append(case("reflect pad (1,2,2,1)", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [rnd(1, 2, 4, 5)],
                  {"pad": [1, 2, 2, 1]}))
cases.append(case("upsample nearest x2", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
                  [rnd(1, 2, 3, 2)], {"scale": 2}))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_ops.json")
tmp = out + ".tmp"
with open(tmp, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
os.replace(tmp, out)
