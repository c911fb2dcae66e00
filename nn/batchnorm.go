package nn

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// BatchNorm2d normalizes each channel of x [N,C,H,W] (Ioffe & Szegedy 2015),
// with PyTorch's nn.BatchNorm2d names, defaults and running statistics: in
// training mode it uses the batch's statistics and updates the running ones;
// in evaluation mode it uses the running ones.
//
// PyTorch keeps num_batches_tracked as an int64 scalar; here it is a float32
// buffer of shape [] (exact up to 2^24 batches). It counts training forwards
// and only matters to PyTorch when momentum is None (a cumulative average,
// which robustlab does not offer); it is kept so that state dicts map one to
// one, and a .pth importer converts the int64 to float32.
type BatchNorm2d struct {
	*Base
	// Weight (gamma) and Bias (beta) are [C], initialized to 1 and 0.
	Weight, Bias *autograd.Var
	// RunningMean and RunningVar are [C] buffers, initialized to 0 and 1.
	RunningMean, RunningVar *tensor.Tensor
	// NumBatchesTracked is a [] buffer counting training forwards.
	NumBatchesTracked *tensor.Tensor
	// Momentum of the running statistics (0.1) and Eps added to the
	// variance (1e-5), PyTorch's defaults.
	Momentum, Eps float32
}

// NewBatchNorm2d returns a batch norm over c channels with PyTorch's
// defaults.
func NewBatchNorm2d(c int) *BatchNorm2d {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm2d: %d channels", c))
	}
	b := &BatchNorm2d{Base: NewBase(), Momentum: 0.1, Eps: 1e-5}
	b.Weight = b.Param("weight", autograd.NewParam(tensor.Full(1, c)))
	b.Bias = b.Param("bias", autograd.NewParam(tensor.New(c)))
	b.RunningMean = b.Buffer("running_mean", tensor.New(c))
	b.RunningVar = b.Buffer("running_var", tensor.Full(1, c))
	b.NumBatchesTracked = b.Buffer("num_batches_tracked", tensor.Scalar(0))
	return b
}

// Forward normalizes x [N,C,H,W].
func (b *BatchNorm2d) Forward(x *autograd.Var) *autograd.Var {
	training := b.Training()
	if training {
		b.NumBatchesTracked.Data()[0]++
	}
	return autograd.BatchNorm2d(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar,
		autograd.BatchNormOptions{Training: training, Momentum: b.Momentum, Eps: b.Eps})
}

// CallAct runs the layer on x as Call(b, x) does, then adds residual (if
// not nil) and applies a ReLU (if relu): the end of a residual block, or
// the activation after a convolution. The three run as one operation
// (autograd.BatchNorm2dAct), which is faster and keeps less memory for the
// backward pass, unless a hook on b must see b's own output.
func (b *BatchNorm2d) CallAct(x, residual *autograd.Var, relu bool) *autograd.Var {
	if len(b.hooks) > 0 {
		out := Call(b, x)
		if residual != nil {
			out = autograd.Add(out, residual)
		}
		if relu {
			out = autograd.Relu(out)
		}
		return out
	}
	training := b.Training()
	if training {
		b.NumBatchesTracked.Data()[0]++
	}
	return autograd.BatchNorm2dAct(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, residual, relu,
		autograd.BatchNormOptions{Training: training, Momentum: b.Momentum, Eps: b.Eps})
}
