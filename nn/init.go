package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/tensor"
)

// FanMode selects which fan Kaiming initialization scales by.
type FanMode int

// Fan modes, as torch.nn.init's mode argument.
const (
	// FanIn preserves the variance of activations in the forward pass.
	FanIn FanMode = iota
	// FanOut preserves the variance of gradients in the backward pass
	// (torchvision's ResNets use it).
	FanOut
)

// Fans returns the fan-in and fan-out of a weight of shape [out, in, k...]
// (a linear layer's [out, in], a convolution's [out, in/groups, kh, kw]), as
// torch.nn.init computes them: the receptive field size times the number of
// input or output channels.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: Fans needs a weight of at least 2 axes, got shape %s", tensor.FormatShape(shape)))
	}
	field := 1
	for _, d := range shape[2:] {
		field *= d
	}
	return shape[1] * field, shape[0] * field
}

func fan(shape []int, mode FanMode) int {
	in, out := Fans(shape)
	if mode == FanOut {
		return out
	}
	return in
}

// kaimingStd is gain / sqrt(fan) with the leaky-ReLU gain sqrt(2 / (1 + a²))
// (He et al. 2015, eq. 10 for the forward case and its mirror for FanOut).
func kaimingStd(shape []int, a float64, mode FanMode) float64 {
	return math.Sqrt(2/(1+a*a)) / math.Sqrt(float64(fan(shape, mode)))
}

// KaimingUniform fills w with draws from U(-b, b), b = sqrt(3) * gain /
// sqrt(fan), as torch.nn.init.kaiming_uniform_(w, a, mode). With a = sqrt(5)
// and FanIn, b = 1/sqrt(fan_in): PyTorch's default for Conv2d and Linear
// weights.
func KaimingUniform(rng *rand.Rand, w *tensor.Tensor, a float64, mode FanMode) {
	b := float32(math.Sqrt(3) * kaimingStd(w.Shape(), a, mode))
	w.FillUniform(rng, -b, b)
}

// KaimingNormal fills w with draws from N(0, std²), std = gain / sqrt(fan),
// as torch.nn.init.kaiming_normal_(w, a, mode); a = 0 is the ReLU gain
// sqrt(2).
func KaimingNormal(rng *rand.Rand, w *tensor.Tensor, a float64, mode FanMode) {
	w.FillNormal(rng, 0, float32(kaimingStd(w.Shape(), a, mode)))
}

// BiasUniform fills a bias with draws from U(-1/sqrt(fanIn), 1/sqrt(fanIn)),
// PyTorch's default for the bias of Conv2d and Linear.
func BiasUniform(rng *rand.Rand, b *tensor.Tensor, fanIn int) {
	if fanIn <= 0 {
		b.Fill(0)
		return
	}
	bound := float32(1 / math.Sqrt(float64(fanIn)))
	b.FillUniform(rng, -bound, bound)
}
