package models

import (
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// smallcnn is robustlab's model for studies that must finish in minutes on
// two cores: three conv-BN-ReLU stages of w, 2w and 4w channels (3x3,
// padding 1; a 2x2 max pool after the first two), global average pooling
// and "fc". At w = 32 it has 95k parameters and costs about 10M
// multiply-adds per 32x32 image, a quarter of ResNet-20. The stages are
// named layer1..layer3 (Sequentials: ".0" conv, ".1" batch norm), so that
// "layer3" is its GradCAM layer as for the CIFAR ResNets.
func init() {
	register(&arch{
		Info: Info{
			Name:         "smallcnn",
			Doc:          "small fast CNN for quick studies: 3 conv-BN-ReLU stages, global pooling",
			FeatureLayer: "layer3", MinInputSize: 4,
		},
		classes: 10, channels: 3, width: 32,
		build: func(o Options, rng *rand.Rand) nn.Module { return newSmallCNN(o, rng) },
	})
}

type smallCNN struct {
	*nn.Base
	normalize *nn.Normalize
	layers    [3]*nn.Sequential
	fc        *nn.Linear
}

func newSmallCNN(o Options, rng *rand.Rand) *smallCNN {
	w := o.Width
	m := &smallCNN{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	stage := func(in, out int, pool bool) *nn.Sequential {
		s := nn.NewSequential(conv3x3(rng, in, out, 1), nn.NewBatchNorm2d(out), nn.NewReLU())
		if pool {
			s.Append(nn.NewMaxPool2d(2, 2, 0))
		}
		return s
	}
	m.layers[0] = addChild(m, "layer1", stage(o.InChannels, w, true))
	m.layers[1] = addChild(m, "layer2", stage(w, 2*w, true))
	m.layers[2] = addChild(m, "layer3", stage(2*w, 4*w, false))
	m.fc = addChild(m, "fc", nn.NewLinear(rng, 4*w, o.Classes, true))
	return m
}

func (m *smallCNN) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.normalize, x)
	for _, l := range m.layers {
		x = nn.Call(l, x)
	}
	return nn.Call(m.fc, autograd.Flatten(autograd.GlobalAvgPool2d(x)))
}
