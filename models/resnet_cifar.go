package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// The CIFAR ResNets of He et al. 2016 ("Deep Residual Learning for Image
// Recognition", sec. 4.2): a 3x3 convolution, then three stages of n basic
// blocks on 16, 32 and 64 channels (the second and third stages halve the
// resolution in their first block), global average pooling and a linear
// layer; 6n+2 layers. Names follow the common PyTorch CIFAR ResNet (conv1,
// bn1, layer1.0.conv1, ..., layer2.0.shortcut.0 for option B, linear), and
// so does the initialization: kaiming_normal_ (fan in) for convolution and
// linear weights. Option B with 16 channels is exactly the peer model of
// /work/shared/bench/torch_resnet20.py (a test checks tensor for tensor).
func init() {
	for _, depth := range []int{8, 20, 32, 44, 56, 110} {
		name := fmt.Sprintf("resnet%d", depth)
		register(&arch{
			Info: Info{
				Name:         name,
				Doc:          fmt.Sprintf("CIFAR ResNet-%d (He et al. 2016, sec. 4.2)", depth),
				FeatureLayer: "layer3", MinInputSize: 1,
			},
			classes: 10, channels: 3, width: 16, shortcut: true,
			build: func(o Options, rng *rand.Rand) nn.Module { return newCifarResNet(o, (depth-2)/6, rng) },
		})
	}
}

type cifarResNet struct {
	*nn.Base
	normalize *nn.Normalize
	conv1     *nn.Conv2d
	bn1       *nn.BatchNorm2d
	layers    [3]*nn.Sequential
	linear    *nn.Linear
}

func newCifarResNet(o Options, n int, rng *rand.Rand) *cifarResNet {
	w := o.Width
	m := &cifarResNet{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", conv3x3(rng, o.InChannels, w, 1))
	m.bn1 = addChild(m, "bn1", nn.NewBatchNorm2d(w))
	in := w
	for i, stride := range []int{1, 2, 2} {
		planes := w << i
		stage := nn.NewSequential()
		for _, s := range stageStrides(n, stride) {
			stage.Append(newCifarBlock(rng, in, planes, s, o.Shortcut))
			in = planes
		}
		m.layers[i] = addChild(m, fmt.Sprintf("layer%d", i+1), stage)
	}
	m.linear = addChild(m, "linear", nn.NewLinear(rng, in, o.Classes, true))
	for _, p := range nn.Parameters(m) {
		if p.Value.Value.NDim() > 1 {
			nn.KaimingNormal(rng, p.Value.Value, 0, nn.FanIn)
		}
	}
	return m
}

func (m *cifarResNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.normalize, x)
	x = nn.ConvBN(m.conv1, m.bn1, x, nil, true)
	for _, l := range m.layers {
		x = nn.Call(l, x)
	}
	return nn.Call(m.linear, autograd.Flatten(autograd.GlobalAvgPool2d(x)))
}

// cifarBlock is the basic block: two 3x3 convolutions with batch norm, and
// a shortcut that is the identity unless the shape changes.
type cifarBlock struct {
	*nn.Base
	conv1, conv2 *nn.Conv2d
	bn1, bn2     *nn.BatchNorm2d
	shortcut     nn.Module // nil: identity
}

func newCifarBlock(rng *rand.Rand, in, planes, stride int, option string) *cifarBlock {
	b := &cifarBlock{Base: nn.NewBase()}
	b.conv1 = addChild(b, "conv1", conv3x3(rng, in, planes, stride))
	b.bn1 = addChild(b, "bn1", nn.NewBatchNorm2d(planes))
	b.conv2 = addChild(b, "conv2", conv3x3(rng, planes, planes, 1))
	b.bn2 = addChild(b, "bn2", nn.NewBatchNorm2d(planes))
	if stride != 1 || in != planes {
		if option == "A" {
			// He et al.'s option A: the extra channels are zeros, split
			// evenly before and after (planes//4 each when planes = 2*in).
			before := (planes - in) / 2
			b.shortcut = addChild[nn.Module](b, "shortcut", nn.NewPadShortcut(stride, before, planes-in-before))
		} else {
			b.shortcut = addChild[nn.Module](b, "shortcut", projection(rng, in, planes, stride))
		}
	}
	return b
}

func (b *cifarBlock) Forward(x *autograd.Var) *autograd.Var {
	out := nn.ConvBN(b.conv1, b.bn1, x, nil, true)
	sc := x
	if b.shortcut != nil {
		sc = nn.Call(b.shortcut, x)
	}
	return nn.ConvBN(b.conv2, b.bn2, out, sc, true)
}
