package nn

import "github.com/robustlab/robustlab/autograd"

// ReLU is max(x, 0) as a module (PyTorch's nn.ReLU).
type ReLU struct{ *Base }

// NewReLU returns a ReLU module.
func NewReLU() *ReLU { return &ReLU{NewBase()} }

// Forward returns max(x, 0).
func (r *ReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.Relu(x) }
