package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// Conv2d is a 2-D convolution layer (PyTorch's nn.Conv2d) with a square
// kernel: x [N,Cin,H,W] -> [N,Cout,OH,OW].
type Conv2d struct {
	*Base
	// Weight is [Cout, Cin/Groups, K, K], registered as "weight".
	Weight *autograd.Var
	// Bias is [Cout] ("bias"), or nil for a layer without bias.
	Bias *autograd.Var
	// Options are the stride, padding, dilation and groups.
	Options autograd.ConvOptions
}

// NewConv2d returns a convolution from in to out channels with a kernel x
// kernel window, initialized as PyTorch does by default: weight and bias
// from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5)),
// drawn from rng in that order. It panics if the channels do not divide by
// the groups: models check their options before building layers.
func NewConv2d(rng *rand.Rand, in, out, kernel int, o autograd.ConvOptions, bias bool) *Conv2d {
	groups := max(o.Groups, 1)
	if in <= 0 || out <= 0 || kernel <= 0 || in%groups != 0 || out%groups != 0 {
		panic(fmt.Sprintf("nn: NewConv2d: in %d, out %d, kernel %d, groups %d", in, out, kernel, groups))
	}
	c := &Conv2d{Base: NewBase(), Options: o}
	w := tensor.New(out, in/groups, kernel, kernel)
	KaimingUniform(rng, w, math.Sqrt(5), FanIn)
	c.Weight = c.Param("weight", autograd.NewParam(w))
	if bias {
		b := tensor.New(out)
		fanIn, _ := Fans(w.Shape())
		BiasUniform(rng, b, fanIn)
		c.Bias = c.Param("bias", autograd.NewParam(b))
	}
	return c
}

// Forward convolves x [N,Cin,H,W].
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, c.Weight, c.Bias, c.Options)
}
