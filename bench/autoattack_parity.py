#!/usr/bin/python3
"""AutoAttack parity: the reference AutoAttack (Croce & Hein 2020, the public code of
fra31/auto-attack, which this script does not ship: point PYTHONPATH at a checkout) on a
robustlab-trained model, rebuilt in PyTorch from its safetensors file (PyTorch's parameter
names), and the same images robustlab attacks (written by bench/dumpimages), then the
comparison with robustlab's per-example results (eval_examples.csv of
`robustlab eval --attacks autoattack --out DIR`).

  ref:      /usr/bin/python3 bench/autoattack_parity.py ref --model M.safetensors \
                --images DIR --eps 8/255 [--norm Linf|L2] [--version standard|plus] \
                [--threads 2] --out ref.json
  compare:  /usr/bin/python3 bench/autoattack_parity.py compare --ref ref.json \
                --robustlab DIR/eval_examples.csv [--suite autoattack] [--markdown]

`ref` records, per example, whether the model classifies the clean image correctly and
whether it is still robust after each of AutoAttack's stages (the robust flags AutoAttack
keeps, snapshotted after every attack), with each stage's time. `compare` prints, per
stage, both robust accuracies and the per-example agreement: examples both call robust,
both fooled, and the two kinds of disagreement. bench/autoattack_parity.sh runs it all.
Only the architectures below are rebuilt (smallcnn, madry-mnist); add one here to compare
another.
"""
import argparse
import csv
import json
import struct
import sys
import time
from fractions import Fraction

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    """Tensors and robustlab's metadata of a safetensors file (the format: an 8-byte
    little-endian header length, a JSON header, raw little-endian tensor data)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    meta = json.loads(header.pop("__metadata__", {}).get("robustlab", "{}"))
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {t['dtype']}, this script reads F32 only")
        a, b = t["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(blob[a:b], dtype="<f4").copy().reshape(t["shape"]))
    return tensors, meta


class Normalize(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.register_buffer("mean", torch.zeros(c))
        s.register_buffer("std", torch.ones(c))

    def forward(s, x):
        return (x - s.mean.view(1, -1, 1, 1)) / s.std.view(1, -1, 1, 1)


class SmallCNN(nn.Module):
    """robustlab's smallcnn (models/smallcnn.go): three conv3x3 (no bias)-BN-ReLU stages of
    w, 2w, 4w channels, 2x2 max pooling after the first two, global average pooling, fc."""

    def __init__(s, c, w, k):
        super().__init__()
        s.normalize = Normalize(c)

        def stage(i, o, pool):
            layers = [nn.Conv2d(i, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
            return nn.Sequential(*(layers + ([nn.MaxPool2d(2, 2)] if pool else [])))

        s.layer1, s.layer2, s.layer3 = stage(c, w, True), stage(w, 2 * w, True), stage(2 * w, 4 * w, False)
        s.fc = nn.Linear(4 * w, k)

    def forward(s, x):
        x = s.layer3(s.layer2(s.layer1(s.normalize(x))))
        return s.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class MadryMNIST(nn.Module):
    """robustlab's madry-mnist (Madry et al. 2018's MNIST CNN)."""

    def __init__(s, c, k):
        super().__init__()
        s.normalize = Normalize(c)
        s.conv1 = nn.Conv2d(c, 32, 5, padding=2)
        s.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        s.fc1 = nn.Linear(7 * 7 * 64, 1024)
        s.fc2 = nn.Linear(1024, k)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(s.normalize(x))), 2)
        x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc2(F.relu(s.fc1(x.flatten(1))))


def load_model(path):
    tensors, meta = read_safetensors(path)
    o = meta.get("options", {})
    c, k = o.get("in_channels", 3), o.get("classes", 10)
    if meta.get("arch") == "smallcnn":
        model = SmallCNN(c, o.get("width") or 32, k)
    elif meta.get("arch") == "madry-mnist":
        model = MadryMNIST(c, k)
    else:
        sys.exit(f"{path}: architecture {meta.get('arch')!r} is not rebuilt by this script (smallcnn, madry-mnist)")
    state = model.state_dict()
    for name, t in tensors.items():
        if name not in state:
            sys.exit(f"{path}: tensor {name} has no place in the PyTorch {meta['arch']}")
        if name.endswith("num_batches_tracked"):
            t = t.long()
        if tuple(state[name].shape) != tuple(t.shape):
            sys.exit(f"{path}: {name} is {tuple(t.shape)}, PyTorch wants {tuple(state[name].shape)}")
        state[name] = t
    missing = set(model.state_dict()) - set(tensors)
    if missing:
        sys.exit(f"{path}: no tensors for {sorted(missing)}")
    model.load_state_dict(state)
    return model.eval(), meta


def run_reference(a):
    from autoattack import AutoAttack  # from the checkout on PYTHONPATH
    from autoattack.state import EvaluationState

    torch.set_num_threads(a.threads)
    model, meta = load_model(a.model)
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.from_numpy(np.load(f"{a.images}/images.npy"))
    y = torch.from_numpy(np.load(f"{a.images}/labels.npy"))
    eps = float(Fraction(a.eps))
    with torch.no_grad():
        clean = (model(x).argmax(1) == y).tolist()
    stages, times = {}, {}
    started = [time.perf_counter()]
    orig = EvaluationState.add_run_attack

    def snapshot(state, attack):  # AutoAttack calls this after every attack
        stages[attack] = state.robust_flags.clone().tolist()
        now = time.perf_counter()
        times[attack] = now - started[0]
        started[0] = now
        orig(state, attack)

    EvaluationState.add_run_attack = snapshot
    adversary = AutoAttack(model, norm=a.norm, eps=eps, version=a.version, device="cpu", seed=a.seed)
    t0 = time.perf_counter()
    started[0] = t0
    adversary.run_standard_evaluation(x, y, bs=a.batch)
    total = time.perf_counter() - t0
    out = {"model": a.model, "arch": meta.get("arch"), "norm": a.norm, "eps": eps, "version": a.version,
           "n": len(y), "seed": a.seed, "threads": torch.get_num_threads(), "torch": torch.__version__,
           "attacks": adversary.attacks_to_run, "clean": clean, "robust_after": stages,
           "stage_seconds": times, "seconds": total}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(json.dumps({k: out[k] for k in ("model", "norm", "eps", "version", "n", "seconds", "stage_seconds")}))


def compare(a):
    ref = json.load(open(a.ref))
    n = ref["n"]
    rows = {}
    with open(a.robustlab) as f:
        for r in csv.DictReader(f):
            if abs(float(r["eps"]) - ref["eps"]) < 1e-9:
                rows.setdefault(r["attack"], {})[int(r["index"])] = r
    first = next(iter(rows.values()))
    if sorted(first) != list(range(n)):
        sys.exit(f"{a.robustlab}: examples {min(first)}..{max(first)} ({len(first)}), the reference has 0..{n - 1}")
    rl_clean = [first[i]["clean_pred"] == first[i]["label"] for i in range(n)]
    lines = []
    head = "| stage | reference robust | robustlab robust | both robust | both fooled | only reference robust | only robustlab robust |"
    lines += [head, "|---|---:|---:|---:|---:|---:|---:|"]

    def line(name, ref_flags, rl_flags):
        both = sum(r and l for r, l in zip(ref_flags, rl_flags))
        none = sum(not r and not l for r, l in zip(ref_flags, rl_flags))
        only_ref = sum(r and not l for r, l in zip(ref_flags, rl_flags))
        only_rl = sum(l and not r for r, l in zip(ref_flags, rl_flags))
        lines.append(f"| {name} | {100 * sum(ref_flags) / n:.1f}% | {100 * sum(rl_flags) / n:.1f}% | {both} | {none} | {only_ref} | {only_rl} |")

    line("clean", ref["clean"], rl_clean)
    for attack in ref["attacks"]:
        label = f"{a.suite}/{attack}"
        if label not in rows:
            sys.exit(f"{a.robustlab}: no rows for {label} (stages: {sorted(rows)})")
        line(attack, ref["robust_after"][attack], [rows[label][i]["correct"] == "true" for i in range(n)])
    print("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("ref")
    r.add_argument("--model", required=True)
    r.add_argument("--images", required=True)
    r.add_argument("--eps", default="8/255")
    r.add_argument("--norm", default="Linf", choices=["Linf", "L2"])
    r.add_argument("--version", default="standard", choices=["standard", "plus"])
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--batch", type=int, default=250)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--ref", required=True)
    c.add_argument("--robustlab", required=True)
    c.add_argument("--suite", default="autoattack")
    a = p.parse_args()
    run_reference(a) if a.cmd == "ref" else compare(a)


if __name__ == "__main__":
    main()
