package optim

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// fixture is testdata/optim.json (see gen_optim.py).
type fixture struct {
	Problem struct{ W, A, C [][]float32 }
	Cases   []struct {
		Kind      string
		Hyper     hyper
		NoDecay1D bool `json:"no_decay_1d"`
		LRs       []float64
		Trace     [][][]float64
	}
}

var shapes = [][]int{{3, 4}, {5}}

// quadratic is the fixture's problem: parameters "w0" [3 4] and "w1" [5]
// and a function that sets their gradients to (w - c) * a in float32.
type quadratic struct {
	params []nn.Named[*autograd.Var]
	a, c   [][]float32
}

func newQuadratic(f *fixture) *quadratic {
	q := &quadratic{a: f.Problem.A, c: f.Problem.C}
	for i, w := range f.Problem.W {
		v := autograd.NewParam(tensor.FromSlice(slices.Clone(w), shapes[i]...))
		q.params = append(q.params, nn.Named[*autograd.Var]{Name: []string{"w0", "w1"}[i], Value: v})
	}
	return q
}

func (q *quadratic) setGrads() {
	for i, p := range q.params {
		g := tensor.New(shapes[i]...)
		for j, w := range p.Value.Data() {
			g.Data()[j] = (w - q.c[i][j]) * q.a[i][j]
		}
		p.Value.Grad = g
	}
}

func readFixture(t *testing.T) *fixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/optim.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 10 {
		t.Fatalf("optim.json has %d cases", len(f.Cases))
	}
	return &f
}

// hyper is PyTorch's keyword arguments of a case.
type hyper struct {
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	Dampening   float64 `json:"dampening"`
	WeightDecay float64 `json:"weight_decay"`
	Nesterov    bool    `json:"nesterov"`
	Betas       []float64
	Eps         float64
}

