# Generates optim/testdata/optim.json: PyTorch's SGD, Adam and AdamW on a fixed quadratic,
# parameters after each of 12 steps, for optim's tests to compare against.
# Run from the repository root: /usr/bin/python3 optim/testdata/gen_optim.py
import json, os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 12

def problem():
    # Two parameters (a matrix, which weight decay reaches, and a vector, which the "no
    # decay" cases exempt) and the gradient of sum(a * (w - c)^2 / 2), set directly so both
    # sides compute it identically in float32: g = (w - c) * a.
    w = [np.linspace(-1, 1, 12).reshape(3, 4), np.array([0.5, -0.25, 2.0, -3.0, 0.0])]
    a = [np.linspace(0.1, 3, 12).reshape(3, 4), np.array([1.0, 0.01, 5.0, 0.5, 2.0])]
    c = [np.full((3, 4), 0.3), np.array([-1.0, 1.0, 0.0, 0.5, 0.25])]
    f = lambda xs: [torch.tensor(x, dtype=torch.float32) for x in xs]
    return f(w), f(a), f(c)

cases = [
    ("sgd", {"lr": 0.1}, {}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, {}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}, {}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weight_decay": 1e-2}, {}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}, {"no_decay_1d": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}, {"lr_decay": 0.8}),
    ("adam", {"lr": 0.01}, {}),
    ("adam", {"lr": 0.05, "weight_decay": 1e-2}, {}),
    ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}, {"lr_decay": 0.9}),
    ("adamw", {"lr": 0.01, "weight_decay": 1e-2}, {}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}, {"no_decay_1d": True}),
    ("adamw", {"lr": 0.03, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.5}, {"lr_decay": 0.85}),
]
out = []
for kind, hyper, extra in cases:
    w, a, c = problem()
    ps = [torch.nn.Parameter(x) for x in w]
    opt_cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    h = dict(hyper)
    if kind != "sgd":
        h["foreach"] = False
    if extra.get("no_decay_1d"):
        wd = h.pop("weight_decay")
        opt = opt_cls([{"params": [ps[0]], "weight_decay": wd}, {"params": [ps[1]], "weight_decay": 0.0}], **h)
    else:
        if kind == "adamw" and "weight_decay" not in h:
            h["weight_decay"] = 0.0
        opt = opt_cls(ps, **h)
    trace, lrs = [], []
    for k in range(STEPS):
        lr = hyper["lr"] * extra.get("lr_decay", 1.0) ** k
        for g in opt.param_groups:
            g["lr"] = lr
        for p, ai, ci in zip(ps, a, c):
            p.grad = (p.detach() - ci) * ai
        opt.step()
        lrs.append(lr)
        trace.append([p.detach().flatten().tolist() for p in ps])
    out.append({"kind": kind, "hyper": {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()},
                "no_decay_1d": bool(extra.get("no_decay_1d")), "lrs": lrs, "trace": trace})
problem_spec = {k: [x.flatten().tolist() for x in v] for k, v in zip(("w", "a", "c"), problem())}
with open(os.path.join(HERE, "optim.json"), "w") as f:
    json.dump({"torch": torch.__version__, "problem": problem_spec, "cases": out}, f)
print("wrote optim.json")
