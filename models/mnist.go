package models

import (
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// The MNIST CNN of Madry et al. 2018 ("Towards Deep Learning Models
// Resistant to Adversarial Attacks"; mnist_challenge's model.py): 5x5
// convolutions to 32 and 64 channels with 'SAME' padding (2), each
// followed by ReLU and a 2x2 max pool, a 1024-unit ReLU layer and the
// output layer; 3.27M parameters. Names as the usual PyTorch port (conv1,
// conv2, fc1, fc2); PyTorch's default initialization rather than the
// original's truncated normal (std 0.1) and constant biases (0.1).
// Features are flattened in PyTorch's channel-major order, so weights from
// the TensorFlow original need their fc1 rows permuted on import.
func init() {
	register(&arch{
		Info: Info{
			Name:         "madry-mnist",
			Doc:          "MNIST CNN of Madry et al. 2018 (mnist_challenge), 28x28 inputs",
			FeatureLayer: "conv2", InputSize: 28, MinInputSize: 28,
		},
		classes: 10, channels: 1,
		build: func(o Options, rng *rand.Rand) nn.Module {
			return newMNISTCNN(o, rng, mnistLayout{conv: [2]int{32, 64}, kernel: 5, pool: true, hidden: 1024})
		},
	})
}

// The small MNIST CNN of Wong, Rice & Kolter 2020 ("Fast is better than
// free", their MNIST experiments): two 4x4 stride-2 convolutions (padding 1)
// to 16 and 32 channels, each followed by ReLU, a 100-unit ReLU layer and
// the output layer; 166k parameters. It is the network behind their
// published FGSM-RS result on MNIST (98.5% clean, 88.8% under PGD-50 with
// 10 restarts at eps 0.3).
func init() {
	register(&arch{
		Info: Info{
			Name:         "wong-mnist",
			Doc:          "small MNIST CNN of Wong et al. 2020 (\"Fast is better than free\"), 28x28 inputs",
			FeatureLayer: "conv2", InputSize: 28, MinInputSize: 28,
		},
		classes: 10, channels: 1,
		build: func(o Options, rng *rand.Rand) nn.Module {
			return newMNISTCNN(o, rng, mnistLayout{conv: [2]int{16, 32}, kernel: 4, pool: false, hidden: 100})
		},
	})
}

// mnistLayout is what the two MNIST CNNs differ in. Both halve the 28x28
// input twice, to 7x7: Madry et al.'s with 'SAME' convolutions followed by
// 2x2 max pools, Wong et al.'s with stride-2 convolutions (padding 1).
type mnistLayout struct {
	conv   [2]int // output channels of conv1 and conv2
	kernel int
	pool   bool // max-pool after each convolution (else the convolutions stride 2)
	hidden int  // units of fc1
}

// mnistCNN is conv1, ReLU, [pool], conv2, ReLU, [pool], fc1, ReLU, fc2.
type mnistCNN struct {
	*nn.Base
	pool         bool
	normalize    *nn.Normalize
	conv1, conv2 *nn.Conv2d
	fc1, fc2     *nn.Linear
}

func newMNISTCNN(o Options, rng *rand.Rand, l mnistLayout) *mnistCNN {
	conv := autograd.ConvOptions{Padding: [2]int{(l.kernel - 1) / 2, (l.kernel - 1) / 2}}
	if !l.pool {
		conv = autograd.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	}
	m := &mnistCNN{Base: nn.NewBase(), pool: l.pool}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", nn.NewConv2d(rng, o.InChannels, l.conv[0], l.kernel, conv, true))
	m.conv2 = addChild(m, "conv2", nn.NewConv2d(rng, l.conv[0], l.conv[1], l.kernel, conv, true))
	m.fc1 = addChild(m, "fc1", nn.NewLinear(rng, 7*7*l.conv[1], l.hidden, true))
	m.fc2 = addChild(m, "fc2", nn.NewLinear(rng, l.hidden, o.Classes, true))
	return m
}

func (m *mnistCNN) Forward(x *autograd.Var) *autograd.Var {
	stage := func(c *nn.Conv2d, x *autograd.Var) *autograd.Var {
		x = autograd.Relu(nn.Call(c, x))
		if m.pool {
			x = autograd.MaxPool2d(x, autograd.PoolOptions{Kernel: 2, Stride: 2})
		}
		return x
	}
	x = stage(m.conv2, stage(m.conv1, nn.Call(m.normalize, x)))
	x = autograd.Relu(nn.Call(m.fc1, autograd.Flatten(x)))
	return nn.Call(m.fc2, x)
}
