package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// Linear is a fully connected layer (PyTorch's nn.Linear): x [N,In] ->
// x W^T + b [N,Out].
type Linear struct {
	*Base
	// Weight is [Out, In] ("weight").
	Weight *autograd.Var
	// Bias is [Out] ("bias"), or nil.
	Bias *autograd.Var
}

// NewLinear returns a layer from in to out features initialized as
// PyTorch's default: weight and bias from U(-1/sqrt(in), 1/sqrt(in)), drawn
// from rng in that order.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: NewLinear: in %d, out %d", in, out))
	}
	l := &Linear{Base: NewBase()}
	w := tensor.New(out, in)
	KaimingUniform(rng, w, math.Sqrt(5), FanIn)
	l.Weight = l.Param("weight", autograd.NewParam(w))
	if bias {
		b := tensor.New(out)
		BiasUniform(rng, b, in)
		l.Bias = l.Param("bias", autograd.NewParam(b))
	}
	return l
}

// Forward applies the layer to x [N,In].
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Linear(x, l.Weight, l.Bias)
}
