package optim

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// SGDConfig configures SGD. The zero value is plain gradient descent.
type SGDConfig struct {
	// Momentum is the factor of the velocity (0.9 is usual; 0 disables).
	Momentum float64 `json:"momentum"`
	// Dampening scales the gradient's contribution to the velocity by
	// 1 - Dampening (PyTorch's dampening; 0 is usual).
	Dampening float64 `json:"dampening,omitempty"`
	// Nesterov uses Nesterov momentum (Sutskever et al. 2013, in PyTorch's
	// form); it needs Momentum > 0 and Dampening 0.
	Nesterov bool `json:"nesterov,omitempty"`
	// WeightDecay adds WeightDecay * w to each gradient (L2 regularization).
	WeightDecay float64 `json:"weight_decay"`
	// NoDecay, if set, exempts some parameters from weight decay.
	NoDecay NoDecay `json:"-"`
}

// SGD is stochastic gradient descent with momentum, PyTorch's torch.optim.SGD:
//
//	d = g + wd*w
//	v = d (first step), else v = momentum*v + (1-dampening)*d
//	d = d + momentum*v (Nesterov), else d = v
//	w = w - lr*d
type SGD struct {
	cfg    SGDConfig
	params []param
	// buf holds each parameter's velocity, nil until its first step.
	buf []*tensor.Tensor
}

// NewSGD returns SGD over params (from nn.Parameters).
func NewSGD(params []nn.Named[*autograd.Var], c SGDConfig) (*SGD, error) {
	switch {
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return nil, fmt.Errorf("optim: SGD momentum %g outside [0, 1)", c.Momentum)
	case !(c.Dampening >= 0 && c.Dampening <= 1):
		return nil, fmt.Errorf("optim: SGD dampening %g outside [0, 1]", c.Dampening)
	case c.Nesterov && (c.Momentum == 0 || c.Dampening != 0):
		return nil, fmt.Errorf("optim: Nesterov momentum needs momentum > 0 and dampening 0 (got %g and %g)", c.Momentum, c.Dampening)
	}
	ps, err := newParams(params, c.WeightDecay, c.NoDecay)
	if err != nil {
		return nil, err
	}
	return &SGD{cfg: c, params: ps, buf: make([]*tensor.Tensor, len(ps))}, nil
}

// Step applies one update with learning rate lr.
func (s *SGD) Step(lr float64) {
	mom, damp := float32(s.cfg.Momentum), float32(1-s.cfg.Dampening)
	negLR := float32(-lr)
	for i, p := range s.params {
		if !p.active() {
			continue
		}
		w, g := p.v.Value.Data(), p.v.Grad.Data()
		if mom == 0 {
			for j, gj := range g {
				w[j] += negLR * (gj + p.decay*w[j])
			}
			continue
		}
		first := s.buf[i] == nil
		if first {
			s.buf[i] = tensor.New(p.v.Shape()...)
		}
		v := s.buf[i].Data()
		for j, gj := range g {
			d := gj + p.decay*w[j]
			if first {
				v[j] = d
			} else {
				v[j] = mom*v[j] + damp*d
			}
			if s.cfg.Nesterov {
				d += mom * v[j]
			} else {
				d = v[j]
			}
			w[j] += negLR * d
		}
	}
}

// ZeroGrad zeroes every parameter's gradient.
func (s *SGD) ZeroGrad() { zeroGrad(s.params) }

// State returns copies of the velocities as "momentum_buffer.<name>".
func (s *SGD) State() map[string]*tensor.Tensor {
	st := map[string]*tensor.Tensor{}
	for i, p := range s.params {
		if s.buf[i] != nil {
			st["momentum_buffer."+p.name] = s.buf[i].Clone()
		}
	}
	return st
}

// LoadState restores velocities saved by State; parameters without one
// start afresh, as before their first step.
func (s *SGD) LoadState(state map[string]*tensor.Tensor) error {
	l := stateLoader{byName: byName(s.params), kinds: map[string][]int{"momentum_buffer": nil}, state: state}
	if err := l.check(); err != nil {
		return err
	}
	for i, p := range s.params {
		s.buf[i] = nil
		if t, ok := state["momentum_buffer."+p.name]; ok {
			s.buf[i] = t.Clone()
		}
	}
	return nil
}
