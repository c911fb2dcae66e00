package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// The ImageNet ResNets (He et al. 2016) exactly as torchvision's
// models/resnet.py builds them, names included: conv1 (7x7, stride 2), bn1,
// a 3x3 stride-2 max pool, four stages layer1..layer4 on 64, 128, 256, 512
// planes of BasicBlocks (ResNet-18) or Bottlenecks (ResNet-50, expansion 4,
// the stride on the 3x3 convolution as in "ResNet v1.5"), a shortcut
// "downsample" (1x1 convolution + batch norm) where the shape changes,
// adaptive average pooling and "fc". Initialization as torchvision:
// kaiming_normal_ with fan out for convolutions, batch norm 1 and 0, the
// default for fc. A torchvision state dict plus "normalize.mean" and
// "normalize.std" loads as is.
func init() {
	for _, r := range []struct {
		depth      int
		bottleneck bool
		blocks     [4]int
	}{{18, false, [4]int{2, 2, 2, 2}}, {50, true, [4]int{3, 4, 6, 3}}} {
		register(&arch{
			Info: Info{
				Name:         fmt.Sprintf("resnet%d", r.depth),
				Doc:          fmt.Sprintf("ImageNet ResNet-%d (He et al. 2016), torchvision's layout", r.depth),
				FeatureLayer: "layer4", MinInputSize: 1,
			},
			classes: 1000, channels: 3, width: 64,
			build: func(o Options, rng *rand.Rand) nn.Module { return newResNet(o, r.bottleneck, r.blocks, rng) },
		})
	}
}

type resNet struct {
	*nn.Base
	normalize *nn.Normalize
	conv1     *nn.Conv2d
	bn1       *nn.BatchNorm2d
	maxpool   *nn.MaxPool2d
	layers    [4]*nn.Sequential
	avgpool   *nn.AdaptiveAvgPool2d
	fc        *nn.Linear
}

func newResNet(o Options, bottleneck bool, blocks [4]int, rng *rand.Rand) *resNet {
	w := o.Width
	expansion := 1
	if bottleneck {
		expansion = 4
	}
	m := &resNet{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", nn.NewConv2d(rng, o.InChannels, w, 7,
		autograd.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{3, 3}}, false))
	m.bn1 = addChild(m, "bn1", nn.NewBatchNorm2d(w))
	m.maxpool = addChild(m, "maxpool", nn.NewMaxPool2d(3, 2, 1))
	in := w
	for i, stride := range []int{1, 2, 2, 2} {
		planes := w << i
		stage := nn.NewSequential()
		for _, s := range stageStrides(blocks[i], stride) {
			var downsample *nn.Sequential
			if s != 1 || in != planes*expansion {
				downsample = projection(rng, in, planes*expansion, s)
			}
			if bottleneck {
				stage.Append(newBottleneck(rng, in, planes, s, downsample))
			} else {
				stage.Append(newBasicBlock(rng, in, planes, s, downsample))
			}
			in = planes * expansion
		}
		m.layers[i] = addChild(m, fmt.Sprintf("layer%d", i+1), stage)
	}
	m.avgpool = addChild(m, "avgpool", nn.NewAdaptiveAvgPool2d(1, 1))
	m.fc = addChild(m, "fc", nn.NewLinear(rng, in, o.Classes, true))
	for _, sub := range nn.Modules(m) {
		if c, ok := sub.Value.(*nn.Conv2d); ok {
			nn.KaimingNormal(rng, c.Weight.Value, 0, nn.FanOut)
		}
	}
	return m
}

func (m *resNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.normalize, x)
	x = autograd.Relu(nn.Call(m.bn1, nn.Call(m.conv1, x)))
	x = nn.Call(m.maxpool, x)
	for _, l := range m.layers {
		x = nn.Call(l, x)
	}
	return nn.Call(m.fc, autograd.Flatten(nn.Call(m.avgpool, x)))
}

// basicBlock is torchvision's BasicBlock: two 3x3 convolutions.
type basicBlock struct {
	*nn.Base
	conv1, conv2 *nn.Conv2d
	bn1, bn2     *nn.BatchNorm2d
	downsample   *nn.Sequential // nil: identity
}

func newBasicBlock(rng *rand.Rand, in, planes, stride int, downsample *nn.Sequential) *basicBlock {
	b := &basicBlock{Base: nn.NewBase()}
	b.conv1 = addChild(b, "conv1", conv3x3(rng, in, planes, stride))
	b.bn1 = addChild(b, "bn1", nn.NewBatchNorm2d(planes))
	b.conv2 = addChild(b, "conv2", conv3x3(rng, planes, planes, 1))
	b.bn2 = addChild(b, "bn2", nn.NewBatchNorm2d(planes))
	if downsample != nil {
		b.downsample = addChild(b, "downsample", downsample)
	}
	return b
}

func (b *basicBlock) Forward(x *autograd.Var) *autograd.Var {
	out := autograd.Relu(nn.Call(b.bn1, nn.Call(b.conv1, x)))
	out = nn.Call(b.bn2, nn.Call(b.conv2, out))
	return autograd.Relu(autograd.Add(out, shortcut(b.downsample, x)))
}

// bottleneck is torchvision's Bottleneck: 1x1 down to planes, 3x3 (with
// the stride), 1x1 up to 4*planes.
type bottleneck struct {
	*nn.Base
	conv1, conv2, conv3 *nn.Conv2d
	bn1, bn2, bn3       *nn.BatchNorm2d
	downsample          *nn.Sequential // nil: identity
}

func newBottleneck(rng *rand.Rand, in, planes, stride int, downsample *nn.Sequential) *bottleneck {
	b := &bottleneck{Base: nn.NewBase()}
	b.conv1 = addChild(b, "conv1", conv1x1(rng, in, planes, 1))
	b.bn1 = addChild(b, "bn1", nn.NewBatchNorm2d(planes))
	b.conv2 = addChild(b, "conv2", conv3x3(rng, planes, planes, stride))
	b.bn2 = addChild(b, "bn2", nn.NewBatchNorm2d(planes))
	b.conv3 = addChild(b, "conv3", conv1x1(rng, planes, planes*4, 1))
	b.bn3 = addChild(b, "bn3", nn.NewBatchNorm2d(planes*4))
	if downsample != nil {
		b.downsample = addChild(b, "downsample", downsample)
	}
	return b
}

func (b *bottleneck) Forward(x *autograd.Var) *autograd.Var {
	out := autograd.Relu(nn.Call(b.bn1, nn.Call(b.conv1, x)))
	out = autograd.Relu(nn.Call(b.bn2, nn.Call(b.conv2, out)))
	out = nn.Call(b.bn3, nn.Call(b.conv3, out))
	return autograd.Relu(autograd.Add(out, shortcut(b.downsample, x)))
}

// shortcut applies a block's optional projection to its input.
func shortcut(downsample *nn.Sequential, x *autograd.Var) *autograd.Var {
	if downsample == nil {
		return x
	}
	return nn.Call(downsample, x)
}
