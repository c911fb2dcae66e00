package optim

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// AdamConfig configures Adam and AdamW.
type AdamConfig struct {
	// Beta1 and Beta2 are the decay rates of the first and second moment
	// estimates, in [0, 1) (0.9 and 0.999 usually).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Eps is added to the denominator, after the bias-corrected square
	// root (1e-8 usually).
	Eps float64 `json:"eps"`
	// WeightDecay: Adam adds WeightDecay * w to the gradient (L2); AdamW
	// shrinks the weights by lr * WeightDecay before the update (decoupled
	// weight decay).
	WeightDecay float64 `json:"weight_decay"`
	// NoDecay, if set, exempts some parameters from weight decay.
	NoDecay NoDecay `json:"-"`
}

// DefaultAdamConfig returns PyTorch's defaults: betas 0.9 and 0.999, eps
// 1e-8, no weight decay (torch.optim.AdamW's default decay is 0.01).
func DefaultAdamConfig() AdamConfig { return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Adam is Kingma & Ba 2015 (Algorithm 1) in PyTorch's form
// (torch.optim.Adam, and torch.optim.AdamW when decoupled, Loshchilov &
// Hutter 2019, Algorithm 2), for step t = 1, 2, ...:
//
//	w = w * (1 - lr*wd)                    (AdamW only)
//	g = g + wd*w                           (Adam only)
//	m = b1*m + (1-b1)*g
//	v = b2*v + (1-b2)*g*g
//	w = w - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
//
// Each parameter counts its own steps, as in PyTorch, so one that had no
// gradient for a while is corrected for the steps it took.
type Adam struct {
	cfg       AdamConfig
	decoupled bool
	params    []param
	// step, m and v are each parameter's step count and moments, nil
	// until its first step.
	step []float64
	m, v []*tensor.Tensor
}

// NewAdam returns Adam (L2 weight decay added to the gradient).
func NewAdam(params []nn.Named[*autograd.Var], c AdamConfig) (*Adam, error) {
	return newAdam(params, c, false)
}

// NewAdamW returns AdamW (decoupled weight decay).
func NewAdamW(params []nn.Named[*autograd.Var], c AdamConfig) (*Adam, error) {
	return newAdam(params, c, true)
}

func newAdam(params []nn.Named[*autograd.Var], c AdamConfig, decoupled bool) (*Adam, error) {
	switch {
	case !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1):
		return nil, fmt.Errorf("optim: Adam betas %g and %g must lie in [0, 1)", c.Beta1, c.Beta2)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return nil, fmt.Errorf("optim: Adam eps %g must be positive (1e-8 is usual)", c.Eps)
	}
	ps, err := newParams(params, c.WeightDecay, c.NoDecay)
	if err != nil {
		return nil, err
	}
	n := len(ps)
	return &Adam{cfg: c, decoupled: decoupled, params: ps,
		step: make([]float64, n), m: make([]*tensor.Tensor, n), v: make([]*tensor.Tensor, n)}, nil
}

// Step applies one update with learning rate lr.
func (a *Adam) Step(lr float64) {
	b1, b2 := float32(a.cfg.Beta1), float32(a.cfg.Beta2)
	c1, c2 := float32(1-a.cfg.Beta1), float32(1-a.cfg.Beta2)
	eps := float32(a.cfg.Eps)
	for i, p := range a.params {
		if !p.active() {
			continue
		}
		if a.m[i] == nil {
			a.m[i], a.v[i] = tensor.New(p.v.Shape()...), tensor.New(p.v.Shape()...)
		}
		a.step[i]++
		t := a.step[i]
		// The bias corrections are computed in float64, as PyTorch does
		// with Python floats.
		negStep := float32(-lr / (1 - math.Pow(a.cfg.Beta1, t)))
		bc2Sqrt := float32(math.Sqrt(1 - math.Pow(a.cfg.Beta2, t)))
		shrink := float32(1 - lr*float64(p.decay))
		w, g, m, v := p.v.Value.Data(), p.v.Grad.Data(), a.m[i].Data(), a.v[i].Data()
		for j, gj := range g {
			if a.decoupled {
				w[j] *= shrink
			} else {
				gj += p.decay * w[j]
			}
			m[j] = b1*m[j] + c1*gj
			v[j] = b2*v[j] + c2*gj*gj
			denom := float32(math.Sqrt(float64(v[j])))/bc2Sqrt + eps
			w[j] += negStep * (m[j] / denom)
		}
	}
}

// ZeroGrad zeroes every parameter's gradient.
func (a *Adam) ZeroGrad() { zeroGrad(a.params) }

// State returns copies of the moments and step counts as "exp_avg.<name>",
// "exp_avg_sq.<name>" and "step.<name>" (a scalar), PyTorch's names.
func (a *Adam) State() map[string]*tensor.Tensor {
	st := map[string]*tensor.Tensor{}
	for i, p := range a.params {
		if a.m[i] != nil {
			st["exp_avg."+p.name] = a.m[i].Clone()
			st["exp_avg_sq."+p.name] = a.v[i].Clone()
			st["step."+p.name] = tensor.Scalar(float32(a.step[i]))
		}
	}
	return st
}

// LoadState restores a state saved by State: for each parameter all three
// entries or none (not yet stepped).
func (a *Adam) LoadState(state map[string]*tensor.Tensor) error {
	l := stateLoader{byName: byName(a.params), kinds: map[string][]int{"exp_avg": nil, "exp_avg_sq": nil, "step": {}}, state: state}
	if err := l.check(); err != nil {
		return err
	}
	for _, p := range a.params {
		n := 0
		for _, k := range []string{"exp_avg.", "exp_avg_sq.", "step."} {
			if _, ok := state[k+p.name]; ok {
				n++
			}
		}
		if n != 0 && n != 3 {
			return fmt.Errorf("optim: Adam state of %q is incomplete: it needs exp_avg, exp_avg_sq and step", p.name)
		}
		if s, ok := state["step."+p.name]; ok {
			if t := s.Item(); t < 1 || t != float32(math.Trunc(float64(t))) {
				return fmt.Errorf("optim: Adam state %q is %g, not a step count", "step."+p.name, t)
			}
		}
	}
	for i, p := range a.params {
		a.m[i], a.v[i], a.step[i] = nil, nil, 0
		if s, ok := state["step."+p.name]; ok {
			a.m[i], a.v[i] = state["exp_avg."+p.name].Clone(), state["exp_avg_sq."+p.name].Clone()
			a.step[i] = float64(s.Item())
		}
	}
	return nil
}
