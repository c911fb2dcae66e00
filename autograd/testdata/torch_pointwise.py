"""Writes torch_pointwise.json: PyTorch's values and gradients for the autograd
operations whose conventions robustlab copies (label smoothing, kl_div's
batchmean and zero targets, norm subgradients at ties and at zero, softplus
beta, AdaIN statistics, clamp/abs/relu at their kinks), for the parity test
in torch_pointwise_test.go.

Run from this directory with Debian's python3 and torch 1.13:
    /usr/bin/python3 torch_pointwise.py
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(0)
cases = []


def flat(t):
    """t's values as a list, NaN written as null (JSON has no NaN)."""
    return [None if v != v else float(v) for v in t.detach().reshape(-1).tolist()]


def f32(t):
    """The float64 tensor holding t's values rounded to float32, so that
    robustlab's float32 operations see exactly the inputs torch saw."""
    return t.detach().float().double()


def unary(op, fn, x, **params):
    x = f32(x).requires_grad_(True)
    y = fn(x)
    g = f32(torch.randn(y.shape))
    y.backward(g)
    cases.append(dict(op=op, shape=list(x.shape), x=flat(x), g=flat(g), y=flat(y), dx=flat(x.grad), **params))


kinks = torch.tensor([-1.5, -0.5, 0.0, 0.5, 1.5, 3.0])
unary("clamp", lambda x: x.clamp(-0.5, 0.5), kinks, lo=-0.5, hi=0.5)
unary("abs", torch.abs, kinks)
unary("relu", torch.relu, kinks)
unary("leaky_relu", lambda x: F.leaky_relu(x, 0.1), kinks, slope=0.1)
unary("sigmoid", torch.sigmoid, torch.tensor([-50.0, -3, 0, 2, 40]))
unary("tanh", torch.tanh, torch.tensor([-20.0, -0.3, 0, 1e-3, 5]))
unary("softplus", lambda x: F.softplus(x, beta=2.0), torch.tensor([-40.0, -2, 0, 0.5, 9.0, 11.0, 30]), beta=2.0)
unary("log_softmax", lambda x: F.log_softmax(x, dim=-1), torch.randn(3, 5) * 4)
unary("softmax", lambda x: F.softmax(x, dim=-1), torch.randn(2, 2, 4) * 4)

# Per-example norms: ties in the Linf norm, an all-zero example in both.
nx = torch.tensor([[3.0, -3, 1, 3], [0.5, -2, 2, 0], [0, 0, 0, 0]])
unary("linf", lambda x: torch.linalg.vector_norm(x.flatten(1), ord=float("inf"), dim=1), nx)
unary("l2", lambda x: torch.linalg.vector_norm(x.flatten(1), ord=2, dim=1), nx)

for s in (0.0, 0.1, 0.3):
    x = f32(torch.randn(4, 5) * 3).requires_grad_(True)
    labels = torch.tensor([0, 4, 2, 2])
    y = F.cross_entropy(x, labels, label_smoothing=s)
    y.backward()
    cases.append(dict(op="cross_entropy", shape=[4, 5], x=flat(x), labels=labels.tolist(),
                      smoothing=s, y=[float(y)], dx=flat(x.grad)))

logq = f32(F.log_softmax(torch.randn(3, 4), dim=1)).requires_grad_(True)
p = f32(F.softmax(torch.randn(3, 4), dim=1))
p[0, 1] = 0.0
p[2, 3] = 0.0
p.requires_grad_(True)
y = F.kl_div(logq, p, reduction="batchmean")
y.backward()
cases.append(dict(op="kl_div", shape=[3, 4], x=flat(logq), p=flat(p), y=[float(y)],
                  dx=flat(logq.grad), dp=flat(p.grad)))

# AdaIN statistics as PyTorch AdaIN code computes them: var over space
# (unbiased) plus eps, square root.
x = f32(torch.randn(2, 3, 3, 4) + 1).requires_grad_(True)
eps = 1e-5
flatx = x.view(2, 3, -1)
mean = flatx.mean(dim=2)
std = (flatx.var(dim=2) + eps).sqrt()
gm, gs = f32(torch.randn(2, 3)), f32(torch.randn(2, 3))
((mean * gm).sum() + (std * gs).sum()).backward()
cases.append(dict(op="channel_mean_std", shape=[2, 3, 3, 4], x=flat(x), eps=eps,
                  g=flat(gm), gstd=flat(gs), y=flat(mean), std=flat(std), dx=flat(x.grad)))

with open("torch_pointwise.json", "w") as f:
    f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
