# Generates the fixtures models' tests compare against, with PyTorch and torchvision:
#   layouts.txt   state-dict names and shapes (in PyTorch's order) and parameter counts of
#                 torchvision's resnet18/resnet50 and of reference PyTorch definitions of the
#                 other architectures in the layouts of the repositories they come from;
#   forward.json  for each architecture, with weights set by a formula both sides compute
#                 (so no weights are stored): in train mode the logits, the cross-entropy
#                 loss, samples of its input and parameter gradients and the first batch
#                 norm's updated running mean; then in eval mode the logits, the loss and
#                 samples of the input and parameter gradients of sum(r * logits); all
#                 computed by PyTorch in float64, with PyTorch's own float32 error.
# Run from the repository root: /usr/bin/python3 models/testdata/gen_fixtures.py
import copy, importlib.util, json, math, os, sys
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
CIFAR_MEAN, CIFAR_STD = [0.4914, 0.4822, 0.4465], [0.2471, 0.2435, 0.2616]
cases = [
    ("resnet20", {"shortcut": "A"}, CifarResNet(20, "A")),
    ("resnet20", {"shortcut": "B"}, CifarResNet(20, "B")),
    ("resnet8", {"width": 8}, CifarResNet(8, "A", width=8)),
    ("preact-resnet18", {}, PreActResNet18()),
    ("wrn", {"depth": 10, "width": 1}, WideResNet(10, 1)),
    ("wrn", {"depth": 16, "width": 2}, WideResNet(16, 2)),
    ("resnet18", {"classes": 10}, torchvision.models.resnet18(num_classes=10)),
    ("resnet50", {"classes": 10}, torchvision.models.resnet50(num_classes=10)),
    ("madry-mnist", {}, MadryMNIST()),
    ("smallcnn", {"width": 8}, small_cnn(8)),
]
LABELS = [3, 7]

def grad_samples(m):
    # At most 16 evenly strided values of every parameter's gradient, in sorted name order,
    # concatenated (models/forward_test.go samples the same indices).
    out = []
    for k, p in sorted(m.named_parameters()):
        g = p.grad.flatten()
        step = max(1, len(g) // 16)
        out.append(g[::step][:16])
    return torch.cat(out)

def run(m, x, r, mt, st):
    labels = torch.tensor(LABELS)
    # Train mode first: batch statistics, the running statistics' momentum update, and the
    # gradients of the mean cross-entropy against LABELS for the input and every parameter.
    m.train()
    xt = x.clone().requires_grad_(True)
    train_logits = m((xt - mt) / st)
    train_loss = F.cross_entropy(train_logits, labels)
    m.zero_grad()
    train_loss.backward()
    train_pgrads = grad_samples(m)
    bn = next((k for k in m.state_dict() if k.endswith("running_mean")), "")
    bn_mean = m.state_dict()[bn].clone() if bn else torch.zeros(0)
    # Then eval mode on the updated running statistics: logits, the cross-entropy, and the
    # input and parameter gradients of sum(r * logits).
    m.eval()
    xg = x.clone().requires_grad_(True)
    logits = m((xg - mt) / st)
    m.zero_grad()
    (logits * r).sum().backward()
    return bn, {"train_logits": train_logits.detach().flatten(), "bn_running_mean": bn_mean,
                "train_loss": train_loss.detach().reshape(1),
                "train_grad_every_37": xt.grad.flatten()[::37], "train_param_grads": train_pgrads,
                "eval_logits": logits.detach().flatten(),
                "eval_loss": F.cross_entropy(logits.detach(), labels).reshape(1),
                "grad_every_37": xg.grad.flatten()[::37], "eval_param_grads": grad_samples(m)}

def rel_err(a, b):
    # Relative L2 error: a ReLU whose input is within rounding of 0 may flip between float32
    # and float64 and change a few gradient elements a lot; a norm stays meaningful.
    return ((a.double() - b).norm() / b.norm().clamp(min=1e-12)).item() if len(b) else 0.0

# The reference is PyTorch in float64; PyTorch's own float32 error against it is recorded
# beside it, since a deep network can amplify rounding (ResNet-50's input gradient keeps
# about 2 digits), and robustlab's float32 is held to a small multiple of it.
out = []
for name, opts, m in cases:
    gray = name == "madry-mnist"
    # ImageNet ResNets downsample 32 times: at 64x64 their last stage still has 2x2 pixels,
    # enough for batch statistics that do not divide by sqrt(eps) alone.
    size = 64 if name in ("resnet18", "resnet50") else 32
    shape = [2, 1, 28, 28] if gray else [2, 3, size, size]
    mean, std = ([0.1307], [0.3081]) if gray else (CIFAR_MEAN, CIFAR_STD)
    n = int(np.prod(shape))
    x = torch.from_numpy((0.5 + 0.5 * uniform(0, n)).astype(np.float32).reshape(shape))
    r = torch.from_numpy(uniform(1 << 20, 20).astype(np.float32).reshape(2, 10))
    mt, st = torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)
    set_formula(m)
    m64 = copy.deepcopy(m).double()
    bn, f32 = run(m, x, r, mt, st)
    _, f64 = run(m64, x.double(), r.double(), mt.double(), st.double())
    case = {"arch": name, "options": dict(opts, mean=mean, std=std), "input_shape": shape, "bn": bn, "labels": LABELS}
    for k, v in f64.items():
        case[k] = v.tolist()
        case["torch_f32_error"] = dict(case.get("torch_f32_error", {}), **{k: rel_err(f32[k], v)})
    out.append(case)
with open(os.path.join(HERE, "forward.json"), "w") as f:
    json.dump(out, f, indent=0)
print("wrote layouts.txt and forward.json")
