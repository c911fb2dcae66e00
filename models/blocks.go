package models

import (
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// The layers every ResNet here is made of.

// addChild registers m as parent's child name and returns it with its own
// type, so constructors can keep typed fields.
func addChild[T nn.Module](parent nn.Module, name string, m T) T {
	parent.Core().Child(name, m)
	return m
}

// stageStrides returns the strides of a stage's n blocks: only the first
// changes the resolution ([stride, 1, 1, ...], torchvision's _make_layer).
func stageStrides(n, stride int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	s[0] = stride
	return s
}

// conv3x3 is a 3x3 convolution with padding 1 and no bias (a batch norm
// follows it).
func conv3x3(rng *rand.Rand, in, out, stride int) *nn.Conv2d {
	return nn.NewConv2d(rng, in, out, 3, autograd.ConvOptions{Stride: [2]int{stride, stride}, Padding: [2]int{1, 1}}, false)
}

// conv1x1 is a 1x1 convolution without bias.
func conv1x1(rng *rand.Rand, in, out, stride int) *nn.Conv2d {
	return nn.NewConv2d(rng, in, out, 1, autograd.ConvOptions{Stride: [2]int{stride, stride}}, false)
}

// projection is the shortcut that changes shape with a 1x1 convolution and
// a batch norm, registered as ".0" and ".1" (He et al. 2016's option B,
// torchvision's downsample).
func projection(rng *rand.Rand, in, out, stride int) *nn.Sequential {
	return nn.NewSequential(conv1x1(rng, in, out, stride), nn.NewBatchNorm2d(out))
}
