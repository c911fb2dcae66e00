package autograd

import (
	"math/rand/v2"
)

// This file declares operations whose implementations are being written;
// each moves to its own file (with its forward and backward side by side)
// when done, and this file disappears.

// Sub returns a - b (broadcasting as Add).
func Sub(a, b *Var) *Var { panic("autograd.Sub: not implemented yet") }

// Div returns a / b (broadcasting as Add).
func Div(a, b *Var) *Var { panic("autograd.Div: not implemented yet") }

// Scale returns s*x.
func Scale(x *Var, s float32) *Var { panic("autograd.Scale: not implemented yet") }

// AddScalar returns x + s.
func AddScalar(x *Var, s float32) *Var { panic("autograd.AddScalar: not implemented yet") }

// LeakyRelu returns x for x > 0, slope*x otherwise.
func LeakyRelu(x *Var, slope float32) *Var { panic("autograd.LeakyRelu: not implemented yet") }

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x *Var) *Var { panic("autograd.Sigmoid: not implemented yet") }

// Tanh returns tanh(x).
func Tanh(x *Var) *Var { panic("autograd.Tanh: not implemented yet") }

// Softplus returns log(1+exp(beta*x))/beta.
func Softplus(x *Var, beta float32) *Var { panic("autograd.Softplus: not implemented yet") }

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p) when training; otherwise it returns x.
func Dropout(x *Var, p float32, training bool, rng *rand.Rand) *Var {
	panic("autograd.Dropout: not implemented yet")
}

// LogSoftmax over the last axis of x [N,K].
func LogSoftmax(x *Var) *Var { panic("autograd.LogSoftmax: not implemented yet") }

// Softmax over the last axis of x [N,K].
func Softmax(x *Var) *Var { panic("autograd.Softmax: not implemented yet") }

// CrossEntropy is the mean over the batch of -log softmax(logits)[label],
// with label smoothing s (PyTorch's label_smoothing): the target puts 1-s on
// the label and s/K on every class. logits [N,K].
func CrossEntropy(logits *Var, labels []int, smoothing float32) *Var {
	panic("autograd.CrossEntropy: not implemented yet")
}

// KLDiv is sum(p * (log p - logQ)) / N for target probabilities p [N,K] and
// log-probabilities logQ [N,K] (PyTorch's kl_div(logQ, p,
// reduction="batchmean")); both may carry gradients.
func KLDiv(logQ, p *Var) *Var { panic("autograd.KLDiv: not implemented yet") }

// ChannelMeanStd returns the per-example, per-channel spatial mean and
// standard deviation sqrt(var + eps) of x [N,C,H,W], each [N,C,1,1], as
// AdaIN needs (Huang & Belongie 2017; variance unbiased, as torch.var).
func ChannelMeanStd(x *Var, eps float32) (mean, std *Var) {
	panic("autograd.ChannelMeanStd: not implemented yet")
}

// Sum returns the sum of all elements of x as a one-element Var.
func Sum(x *Var) *Var { panic("autograd.Sum: not implemented yet") }

// Mean returns the mean of all elements of x as a one-element Var.
func Mean(x *Var) *Var { panic("autograd.Mean: not implemented yet") }

// L2NormPerExample returns ||x_i||_2 for each example of x [N,...]: [N].
func L2NormPerExample(x *Var) *Var { panic("autograd.L2NormPerExample: not implemented yet") }

// LinfNormPerExample returns max |x_i| for each example of x [N,...]: [N].
func LinfNormPerExample(x *Var) *Var {
	panic("autograd.LinfNormPerExample: not implemented yet")
}