func build(t *testing.T, kind string, params []nn.Named[*autograd.Var], h hyper, noDecay1D bool) Optimizer {
	t.Helper()
	var nd NoDecay
	if noDecay1D {
		nd = NormAndBias
	}
	var opt Optimizer
	var err error
	switch kind {
	case "sgd":
		opt, err = NewSGD(params, SGDConfig{Momentum: h.Momentum, Dampening: h.Dampening, Nesterov: h.Nesterov, WeightDecay: h.WeightDecay, NoDecay: nd})
	default:
		c := DefaultAdamConfig()
		if h.Betas != nil {
			c.Beta1, c.Beta2 = h.Betas[0], h.Betas[1]
		}
		if h.Eps != 0 {
			c.Eps = h.Eps
		}
		c.WeightDecay, c.NoDecay = h.WeightDecay, nd
		if kind == "adam" {
			opt, err = NewAdam(params, c)
		} else {
			opt, err = NewAdamW(params, c)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// TestMatchesPyTorch runs each optimizer for 12 steps on the fixture's
// quadratic and compares every parameter after every step with PyTorch's.
func TestMatchesPyTorch(t *testing.T) {
	f := readFixture(t)
	for _, c := range f.Cases {
		q := newQuadratic(f)
		opt := build(t, c.Kind, q.params, c.Hyper, c.NoDecay1D)
		worst := 0.0
		for k, lr := range c.LRs {
			q.setGrads()
			opt.Step(lr)
			for i, p := range q.params {
				for j, w := range p.Value.Data() {
					want := c.Trace[k][i][j]
					worst = math.Max(worst, math.Abs(float64(w)-want)/math.Max(1, math.Abs(want)))
				}
			}
		}
		t.Logf("%s %+v: largest relative difference %.2g", c.Kind, c.Hyper, worst)
		// A few float32 roundings apart at most (PyTorch may fuse a
		// multiply-add where Go rounds twice).
		if !(worst <= 5e-7) { // NaN fails too
			t.Errorf("%s %+v: parameters differ from PyTorch's by %.2g (relative)", c.Kind, c.Hyper, worst)
		}
	}
}

// TestResumeIsBitIdentical: 6 steps, State, a fresh optimizer, LoadState,
// 6 more steps give exactly the parameters of 12 uninterrupted steps.
func TestResumeIsBitIdentical(t *testing.T) {
	f := readFixture(t)
	for _, c := range f.Cases {
		straight := newQuadratic(f)
		opt := build(t, c.Kind, straight.params, c.Hyper, c.NoDecay1D)
		for _, lr := range c.LRs {
			straight.setGrads()
			opt.Step(lr)
		}

		resumed := newQuadratic(f)
		first := build(t, c.Kind, resumed.params, c.Hyper, c.NoDecay1D)
		for _, lr := range c.LRs[:6] {
			resumed.setGrads()
			first.Step(lr)
		}
		state := first.State()
		second := build(t, c.Kind, resumed.params, c.Hyper, c.NoDecay1D)
		if err := second.LoadState(state); err != nil {
			t.Fatal(err)
		}
		for _, lr := range c.LRs[6:] {
			resumed.setGrads()
			second.Step(lr)
		}
		for i, p := range straight.params {
			if !slices.Equal(p.Value.Data(), resumed.params[i].Value.Data()) {
				t.Errorf("%s %+v: resumed run differs from the uninterrupted one", c.Kind, c.Hyper)
			}
		}
	}
}

func TestStateNamesAndCopies(t *testing.T) {
	f := readFixture(t)
	q := newQuadratic(f)
	adam, err := NewAdam(q.params, DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(adam.State()) != 0 {
		t.Fatal("state before the first step is not empty")
	}
	q.setGrads()
	adam.Step(0.1)
	adam.Step(0.1)
	st := adam.State()
	var keys []string
	for k := range st {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"exp_avg.w0", "exp_avg.w1", "exp_avg_sq.w0", "exp_avg_sq.w1", "step.w0", "step.w1"}
	if !slices.Equal(keys, want) || st["step.w0"].Item() != 2 || st["step.w0"].NDim() != 0 {
		t.Fatalf("state keys %v, step %v", keys, st["step.w0"])
	}
	st["exp_avg.w0"].Fill(99)
	if adam.State()["exp_avg.w0"].Data()[0] == 99 {
		t.Fatal("State does not copy")
	}

	sgd, _ := NewSGD(q.params, SGDConfig{Momentum: 0.9})
	sgd.Step(0.1)
	if _, ok := sgd.State()["momentum_buffer.w1"]; !ok || len(sgd.State()) != 2 {
		t.Fatalf("SGD state %v", sgd.State())
	}
}

func TestLoadStateErrors(t *testing.T) {
	f := readFixture(t)
	q := newQuadratic(f)
	adam, _ := NewAdam(q.params, DefaultAdamConfig())
	q.setGrads()
	adam.Step(0.1)
	good := adam.State()
	before := adam.State()
	for _, c := range []struct {
		name   string
		modify func(map[string]*tensor.Tensor)
		want   string
	}{
		{"wrong shape", func(s map[string]*tensor.Tensor) { s["exp_avg.w0"] = tensor.New(4, 3) }, `"exp_avg.w0" has shape [4 3], the parameter needs [3 4]`},
		{"unknown parameter", func(s map[string]*tensor.Tensor) { s["exp_avg.fc.weight"] = tensor.New(1) }, `unexpected "exp_avg.fc.weight"`},
		{"another optimizer's", func(s map[string]*tensor.Tensor) { s["momentum_buffer.w0"] = tensor.New(3, 4) }, `unexpected "momentum_buffer.w0"`},
		{"incomplete", func(s map[string]*tensor.Tensor) { delete(s, "exp_avg_sq.w1") }, `state of "w1" is incomplete`},
		{"bad step", func(s map[string]*tensor.Tensor) { s["step.w1"] = tensor.Scalar(1.5) }, "not a step count"},
		{"NaN", func(s map[string]*tensor.Tensor) { s["exp_avg.w1"].Data()[2] = float32(math.NaN()) }, "NaN or Inf"},
	} {
		s := map[string]*tensor.Tensor{}
		for k, v := range good {
			s[k] = v.Clone()
		}
		c.modify(s)
		err := adam.LoadState(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LoadState = %v, want an error containing %q", c.name, err, c.want)
		}
		for k, v := range adam.State() {
			if !slices.Equal(v.Data(), before[k].Data()) {
				t.Fatalf("%s: a failed LoadState changed %s", c.name, k)
			}
		}
	}
}

func TestSkipsFrozenAndGradless(t *testing.T) {
	f := readFixture(t)
	q := newQuadratic(f)
	sgd, _ := NewSGD(q.params, SGDConfig{})
	q.setGrads()
	q.params[0].Value.SetFrozen(true)
	q.params[1].Value.Grad = nil
	w0, w1 := slices.Clone(q.params[0].Value.Data()), slices.Clone(q.params[1].Value.Data())
	sgd.Step(0.1)
	if !slices.Equal(w0, q.params[0].Value.Data()) || !slices.Equal(w1, q.params[1].Value.Data()) {
		t.Fatal("a frozen or gradient-less parameter moved")
	}
	q.params[0].Value.SetFrozen(false)
	sgd.Step(0.1)
	if slices.Equal(w0, q.params[0].Value.Data()) {
		t.Fatal("an unfrozen parameter with a gradient did not move")
	}
	sgd.ZeroGrad()
	for _, g := range q.params[0].Value.Grad.Data() {
		if g != 0 {
			t.Fatal("ZeroGrad left a gradient")
		}
	}
}

func TestConfigErrors(t *testing.T) {
	q := newQuadratic(readFixture(t))
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nesterov without momentum", second(NewSGD(q.params, SGDConfig{Nesterov: true})), "Nesterov momentum needs momentum > 0"},
		{"momentum 1", second(NewSGD(q.params, SGDConfig{Momentum: 1})), "momentum 1 outside [0, 1)"},
		{"negative decay", second(NewSGD(q.params, SGDConfig{WeightDecay: -1})), "weight decay -1"},
		{"zero config Adam", second(NewAdam(q.params, AdamConfig{})), "eps 0 must be positive"},
		{"beta 1", second(NewAdamW(q.params, AdamConfig{Beta1: 1, Beta2: 0.9, Eps: 1e-8})), "betas 1 and 0.9"},
		{"duplicate", second(NewSGD(append(q.params, q.params[0]), SGDConfig{})), `"w0" is listed twice`},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }
