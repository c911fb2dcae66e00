# Generates the fixtures models' tests compare against, with PyTorch and torchvision:
#   layouts.txt   state-dict names and shapes (in PyTorch's order) and parameter counts of
#                 torchvision's resnet18/resnet50 and of reference PyTorch definitions of the
#                 other architectures in the layouts of the repositories they come from;
#   forward.json  for each registered architecture, with weights set by a formula both sides
#                 compute (so no weights are stored): in train mode the logits, the
#                 cross-entropy loss, samples of its input and parameter gradients and the
#                 first batch norm's updated running mean; then in eval mode the logits, the
#                 loss, samples, norm and channel sums of the input gradient of sum(r *
#                 logits) and samples of its parameter gradients; all computed by PyTorch in
#                 float64, with PyTorch's own float32 error.
# Run from the repository root: /usr/bin/python3 models/testdata/gen_fixtures.py
import contextlib, copy, importlib.util, json, math, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "internal", "fixture"))
from formula import uniform, set_formula  # noqa: E402

# --- He et al. 2016 CIFAR ResNet, names as the common PyTorch CIFAR ResNet ---------------
class CifarBlock(nn.Module):
    def __init__(s, cin, planes, stride, option):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False); s.bn1 = nn.BatchNorm2d(planes)
        s.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(planes)
        s.option, s.pad, s.stride = None, 0, stride
        if stride != 1 or cin != planes:
            s.option = option
            if option == "A":
                s.pad = planes // 4
            else:
                s.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
    def forward(s, x):
        out = F.relu(s.bn1(s.conv1(x)))
        out = s.bn2(s.conv2(out))
        if s.option is None:
            sc = x
        elif s.option == "A":
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, s.pad, s.pad), "constant", 0)
        else:
            sc = s.shortcut(x)
        return F.relu(out + sc)

class CifarResNet(nn.Module):
    def __init__(s, depth, option, classes=10, width=16):
        super().__init__()
        n = (depth - 2) // 6
        s.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, (planes, stride) in enumerate(((width, 1), (2 * width, 2), (4 * width, 2))):
            blocks = []
            for j in range(n):
                blocks.append(CifarBlock(cin, planes, stride if j == 0 else 1, option)); cin = planes
            setattr(s, "layer%d" % (i + 1), nn.Sequential(*blocks))
        s.linear = nn.Linear(cin, classes)
    def forward(s, x):
        out = F.relu(s.bn1(s.conv1(x)))
        out = s.layer3(s.layer2(s.layer1(out)))
        return s.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))

# --- PreAct ResNet-18 as in Wong et al.'s fast_adversarial (shortcut of the raw input) ---
class PreActBlock(nn.Module):
    def __init__(s, cin, planes, stride):
        super().__init__()
        s.bn1 = nn.BatchNorm2d(cin); s.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        s.bn2 = nn.BatchNorm2d(planes); s.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or cin != planes:
            s.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))
    def forward(s, x):
        out = F.relu(s.bn1(x))
        sc = s.shortcut(x) if hasattr(s, "shortcut") else x
        out = s.conv1(out)
        out = s.conv2(F.relu(s.bn2(out)))
        return out + sc

class PreActResNet18(nn.Module):
    def __init__(s, classes=10):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        cin = 64
        for i, (planes, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2))):
            setattr(s, "layer%d" % (i + 1), nn.Sequential(PreActBlock(cin, planes, stride), PreActBlock(planes, planes, 1)))
            cin = planes
        s.bn = nn.BatchNorm2d(512); s.linear = nn.Linear(512, classes)
    def forward(s, x):
        out = s.layer4(s.layer3(s.layer2(s.layer1(s.conv1(x)))))
        out = F.relu(s.bn(out))
        return s.linear(F.avg_pool2d(out, 4).flatten(1))

# --- Wide ResNet (Zagoruyko & Komodakis 2016), TRADES/RobustBench layout without sub_block1
class WideBlock(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.bn1 = nn.BatchNorm2d(cin); s.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        s.bn2 = nn.BatchNorm2d(cout); s.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        s.equal = cin == cout
        if not s.equal:
            s.convShortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)
    def forward(s, x):
        if s.equal:
            out = F.relu(s.bn1(x))
        else:
            x = F.relu(s.bn1(x)); out = x
        out = s.conv2(F.relu(s.bn2(s.conv1(out))))
        return (x if s.equal else s.convShortcut(x)) + out

class NetworkBlock(nn.Module):
    def __init__(s, n, cin, cout, stride):
        super().__init__()
        s.layer = nn.Sequential(*[WideBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])
    def forward(s, x):
        return s.layer(x)

class WideResNet(nn.Module):
    def __init__(s, depth, widen, classes=10):
        super().__init__()
        ch = [16, 16 * widen, 32 * widen, 64 * widen]; n = (depth - 4) // 6
        s.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        s.block1 = NetworkBlock(n, ch[0], ch[1], 1)
        s.block2 = NetworkBlock(n, ch[1], ch[2], 2)
        s.block3 = NetworkBlock(n, ch[2], ch[3], 2)
        s.bn1 = nn.BatchNorm2d(ch[3]); s.fc = nn.Linear(ch[3], classes)
    def forward(s, x):
        out = s.block3(s.block2(s.block1(s.conv1(x))))
        out = F.relu(s.bn1(out))
        return s.fc(F.avg_pool2d(out, 8).flatten(1))

# --- Madry et al.'s MNIST CNN (mnist_challenge model.py: 5x5 SAME convs, 2x2 pools) ------
class MadryMNIST(nn.Module):
    def __init__(s, classes=10):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 32, 5, padding=2); s.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        s.fc1 = nn.Linear(7 * 7 * 64, 1024); s.fc2 = nn.Linear(1024, classes)
    def forward(s, x):
        out = F.max_pool2d(F.relu(s.conv1(x)), 2)
        out = F.max_pool2d(F.relu(s.conv2(out)), 2)
        return s.fc2(F.relu(s.fc1(out.flatten(1))))

# --- Wong et al.'s small MNIST CNN (fast_adversarial MNIST/mnist_net: an nn.Sequential whose
# indices 0, 2, 5, 7 are named conv1, conv2, fc1, fc2 here, as robustlab names them) --------
class WongMNIST(nn.Module):
    def __init__(s, classes=10):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 16, 4, stride=2, padding=1); s.conv2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)
        s.fc1 = nn.Linear(32 * 7 * 7, 100); s.fc2 = nn.Linear(100, classes)
    def forward(s, x):
        out = F.relu(s.conv2(F.relu(s.conv1(x))))
        return s.fc2(F.relu(s.fc1(out.flatten(1))))

# --- robustlab's small study CNN ----------------------------------------------------------
def small_cnn(width=32, classes=10):
    def stage(cin, cout, pool):
        mods = [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return nn.Sequential(*(mods + [nn.MaxPool2d(2)] if pool else mods))
    class SmallCNN(nn.Module):
        def __init__(s):
            super().__init__()
            s.layer1 = stage(3, width, True); s.layer2 = stage(width, 2 * width, True)
            s.layer3 = stage(2 * width, 4 * width, False); s.fc = nn.Linear(4 * width, classes)
        def forward(s, x):
            out = s.layer3(s.layer2(s.layer1(x)))
            return s.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))
    return SmallCNN()

def bench_resnet20():
    # The model of robustlab's own PyTorch peer, bench/torch_resnet20.py.
    path = os.path.join(HERE, "..", "..", "bench", "torch_resnet20.py")
    spec = importlib.util.spec_from_file_location("torch_resnet20", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.set_num_threads(1)
    return mod.ResNet20()

# --- the weights formula: internal/fixture/formula.py (fixture.go computes the same) ---
def layout(model):
    return [(k, list(v.shape)) for k, v in model.state_dict().items()]

def nparams(model):
    return sum(p.numel() for p in model.parameters())

# --- layouts -----------------------------------------------------------------------------
layouts = [
    ("resnet18", {}, torchvision.models.resnet18()),
    ("resnet50", {}, torchvision.models.resnet50()),
    ("resnet20", {"shortcut": "A"}, CifarResNet(20, "A")),
    ("resnet20", {"shortcut": "B"}, CifarResNet(20, "B")),
    ("resnet56", {}, CifarResNet(56, "A")),
    ("preact-resnet18", {}, PreActResNet18()),
    ("wrn", {"depth": 28, "width": 10}, WideResNet(28, 10)),
    ("wrn", {"depth": 34, "width": 10}, WideResNet(34, 10)),
    ("madry-mnist", {}, MadryMNIST()),
    ("wong-mnist", {}, WongMNIST()),
    ("smallcnn", {}, small_cnn()),
]

# Option B must be the bench's peer model exactly: same tensors in the same order, and the
# same function once the weights are copied across.
bench, ref_b = bench_resnet20(), CifarResNet(20, "B")
bl, rl = layout(bench), layout(ref_b)
assert [s for _, s in bl] == [s for _, s in rl], "option B differs from the bench's ResNet-20"
set_formula(ref_b)
bench.load_state_dict({bk: ref_b.state_dict()[rk] for (bk, _), (rk, _) in zip(bl, rl)})
bench.eval(); ref_b.eval()
xb = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
assert torch.allclose(bench(xb), ref_b(xb), rtol=1e-5, atol=1e-5), "option B computes another function"

with open(os.path.join(HERE, "layouts.txt"), "w") as f:
    f.write("# generated by gen_fixtures.py with torch %s, torchvision %s; do not edit\n" % (torch.__version__, torchvision.__version__))
    f.write("# bench torch_resnet20.py parameters %d\n" % nparams(bench))
    for name, opts, m in layouts:
        f.write("model %s %s params %d\n" % (name, json.dumps(opts, separators=(",", ":"), sort_keys=True), nparams(m)))
        for k, s in layout(m):
            f.write("%s %s\n" % (k, ",".join(map(str, s)) if s else "-"))

# --- forward fixtures --------------------------------------------------------------------
# Each case: architecture, options, PyTorch model, and how it is run and sampled:
#   size           input height and width (28 for the MNIST CNNs, else 32 unless given);
#   eval_only      skip the train-mode step: evaluation mode on the formula's running
#                  statistics only;
#   train_only     skip the evaluation after the train step;
#   cut_kinks      cut the ReLUs and max-pool windows within rounding of their kink out of
#                  the evaluation's gradients (ResNet-50 only; see kink_cuts);
#   grad_stride    input-gradient samples are every grad_stride-th element (default 37);
#   param_samples  evenly strided samples per parameter gradient (default 16; fewer for the
#                  deep CIFAR ResNets, whose blocks resnet20 already covers at 16).
CIFAR_MEAN, CIFAR_STD = [0.4914, 0.4822, 0.4465], [0.2471, 0.2435, 0.2616]
cases = [
    ("resnet20", {"shortcut": "A"}, CifarResNet(20, "A"), {}),
    ("resnet20", {"shortcut": "B"}, CifarResNet(20, "B"), {}),
    ("resnet8", {"width": 8}, CifarResNet(8, "A", width=8), {}),
    ("resnet32", {}, CifarResNet(32, "A"), {"param_samples": 2}),
    ("resnet44", {}, CifarResNet(44, "A"), {"param_samples": 2}),
    ("resnet56", {}, CifarResNet(56, "A"), {"param_samples": 2}),
    ("resnet110", {}, CifarResNet(110, "A"), {"param_samples": 2}),
    ("preact-resnet18", {}, PreActResNet18(), {}),
    ("wrn", {"depth": 10, "width": 1}, WideResNet(10, 1), {}),
    ("wrn", {"depth": 16, "width": 2}, WideResNet(16, 2), {}),
    # ImageNet ResNets downsample 32 times: at 64x64 their last stage still has 2x2 pixels,
    # enough for batch statistics that do not divide by sqrt(eps) alone, though ResNet-50's
    # train-mode gradients keep only about 2 digits there (PyTorch's own float32 error).
    ("resnet18", {"classes": 10}, torchvision.models.resnet18(num_classes=10), {"size": 64}),
    # ResNet-50 in train mode only: its evaluation after the step would hold little, see below.
    ("resnet50", {"classes": 10}, torchvision.models.resnet50(num_classes=10), {"size": 64, "train_only": True, "cut_kinks": True}),
    # The well-conditioned ResNet-50 parity: evaluation mode at 128x128 with the kinks within
    # rounding cut out of the gradient (see kink_cuts).
    ("resnet50", {"classes": 10}, torchvision.models.resnet50(num_classes=10),
     {"size": 128, "eval_only": True, "cut_kinks": True, "grad_stride": 331, "param_samples": 2}),
    ("madry-mnist", {}, MadryMNIST(), {}),
    ("wong-mnist", {}, WongMNIST(), {}),
    ("smallcnn", {"width": 8}, small_cnn(8), {}),
]
LABELS = [3, 7]

def grad_samples(m, k):
    # At most k evenly strided values of every parameter's gradient, in sorted name order,
    # concatenated (models/forward_test.go samples the same indices).
    out = []
    for _, p in sorted(m.named_parameters()):
        g = p.grad.flatten()
        step = max(1, len(g) // k)
        out.append(g[::step][:k])
    return torch.cat(out)

def run(m, x, r, mt, st, eval_only, stride, k, train_only=False, cuts=None):
    # cuts: {"train": ..., "eval": ...} kink cuts for each mode (see kink_cuts), or None.
    cuts = cuts or {}
    labels = torch.tensor(LABELS)
    res = {}
    bn = next((n for n in m.state_dict() if n.endswith("running_mean")), "")
    if not eval_only:
        # Train mode first: batch statistics, the running statistics' momentum update, and
        # the gradients of the mean cross-entropy against LABELS for the input and every
        # parameter.
        m.train()
        xt = x.clone().requires_grad_(True)
        with KinkSites(m, cuts=cuts["train"]) if "train" in cuts else contextlib.nullcontext():
            train_logits = m((xt - mt) / st)
        train_loss = F.cross_entropy(train_logits, labels)
        m.zero_grad()
        train_loss.backward()
        res.update({"train_logits": train_logits.detach().flatten(), "train_loss": train_loss.detach().reshape(1),
                    "train_grad_samples": xt.grad.flatten()[::stride], "train_param_grads": grad_samples(m, k),
                    "bn_running_mean": m.state_dict()[bn].clone() if bn else torch.zeros(0)})
    if train_only:
        return bn, res
    # Then eval mode (on the updated running statistics, if a train step ran): logits, the
    # cross-entropy, and the input and parameter gradients of sum(r * logits); of the input
    # gradient also its L2 norm and its sum over each example's channel, which every
    # element enters.
    m.eval()
    xg = x.clone().requires_grad_(True)
    with KinkSites(m, cuts=cuts["eval"]) if "eval" in cuts else contextlib.nullcontext():
        logits = m((xg - mt) / st)
    m.zero_grad()
    (logits * r).sum().backward()
    res.update({"eval_logits": logits.detach().flatten(),
                "eval_loss": F.cross_entropy(logits.detach(), labels).reshape(1),
                "grad_samples": xg.grad.flatten()[::stride], "grad_norm": xg.grad.norm().reshape(1),
                "grad_sums": xg.grad.sum(dim=(2, 3)).flatten(), "eval_param_grads": grad_samples(m, k)})
    return bn, res

def rel_err(a, b):
    # Relative L2 error: a ReLU whose input is within rounding of 0 may flip between float32
    # and float64 and change a few gradient elements a lot; a norm stays meaningful.
    return ((a.double() - b).norm() / b.norm().clamp(min=1e-12)).item() if len(b) else 0.0

# --- kinks within rounding (ResNet-50's evaluation) ---------------------------------------
# An evaluation-mode ReLU network is piecewise linear: its input gradient is exact within a
# linear region and jumps where a unit crosses its kink. ResNet-50 at 128x128 has ~10M units;
# hundreds lie within float32 rounding of their kink, and which side a float32 forward puts
# each on is chance (of summation order, of the kernels). One such unit can move the input
# gradient by 1e-4 to 1e-2 (measured here: the one robustlab's float32 puts on the other
# side moves it by 4.4e-4, while PyTorch's float32 happens to agree with float64 to 1e-6).
# So the reference cuts them out, and robustlab's test cuts the same ones: the gradient that
# flows into a ReLU output whose input is within KINK_MARGIN times float32's error of 0 (the
# largest |float32 - float64| over that site, measured by PyTorch), or into a max-pool output
# whose two largest inputs are that close, is set to 0. The forward is unchanged (a unit at
# its kink outputs about 0 either way), and the gradient is still that of the network through
# every other path, so the check stays exact there.
KINK_MARGIN = 32

def kink_site_names(m):
    # The ReLU call sites of torchvision's ResNet-50 in execution order (its stem ReLU, then
    # each Bottleneck's one ReLU module called three times), and the max pool.
    names = ["relu", "maxpool"]
    for i in range(1, 5):
        for j in range(len(getattr(m, "layer%d" % i))):
            names += ["layer%d.%d.relu%d" % (i, j, q) for q in (1, 2, 3)]
    return names

class KinkSites:
    # Records the input of every ReLU call and of the max pool, in kink_site_names' order;
    # with cuts ({site: flat indices}), zeroes the gradient flowing into those outputs.
    def __init__(s, m, cuts=None):
        s.m, s.cuts, s.inputs, s.names = m, cuts, [], kink_site_names(m)
    def hook(s, mod, inp, out):
        name = s.names[len(s.inputs)]
        s.inputs.append(inp[0].detach().clone())
        if s.cuts and s.cuts.get(name):
            keep = torch.ones(out.numel(), dtype=out.dtype)
            keep[torch.tensor(s.cuts[name])] = 0
            out.register_hook(lambda g, keep=keep.view(out.shape): g * keep)
        return out
    def __enter__(s):
        mods = [mod for mod in s.m.modules() if isinstance(mod, (nn.ReLU, nn.MaxPool2d))]
        for mod in mods:
            if isinstance(mod, nn.ReLU):
                mod.inplace = False  # a hook must see the input, and out must be a new tensor
        s.handles = [mod.register_forward_hook(s.hook) for mod in mods]
        return s
    def __exit__(s, *exc):
        for h in s.handles:
            h.remove()
        assert len(s.inputs) == len(s.names), "ResNet-50 ran %d kink sites, expected %d" % (len(s.inputs), len(s.names))

def kink_cuts(m32, m64, x, mt, st, train):
    # The units to cut in train or eval mode: float64 inputs within KINK_MARGIN float32
    # errors of the kink.
    sites = []
    for m, xx in ((copy.deepcopy(m32), x), (copy.deepcopy(m64), x.double())):
        m.train(train)
        with torch.no_grad(), KinkSites(m) as ks:
            m((xx - mt.to(xx.dtype)) / st.to(xx.dtype))
        sites.append(ks.inputs)
    cuts = {}
    for name, a, b in zip(kink_site_names(m32), *sites):
        thr = KINK_MARGIN * (a.double() - b).abs().max().item()
        if name == "maxpool":
            # The 3x3 stride-2 windows (padding 1: -inf) whose two largest inputs are within
            # thr; windows of zeros pass no gradient, whichever element they pick.
            p = F.pad(b, (1, 1, 1, 1), value=-math.inf)
            win = p.unfold(2, 3, 2).unfold(3, 3, 2)
            top = win.reshape(*win.shape[:4], 9).topk(2, dim=-1).values
            risky = ((top[..., 0] - top[..., 1]) < thr) & (top[..., 0] > 0)
        else:
            risky = b.abs() < thr
        cuts[name] = risky.flatten().nonzero().flatten().tolist()
    return cuts

# The reference is PyTorch in float64; PyTorch's own float32 error against it is recorded
# beside it, since a deep network can amplify rounding (ResNet-50's train-mode input gradient
# at 64x64 keeps about 2 digits), and robustlab's float32 is held to a small multiple of it.
# So is the reference's sensitivity: the largest relative change of each quantity when the
# float64 input is moved by one float32 rounding (x (1 + 2^-24 v), v uniform in [-1, 1)), in
# SENSITIVITY_RUNS tries. A quantity is ill-conditioned where a unit sits within rounding of
# a ReLU's kink: which side float32 puts it on is chance, and in train mode batch norm
# spreads the difference over every gradient (ResNet-56's by 6e-4 at these inputs).
SENSITIVITY_RUNS = 3
out = []
for name, opts, m, how in cases:
    gray = name.endswith("mnist")
    size = how.get("size", 32)
    eval_only, train_only = how.get("eval_only", False), how.get("train_only", False)
    stride, k = how.get("grad_stride", 37), how.get("param_samples", 16)
    shape = [2, 1, 28, 28] if gray else [2, 3, size, size]
    mean, std = ([0.1307], [0.3081]) if gray else (CIFAR_MEAN, CIFAR_STD)
    n = int(np.prod(shape))
    x = torch.from_numpy((0.5 + 0.5 * uniform(0, n)).astype(np.float32).reshape(shape))
    r = torch.from_numpy(uniform(1 << 20, 20).astype(np.float32).reshape(2, 10))
    mt, st = torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)
    set_formula(m)
    m64 = copy.deepcopy(m).double()
    cuts = None
    if how.get("cut_kinks"):
        modes = ([] if eval_only else ["train"]) + ([] if train_only else ["eval"])
        cuts = {mode: kink_cuts(m, m64, x, mt, st, mode == "train") for mode in modes}
    bn, f32 = run(m, x, r, mt, st, eval_only, stride, k, train_only, cuts)
    _, f64 = run(copy.deepcopy(m64), x.double(), r.double(), mt.double(), st.double(), eval_only, stride, k, train_only, cuts)
    sens = {}
    for p in range(SENSITIVITY_RUNS):
        xp = x.double() * (1 + 2.0 ** -24 * torch.from_numpy(uniform(2 << 20 | p, n).reshape(shape)))
        _, fp = run(copy.deepcopy(m64), xp, r.double(), mt.double(), st.double(), eval_only, stride, k, train_only, cuts)
        for key, v in f64.items():
            sens[key] = max(sens.get(key, 0.0), rel_err(fp[key], v))
    case = {"arch": name, "options": dict(opts, mean=mean, std=std), "input_shape": shape, "labels": LABELS,
            "eval_only": eval_only, "train_only": train_only, "grad_stride": stride, "param_samples": k,
            "bn": "" if eval_only else bn}
    if cuts is not None:
        case.update({"train_kink_cuts" if mode == "train" else "kink_cuts": c for mode, c in cuts.items()})
    for key, v in f64.items():
        # 9 significant digits: 5e-10 relative, far below any tolerance, at half the size.
        case[key] = [float("%.9g" % e) for e in v.tolist()]
        case["torch_f32_error"] = dict(case.get("torch_f32_error", {}), **{key: rel_err(f32[key], v)})
    case["f64_sensitivity"] = sens
    out.append(case)
    print(name, opts, shape, "eval only" if eval_only else "", flush=True)
    for key in f64:
        print("   %-20s PyTorch float32 %.2g, sensitivity %.2g" % (key, case["torch_f32_error"][key], sens[key]), flush=True)
with open(os.path.join(HERE, "forward.json"), "w") as f:
    json.dump(out, f, indent=0)
print("wrote layouts.txt and forward.json")
