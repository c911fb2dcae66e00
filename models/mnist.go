package models

import (
	"math/rand/v2"

	"robustlab/autograd"
	"robustlab/nn"
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
		build: func(o Options, rng *rand.Rand) nn.Module { return newMadryMNIST(o, rng) },
	})
}

type madryMNIST struct {
	*nn.Base
	normalize    *nn.Normalize
	conv1, conv2 *nn.Conv2d
	fc1, fc2     *nn.Linear
}

func newMadryMNIST(o Options, rng *rand.Rand) *madryMNIST {
	same := autograd.ConvOptions{Padding: [2]int{2, 2}}
	m := &madryMNIST{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", nn.NewConv2d(rng, o.InChannels, 32, 5, same, true))
	m.conv2 = addChild(m, "conv2", nn.NewConv2d(rng, 32, 64, 5, same, true))
	m.fc1 = addChild(m, "fc1", nn.NewLinear(rng, 7*7*64, 1024, true))
	m.fc2 = addChild(m, "fc2", nn.NewLinear(rng, 1024, o.Classes, true))
	return m
}

func (m *madryMNIST) Forward(x *autograd.Var) *autograd.Var {
	pool := autograd.PoolOptions{Kernel: 2, Stride: 2}
	x = nn.Call(m.normalize, x)
	x = autograd.MaxPool2d(autograd.Relu(nn.Call(m.conv1, x)), pool)
	x = autograd.MaxPool2d(autograd.Relu(nn.Call(m.conv2, x)), pool)
	x = autograd.Relu(nn.Call(m.fc1, autograd.Flatten(x)))
	return nn.Call(m.fc2, x)
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
		build: func(o Options, rng *rand.Rand) nn.Module { return newWongMNIST(o, rng) },
	})
}

type wongMNIST struct {
	*nn.Base
	normalize    *nn.Normalize
	conv1, conv2 *nn.Conv2d
	fc1, fc2     *nn.Linear
}

func newWongMNIST(o Options, rng *rand.Rand) *wongMNIST {
	half := autograd.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	m := &wongMNIST{Base: nn.NewBase()}
	m.normalize = addChild(m, "normalize", nn.NewNormalize(o.Mean, o.Std))
	m.conv1 = addChild(m, "conv1", nn.NewConv2d(rng, o.InChannels, 16, 4, half, true))
	m.conv2 = addChild(m, "conv2", nn.NewConv2d(rng, 16, 32, 4, half, true))
	m.fc1 = addChild(m, "fc1", nn.NewLinear(rng, 7*7*32, 100, true))
	m.fc2 = addChild(m, "fc2", nn.NewLinear(rng, 100, o.Classes, true))
	return m
}

func (m *wongMNIST) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.normalize, x)
	x = autograd.Relu(nn.Call(m.conv1, x))
	x = autograd.Relu(nn.Call(m.conv2, x))
	x = autograd.Relu(nn.Call(m.fc1, autograd.Flatten(x)))
	return nn.Call(m.fc2, x)
}
