// Package nn builds models from autograd operations: the Module interface
// (a forward on the tape, named parameters and buffers with PyTorch's names,
// train and eval mode), the layers robustlab's models are made of, PyTorch's
// default initializations, and state dicts.
package nn

import (
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// Module is a layer or a model. Forward records its computation on x's tape.
type Module interface {
	Forward(x *autograd.Var) *autograd.Var
	// Core gives access to the module's registered parameters, buffers,
	// children and mode; embed *Base (via NewBase) to implement it. (It
	// cannot be called Base: the embedded field of that name would hide it.)
	Core() *Base
}

// Named pairs a name with a value, in registration order.
type Named[T any] struct {
	Name  string
	Value T
}

// Base holds what a module registers: its parameters, buffers (such as
// batch norm's running statistics) and child modules, by name, and whether
// it is in training mode.
type Base struct {
	params   []Named[*autograd.Var]
	buffers  []Named[*tensor.Tensor]
	children []Named[Module]
	training bool
	hooks    []*forwardHook // run by Call after Forward (see hook.go)
}

// Core returns b itself, so that a struct embedding *Base is a Module once
// it has a Forward method.
func (b *Base) Core() *Base { return b }

// NewBase returns an empty Base in training mode (as PyTorch modules start).
func NewBase() *Base { return &Base{training: true} }

// Param registers a parameter under name and returns it.
func (b *Base) Param(name string, v *autograd.Var) *autograd.Var {
	b.params = append(b.params, Named[*autograd.Var]{name, v})
	return v
}

// Buffer registers a non-trainable tensor saved in the state dict.
func (b *Base) Buffer(name string, t *tensor.Tensor) *tensor.Tensor {
	b.buffers = append(b.buffers, Named[*tensor.Tensor]{name, t})
	return t
}

// Child registers a submodule under name and returns it.
func (b *Base) Child(name string, m Module) Module {
	b.children = append(b.children, Named[Module]{name, m})
	return m
}

// Training reports whether the module is in training mode.
func (b *Base) Training() bool { return b.training }

// Children returns the direct submodules in registration order.
func (b *Base) Children() []Named[Module] { return b.children }

// SetTraining puts m and all its submodules in training (true) or
// evaluation (false) mode.
func SetTraining(m Module, training bool) {
	b := m.Core()
	b.training = training
	for _, c := range b.children {
		SetTraining(c.Value, training)
	}
}

// EvalMode puts m in evaluation mode (batch norm's running statistics, no
// dropout) and returns a function that restores the mode m was in: every
// measurement runs a model so, and leaves it as it found it.
func EvalMode(m Module) (restore func()) {
	was := m.Core().Training()
	SetTraining(m, false)
	return func() { SetTraining(m, was) }
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Parameters returns every parameter of m and its submodules with its full
// PyTorch-style name ("layer1.0.conv1.weight"), depth first in registration
// order.
func Parameters(m Module) []Named[*autograd.Var] {
	var out []Named[*autograd.Var]
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		b := m.Core()
		for _, p := range b.params {
			out = append(out, Named[*autograd.Var]{join(prefix, p.Name), p.Value})
		}
		for _, c := range b.children {
			walk(join(prefix, c.Name), c.Value)
		}
	}
	walk("", m)
	return out
}

// Buffers returns every buffer of m and its submodules with its full name.
func Buffers(m Module) []Named[*tensor.Tensor] {
	var out []Named[*tensor.Tensor]
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		b := m.Core()
		for _, p := range b.buffers {
			out = append(out, Named[*tensor.Tensor]{join(prefix, p.Name), p.Value})
		}
		for _, c := range b.children {
			walk(join(prefix, c.Name), c.Value)
		}
	}
	walk("", m)
	return out
}
