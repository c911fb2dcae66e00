package nn

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// Normalize is the first layer of every robustlab model: it maps images in
// [0,1] to the scale the rest of the model was trained on, out[n,c,h,w] =
// (x[n,c,h,w] - mean[c]) / std[c], as torchvision's transforms.Normalize.
// Keeping it inside the model means attack budgets stay in [0,1] pixel
// units and a model file carries its own normalization: Mean and Std are
// buffers ("mean", "std"), saved and loaded with the weights.
type Normalize struct {
	*Base
	// Mean and Std are [C] buffers; every Std element is positive.
	Mean, Std *tensor.Tensor
}

// NewNormalize returns a Normalize layer with per-channel mean and std
// (copied). It panics if the lengths differ or a std is not positive:
// models check their options first.
func NewNormalize(mean, std []float32) *Normalize {
	if len(mean) == 0 || len(mean) != len(std) {
		panic(fmt.Sprintf("nn: NewNormalize: %d means and %d standard deviations", len(mean), len(std)))
	}
	for c, s := range std {
		if !(s > 0) {
			panic(fmt.Sprintf("nn: NewNormalize: std[%d] = %g is not positive", c, s))
		}
	}
	n := &Normalize{Base: NewBase()}
	n.Mean = n.Buffer("mean", tensor.FromSlice(append([]float32(nil), mean...), len(mean)))
	n.Std = n.Buffer("std", tensor.FromSlice(append([]float32(nil), std...), len(std)))
	return n
}

// Forward normalizes x [N,C,H,W]; the gradient flows to x only (mean and
// std are constants). It divides rather than multiplying by 1/std so that
// its output matches PyTorch's bit for bit.
func (n *Normalize) Forward(x *autograd.Var) *autograd.Var {
	shape := x.Shape()
	channels := n.Mean.Len()
	if len(shape) != 4 || shape[1] != channels {
		panic(&tensor.ShapeError{Op: "nn.Normalize", Got: shape, Expected: []int{-1, channels, -1, -1}})
	}
	tp := autograd.TapeOf(x)
	plane := shape[2] * shape[3]
	mean, std := n.Mean.Data(), n.Std.Data()
	out := tp.ScratchTensor(shape...)
	xd, od := x.Data(), out.Data()
	for i := 0; i < len(xd); i += plane {
		c := (i / plane) % channels
		m, s := mean[c], std[c]
		for j, v := range xd[i : i+plane] {
			od[i+j] = (v - m) / s
		}
	}
	return tp.Record(out, func(o *autograd.Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		for i := 0; i < len(g); i += plane {
			s := std[(i/plane)%channels]
			for j, v := range g[i : i+plane] {
				xg[i+j] += v / s
			}
		}
	}, x)
}
