package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// Wide ResNets (Zagoruyko & Komodakis 2016, "Wide Residual Networks"):
// WRN-d-k has a 3x3 convolution to 16 channels, three groups of n = (d-4)/6
// pre-activation blocks on 16k, 32k and 64k channels, a final batch norm,
// ReLU, global average pooling and "fc". Names and initialization follow
// the TRADES / RobustBench wideresnet.py (block1.layer.0.bn1,
// ...convShortcut, bn1, fc; convolutions normal with std sqrt(2/fan_out),
// linear bias 0) without TRADES's unused sub_block1 (an importer drops its
// tensors). Dropout, if any, sits between a block's two convolutions.
func init() {
	register(&arch{
		Info: Info{
			Name:         "wrn",
			Doc:          "Wide ResNet WRN-depth-width (Zagoruyko & Komodakis 2016), TRADES/RobustBench layout",
			FeatureLayer: "block3", MinInputSize: 1,
		},
		classes: 10, channels: 3, width: 10, depth: 28, dropout: true,
		check: func(o Options) error {
			if o.Depth < 10 || (o.Depth-4)%6 != 0 {
				return fmt.Errorf("depth %d is not 6n+4 with n >= 1 (10, 16, 22, 28, 34, ...)", o.Depth)
			}
			// The widen factor multiplies 64 channels: beyond 64 no
			// published model goes, and a corrupt file could ask for any.
			if o.Width > 64 {
				return fmt.Errorf("widen factor %d above 64", o.Width)
			}
			return nil
		},
		build: func(o Options, rng *rand.Rand) nn.Module { return newWideResNet(o, rng) },
	})
}

type wideResNet struct {
	*nn.Base
	normalize *nn.Normalize
	conv1     *nn.Conv2d
	blocks    [3]*networkBlock
	bn1       *nn.BatchNorm2d
	fc        *nn.Linear
}

func newWideResNet(o Options, rng *rand.Rand) *wideResNet {
	n, k := (o.Depth-4)/6, o.Width
	m := &wideResNet{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", conv3x3(rng, o.InChannels, 16, 1))
	in := 16
	for i, stride := range []int{1, 2, 2} {
		out := 16 * k << i
		m.blocks[i] = addChild(m, fmt.Sprintf("block%d", i+1), newNetworkBlock(rng, n, in, out, stride, o.Dropout))
		in = out
	}
	m.bn1 = addChild(m, "bn1", nn.NewBatchNorm2d(in))
	m.fc = addChild(m, "fc", nn.NewLinear(rng, in, o.Classes, true))
	for _, sub := range nn.Modules(m) {
		if c, ok := sub.Value.(*nn.Conv2d); ok {
			nn.KaimingNormal(rng, c.Weight.Value, 0, nn.FanOut)
		}
	}
	m.fc.Bias.Value.Fill(0)
	return m
}

func (m *wideResNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.conv1, nn.Call(m.normalize, x))
	for _, b := range m.blocks {
		x = nn.Call(b, x)
	}
	x = autograd.Relu(nn.Call(m.bn1, x))
	return nn.Call(m.fc, autograd.Flatten(autograd.GlobalAvgPool2d(x)))
}

// networkBlock is one group of blocks, held in a Sequential named "layer".
type networkBlock struct {
	*nn.Base
	layer *nn.Sequential
}

func newNetworkBlock(rng *rand.Rand, n, in, out, stride int, dropout float32) *networkBlock {
	g := &networkBlock{Base: nn.NewBase()}
	g.layer = addChild(g, "layer", nn.NewSequential())
	for _, s := range stageStrides(n, stride) {
		g.layer.Append(newWideBlock(rng, in, out, s, dropout))
		in = out
	}
	return g
}

func (g *networkBlock) Forward(x *autograd.Var) *autograd.Var { return nn.Call(g.layer, x) }

// wideBlock is BN-ReLU-conv3x3-BN-ReLU-(dropout)-conv3x3 with a shortcut.
// When the channels change, the shortcut is a 1x1 convolution of the
// pre-activated input ("convShortcut"), as in the reference code.
type wideBlock struct {
	*nn.Base
	bn1, bn2     *nn.BatchNorm2d
	conv1, conv2 *nn.Conv2d
	convShortcut *nn.Conv2d // nil when in == out
	dropout      *nn.Dropout
}

func newWideBlock(rng *rand.Rand, in, out, stride int, dropout float32) *wideBlock {
	b := &wideBlock{Base: nn.NewBase()}
	b.bn1 = addChild(b, "bn1", nn.NewBatchNorm2d(in))
	b.conv1 = addChild(b, "conv1", conv3x3(rng, in, out, stride))
	b.bn2 = addChild(b, "bn2", nn.NewBatchNorm2d(out))
	b.conv2 = addChild(b, "conv2", conv3x3(rng, out, out, 1))
	if in != out {
		b.convShortcut = addChild(b, "convShortcut", conv1x1(rng, in, out, stride))
	}
	if dropout > 0 {
		b.dropout = addChild(b, "dropout", nn.NewDropout(dropout))
	}
	return b
}

func (b *wideBlock) Forward(x *autograd.Var) *autograd.Var {
	act := autograd.Relu(nn.Call(b.bn1, x))
	sc := x
	if b.convShortcut != nil {
		sc = nn.Call(b.convShortcut, act)
	}
	out := autograd.Relu(nn.Call(b.bn2, nn.Call(b.conv1, act)))
	if b.dropout != nil {
		out = nn.Call(b.dropout, out)
	}
	return autograd.Add(nn.Call(b.conv2, out), sc)
}
