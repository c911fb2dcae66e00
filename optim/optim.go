// Package optim updates a model's parameters from their gradients: SGD with
// momentum, Nesterov momentum and weight decay, Adam and AdamW, each with
// PyTorch's exact update order, and learning-rate schedules. An optimizer's
// state (momentum buffers, moment estimates, step counts) exports to named
// tensors and loads back, so a training run resumed from a checkpoint
// continues bit-identically.
//
// The learning rate is not part of an optimizer: the training loop computes
// it from a Schedule for each step and passes it to Step.
package optim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step updates every parameter that has a gradient and is not frozen,
	// with learning rate lr.
	Step(lr float64)
	// ZeroGrad zeroes the gradients of the optimizer's parameters.
	ZeroGrad()
	// State returns a copy of the optimizer's state as named tensors
	// ("<kind>.<parameter name>").
	State() map[string]*tensor.Tensor
	// LoadState replaces the state with one State returned, checking every
	// name and shape; on error nothing changes.
	LoadState(state map[string]*tensor.Tensor) error
}

// NoDecay says which parameters weight decay leaves alone.
type NoDecay func(name string, shape []int) bool

// NormAndBias exempts parameters of at most one axis (biases and batch
// norm's weight and bias) from weight decay, the usual split (e.g. Goyal et
// al. 2017's "no bias decay").
func NormAndBias(name string, shape []int) bool { return len(shape) <= 1 }

// param is one parameter with its weight decay.
type param struct {
	name  string
	v     *autograd.Var
	decay float32
}

func newParams(params []nn.Named[*autograd.Var], weightDecay float64, noDecay NoDecay) ([]param, error) {
	if !(weightDecay >= 0) || math.IsInf(weightDecay, 0) {
		return nil, fmt.Errorf("optim: weight decay %g is not a non-negative number", weightDecay)
	}
	seen := map[string]bool{}
	out := make([]param, len(params))
	for i, p := range params {
		if seen[p.Name] {
			return nil, fmt.Errorf("optim: parameter %q is listed twice", p.Name)
		}
		seen[p.Name] = true
		d := float32(weightDecay)
		if noDecay != nil && noDecay(p.Name, p.Value.Shape()) {
			d = 0
		}
		out[i] = param{p.Name, p.Value, d}
	}
	return out, nil
}

// active reports whether Step updates p now.
func (p param) active() bool { return p.v.Grad != nil && !p.v.Frozen() }

func zeroGrad(ps []param) {
	for _, p := range ps {
		p.v.ZeroGrad()
	}
}

// stateLoader checks a state map against the parameters before anything is
// copied: every key must be "<kind>.<parameter>" with a known kind and
// parameter and the right shape.
type stateLoader struct {
	byName map[string]param
	kinds  map[string][]int // kind -> shape, nil meaning the parameter's
	state  map[string]*tensor.Tensor
}

func (l stateLoader) check() error {
	var problems []string
	keys := make([]string, 0, len(l.state))
	for k := range l.state {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kind, name, _ := strings.Cut(k, ".")
		shape, okKind := l.kinds[kind]
		p, okName := l.byName[name]
		t := l.state[k]
		switch {
		case !okKind || !okName:
			problems = append(problems, fmt.Sprintf("unexpected %q", k))
		case t == nil:
			problems = append(problems, fmt.Sprintf("%q is nil", k))
		default:
			if shape == nil {
				shape = p.v.Shape()
			}
			if !tensor.SameShape(t.Shape(), shape) {
				problems = append(problems, fmt.Sprintf("%q has shape %s, the parameter needs %s",
					k, tensor.FormatShape(t.Shape()), tensor.FormatShape(shape)))
			} else if !t.AllFinite() {
				problems = append(problems, fmt.Sprintf("%q holds NaN or Inf", k))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("optim: optimizer state does not fit: %s", strings.Join(problems, "; "))
	}
	return nil
}

func byName(ps []param) map[string]param {
	m := make(map[string]param, len(ps))
	for _, p := range ps {
		m[p.name] = p
	}
	return m
}
