package nn

import "github.com/robustlab/robustlab/autograd"

// MaxPool2d takes the maximum over each window of x [N,C,H,W].
type MaxPool2d struct {
	*Base
	// Options are the window, stride and zero padding.
	Options autograd.PoolOptions
}

// NewMaxPool2d returns a max pool; stride 0 means stride = kernel, as in
// PyTorch.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	return &MaxPool2d{NewBase(), poolOptions(kernel, stride, padding)}
}

// Forward pools x [N,C,H,W].
func (p *MaxPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.MaxPool2d(x, p.Options) }

// AvgPool2d averages each window of x [N,C,H,W] (padding counted, PyTorch's
// default).
type AvgPool2d struct {
	*Base
	// Options are the window, stride and zero padding.
	Options autograd.PoolOptions
}

// NewAvgPool2d returns an average pool; stride 0 means stride = kernel.
func NewAvgPool2d(kernel, stride, padding int) *AvgPool2d {
	return &AvgPool2d{NewBase(), poolOptions(kernel, stride, padding)}
}

// Forward pools x [N,C,H,W].
func (p *AvgPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.AvgPool2d(x, p.Options) }

func poolOptions(kernel, stride, padding int) autograd.PoolOptions {
	if stride == 0 {
		stride = kernel
	}
	return autograd.PoolOptions{Kernel: kernel, Stride: stride, Padding: padding}
}

// AdaptiveAvgPool2d averages x [N,C,H,W] into [N,C,H',W'] with PyTorch's bin
// boundaries, whatever the input size.
type AdaptiveAvgPool2d struct {
	*Base
	// H and W are the output size.
	H, W int
}

// NewAdaptiveAvgPool2d returns an adaptive average pool to h x w.
func NewAdaptiveAvgPool2d(h, w int) *AdaptiveAvgPool2d {
	return &AdaptiveAvgPool2d{NewBase(), h, w}
}

// Forward pools x [N,C,H,W] to [N,C,p.H,p.W].
func (p *AdaptiveAvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.AdaptiveAvgPool2d(x, p.H, p.W)
}
