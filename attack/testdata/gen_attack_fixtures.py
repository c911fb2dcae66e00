# Generates attack_fixtures.json, the PyTorch side of attack's parity test
# (TestParityWithPyTorch): FGSM and PGD from a fixed start, Linf and L2, untargeted
# and targeted, on two fixed models whose weights both sides compute from a formula
# (internal/fixture/formula.py, as models/testdata/gen_fixtures.py, so no weights are stored):
#   smooth       a small conv net with batch norm (in evaluation mode), tanh, average
#                pooling and softplus on 3x8x8 images with its own input normalization;
#   madry-mnist  Madry et al.'s MNIST CNN (ReLU, max pooling) on 1x28x28 images;
#   wong-mnist   Wong et al. 2020's small MNIST CNN (stride-2 4x4 convolutions, no
#                normalization) on 1x28x28 images.
# The attacks are written here from the papers (Goodfellow et al. 2015, eq. 3; Madry et
# al. 2018, eq. 2) the way PyTorch code usually writes them: sign of the input gradient
# of the summed cross-entropy, clamp to [x-eps, x+eps] then to [0,1]; L2 steps along
# grad/||grad|| and a rescale of the perturbation to length eps. The expected images are
# computed in float64; PyTorch's own float32 result must agree with them to 1e-6 (else
# the case is too close to a gradient sign flip to be a fair test, and the script stops).
# Run from the repository root: /usr/bin/python3 attack/testdata/gen_attack_fixtures.py
import base64, copy, json, math, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "internal", "fixture"))
from formula import uniform, set_formula  # noqa: E402


class Smooth(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        s.bn1 = nn.BatchNorm2d(6)
        s.conv2 = nn.Conv2d(6, 8, 3, padding=1)
        s.fc = nn.Linear(8 * 4 * 4, 10)
        s.mean, s.std = [0.4914, 0.4822, 0.4465], [0.2471, 0.2435, 0.2616]

    def forward(s, x):
        x = (x - torch.tensor(s.mean, dtype=x.dtype).view(1, -1, 1, 1)) / torch.tensor(s.std, dtype=x.dtype).view(1, -1, 1, 1)
        x = F.avg_pool2d(torch.tanh(s.bn1(s.conv1(x))), 2)
        return s.fc(F.softplus(s.conv2(x)).flatten(1))


class MadryMNIST(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        s.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        s.fc1 = nn.Linear(7 * 7 * 64, 1024)
        s.fc2 = nn.Linear(1024, 10)
        s.mean, s.std = [0.1307], [0.3081]

    def forward(s, x):
        x = (x - s.mean[0]) / s.std[0]
        x = F.max_pool2d(F.relu(s.conv1(x)), 2)
        x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc2(F.relu(s.fc1(x.flatten(1))))


class WongMNIST(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 16, 4, stride=2, padding=1)
        s.conv2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)
        s.fc1 = nn.Linear(7 * 7 * 32, 100)
        s.fc2 = nn.Linear(100, 10)

    def forward(s, x):
        x = F.relu(s.conv2(F.relu(s.conv1(x))))
        return s.fc2(F.relu(s.fc1(x.flatten(1))))


def project(adv, x, eps, norm):
    if norm == "linf":
        return torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    d = adv - x
    n = d.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    return (x + d * torch.clamp(eps / n, max=1)).clamp(0, 1)


def pgd(model, x, y, t, start, eps, alpha, steps, norm):
    adv = project(start.clone(), x, eps, norm)
    for _ in range(steps):
        adv.requires_grad_(True)
        z = model(adv)
        loss = F.cross_entropy(z, y, reduction="sum") if t is None else -F.cross_entropy(z, t, reduction="sum")
        g, = torch.autograd.grad(loss, adv)
        with torch.no_grad():
            if norm == "linf":
                adv = adv + alpha * g.sign()
            else:
                adv = adv + alpha * g / (g.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-10)
            adv = project(adv, x, eps, norm)
    return adv.detach()


def b64(t):
    return base64.b64encode(t.detach().numpy().astype("<f4").tobytes()).decode()


out = []
for name, model, shape, eps_inf, eps_2 in [("smooth", Smooth(), [4, 3, 8, 8], 8 / 255, 0.5),
                                           ("madry-mnist", MadryMNIST(), [2, 1, 28, 28], 0.3, 2.0),
                                           ("wong-mnist", WongMNIST(), [2, 1, 28, 28], 0.3, 2.0)]:
    set_formula(model)
    model.eval()
    m64 = copy.deepcopy(model).double()
    n = int(np.prod(shape))
    x64 = torch.from_numpy(np.clip(uniform(100, n) + (0.5 if name == "smooth" else 0.3), 0, 1).reshape(shape))
    x = x64.float()
    y = torch.arange(shape[0]) % 10
    t = (y + 3) % 10
    for case, norm, eps, steps, targeted, start_stream in [
            ("fgsm-linf", "linf", eps_inf, 1, False, None),
            ("pgd-linf", "linf", eps_inf, 10, False, 200),
            ("pgd-linf-targeted", "linf", eps_inf, 10, True, 201),
            ("pgd-l2", "l2", eps_2, 10, False, 202)]:
        alpha = eps if start_stream is None else eps / 4
        if start_stream is None:
            s64 = x64.clone()
        elif norm == "linf":
            s64 = x64 + eps * torch.from_numpy(uniform(start_stream, n).reshape(shape))
        else:
            s64 = x64 + eps / math.sqrt(n / shape[0]) * torch.from_numpy(uniform(start_stream, n).reshape(shape))
        want = pgd(m64, x64, y, t if targeted else None, s64, eps, alpha, steps, norm)
        got32 = pgd(model, x, y, t if targeted else None, s64.float(), eps, alpha, steps, norm)
        err32 = (got32.double() - want).abs().max().item()
        assert err32 < 1e-6, "%s %s: PyTorch float32 is %g from float64: the case is ill-conditioned" % (name, case, err32)
        fooled = (m64(want).argmax(1) != y).sum().item()
        out.append({"model": name, "case": case, "shape": shape, "input_offset": 0.5 if name == "smooth" else 0.3,
                    "norm": norm, "eps": eps, "alpha": alpha, "steps": steps, "targeted": targeted,
                    "start_stream": start_stream, "labels": y.tolist(), "targets": t.tolist() if targeted else None,
                    "adv_f32_base64": b64(want.float()), "torch_f32_max_error": err32, "fooled": fooled})
        print("%-12s %-18s torch float32 error %.2g, %d of %d fooled" % (name, case, err32, fooled, shape[0]))
with open(os.path.join(HERE, "attack_fixtures.json"), "w") as f:
    json.dump({"generator": "gen_attack_fixtures.py", "torch": torch.__version__, "cases": out}, f, indent=1)
