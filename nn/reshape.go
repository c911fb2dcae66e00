package nn

import "github.com/robustlab/robustlab/autograd"

// Flatten reshapes x [N,...] to [N, rest].
type Flatten struct{ *Base }

// NewFlatten returns a Flatten module.
func NewFlatten() *Flatten { return &Flatten{NewBase()} }

// Forward flattens all axes after the first.
func (f *Flatten) Forward(x *autograd.Var) *autograd.Var { return autograd.Flatten(x) }

// Identity returns its input (a placeholder where a layer is optional).
type Identity struct{ *Base }

// NewIdentity returns an Identity module.
func NewIdentity() *Identity { return &Identity{NewBase()} }

// Forward returns x.
func (i *Identity) Forward(x *autograd.Var) *autograd.Var { return x }
