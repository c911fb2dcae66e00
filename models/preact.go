package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// PreAct ResNet-18 (He et al. 2016b, "Identity Mappings in Deep Residual
// Networks"), in the layout of Wong et al. 2020's fast_adversarial code
// (preact_resnet.py): a 3x3 convolution, four stages of two pre-activation
// blocks on 64, 128, 256, 512 channels, a final batch norm "bn" and ReLU,
// average pooling and "linear"; PyTorch's default initialization. As in
// that code, a block's projection shortcut takes the block's raw input, not
// its pre-activated one. The pooling is global, which equals that code's
// avg_pool2d(4) on 32x32 images and also serves other sizes.
func init() {
	register(&arch{
		Info: Info{
			Name:         "preact-resnet18",
			Doc:          "PreAct ResNet-18 (He et al. 2016b), as in Wong et al. 2020's fast adversarial training",
			FeatureLayer: "layer4", MinInputSize: 1,
		},
		classes: 10, channels: 3, width: 64,
		build: func(o Options, rng *rand.Rand) nn.Module { return newPreActResNet(o, [4]int{2, 2, 2, 2}, rng) },
	})
}

type preActResNet struct {
	*nn.Base
	normalize *nn.Normalize
	conv1     *nn.Conv2d
	layers    [4]*nn.Sequential
	bn        *nn.BatchNorm2d
	linear    *nn.Linear
}

func newPreActResNet(o Options, blocks [4]int, rng *rand.Rand) *preActResNet {
	w := o.Width
	m := &preActResNet{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", conv3x3(rng, o.InChannels, w, 1))
	in := w
	for i, stride := range []int{1, 2, 2, 2} {
		planes := w << i
		stage := nn.NewSequential()
		for _, s := range stageStrides(blocks[i], stride) {
			stage.Append(newPreActBlock(rng, in, planes, s))
			in = planes
		}
		m.layers[i] = addChild(m, fmt.Sprintf("layer%d", i+1), stage)
	}
	m.bn = addChild(m, "bn", nn.NewBatchNorm2d(in))
	m.linear = addChild(m, "linear", nn.NewLinear(rng, in, o.Classes, true))
	return m
}

func (m *preActResNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.conv1, nn.Call(m.normalize, x))
	for _, l := range m.layers {
		x = nn.Call(l, x)
	}
	x = autograd.Relu(nn.Call(m.bn, x))
	return nn.Call(m.linear, autograd.Flatten(autograd.GlobalAvgPool2d(x)))
}

// preActBlock is BN-ReLU-conv twice, plus a shortcut (a 1x1 convolution
// registered as "shortcut.0" when the shape changes).
type preActBlock struct {
	*nn.Base
	bn1, bn2     *nn.BatchNorm2d
	conv1, conv2 *nn.Conv2d
	shortcut     *nn.Sequential // nil: identity
}

func newPreActBlock(rng *rand.Rand, in, planes, stride int) *preActBlock {
	b := &preActBlock{Base: nn.NewBase()}
	b.bn1 = addChild(b, "bn1", nn.NewBatchNorm2d(in))
	b.conv1 = addChild(b, "conv1", conv3x3(rng, in, planes, stride))
	b.bn2 = addChild(b, "bn2", nn.NewBatchNorm2d(planes))
	b.conv2 = addChild(b, "conv2", conv3x3(rng, planes, planes, 1))
	if stride != 1 || in != planes {
		b.shortcut = addChild(b, "shortcut", nn.NewSequential(conv1x1(rng, in, planes, stride)))
	}
	return b
}

func (b *preActBlock) Forward(x *autograd.Var) *autograd.Var {
	out := autograd.Relu(nn.Call(b.bn1, x))
	sc := x
	if b.shortcut != nil {
		sc = nn.Call(b.shortcut, x)
	}
	out = nn.Call(b.conv1, out)
	out = nn.Call(b.conv2, autograd.Relu(nn.Call(b.bn2, out)))
	return autograd.Add(out, sc)
}
