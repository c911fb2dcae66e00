package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// The gradient check every differentiable operation goes through.
//
// Each operation under test comes with an independent reference forward
// written in float64 (plain loops, no code shared with the operation). The
// check (1) compares the float32 forward with the reference, and (2)
// compares the float32 analytic gradient of L = sum(r * out), for a fixed
// random r, with central finite differences of the float64 reference,
// which are accurate to about 1e-9 and so test the gradient, not float32
// rounding.

// refFunc is a float64 reference forward over the op's inputs.
type refFunc func(in [][]float64) []float64

// gradCase is one operation on given inputs.
type gradCase struct {
	name   string
	inputs []*tensor.Tensor
	// wrt lists the indices of the inputs to differentiate (nil: all).
	wrt   []int
	build func(in []*Var) *Var
	ref   refFunc
	// tol is the tolerance on |a-b| / max(1, |b|) (default 2e-3).
	tol float64
}

func toF64(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i, v := range t.Data() {
		out[i] = float64(v)
	}
	return out
}

func checkGrad(t *testing.T, c gradCase) {
	t.Helper()
	tol := c.tol
	if tol == 0 {
		tol = 2e-3
	}
	ref64 := make([][]float64, len(c.inputs))
	for i, in := range c.inputs {
		ref64[i] = toF64(in)
	}
	want := c.ref(ref64)

	tp := NewTape()
	vars := make([]*Var, len(c.inputs))
	for i, in := range c.inputs {
		vars[i] = tp.Input(in)
	}
	out := c.build(vars)
	if out.Value.Len() != len(want) {
		t.Fatalf("%s: output has %d elements, reference %d", c.name, out.Value.Len(), len(want))
	}
	for i, v := range out.Data() {
		if d := math.Abs(float64(v)-want[i]) / math.Max(1, math.Abs(want[i])); d > tol || math.IsNaN(float64(v)) {
			t.Fatalf("%s: forward[%d] = %g, reference %g", c.name, i, v, want[i])
		}
	}

	rng := rand.New(rand.NewPCG(7, 11))
	r := make([]float64, len(want))
	rt := tensor.New(out.Shape()...)
	for i := range r {
		r[i] = rng.Float64()*2 - 1
		rt.Data()[i] = float32(r[i])
	}
	wrt := c.wrt
	if wrt == nil {
		for i := range c.inputs {
			wrt = append(wrt, i)
		}
	}
	targets := make([]*Var, len(wrt))
	for j, i := range wrt {
		targets[j] = vars[i]
	}
	tp.BackwardWith(out, rt, targets...)

	loss := func() float64 {
		o := c.ref(ref64)
		s := 0.0
		for i, v := range o {
			s += r[i] * v
		}
		return s
	}
	for _, i := range wrt {
		g := vars[i].Grad
		if g == nil {
			t.Fatalf("%s: no gradient for input %d", c.name, i)
		}
		for k := range ref64[i] {
			x0 := ref64[i][k]
			h := 1e-6 * math.Max(1, math.Abs(x0))
			ref64[i][k] = x0 + h
			lp := loss()
			ref64[i][k] = x0 - h
			lm := loss()
			ref64[i][k] = x0
			num := (lp - lm) / (2 * h)
			got := float64(g.Data()[k])
			if d := math.Abs(got-num) / math.Max(1, math.Abs(num)); d > tol || math.IsNaN(got) {
				t.Fatalf("%s: d/d input%d[%d] = %g, finite difference %g", c.name, i, k, got, num)
			}
		}
	}
}

// randT returns a seeded tensor of uniform values in [lo, hi).
func randT(seed uint64, lo, hi float32, shape ...int) *tensor.Tensor {
	return tensor.RandU(rand.New(rand.NewPCG(seed, 3)), lo, hi, shape...)
}

// awayFromZero returns a tensor whose elements have |x| in [0.1, 1), so that
// kinks at 0 (relu, abs) are not straddled by the finite difference.
func awayFromZero(seed uint64, shape ...int) *tensor.Tensor {
	t := randT(seed, 0.1, 1, shape...)
	rng := rand.New(rand.NewPCG(seed, 5))
	for i := range t.Data() {
		if rng.IntN(2) == 0 {
			t.Data()[i] = -t.Data()[i]
		}
	}
	return t
}

func TestGradElementwise(t *testing.T) {
	cases := []gradCase{
		{
			name:   "add",
			inputs: []*tensor.Tensor{randT(1, -1, 1, 2, 3), randT(2, -1, 1, 2, 3)},
			build:  func(in []*Var) *Var { return Add(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for i := range out {
					out[i] = in[0][i] + in[1][i]
				}
				return out
			},
		},
		{
			name:   "mul",
			inputs: []*tensor.Tensor{randT(3, -1, 1, 4, 5), randT(4, -1, 1, 4, 5)},
			build:  func(in []*Var) *Var { return Mul(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for i := range out {
					out[i] = in[0][i] * in[1][i]
				}
				return out
			},
		},
		{
			name:   "relu",
			inputs: []*tensor.Tensor{awayFromZero(5, 3, 7)},
			build:  func(in []*Var) *Var { return Relu(in[0]) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for i, v := range in[0] {
					out[i] = math.Max(v, 0)
				}
				return out
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

// TestBackwardOnlyWhatIsAsked: asking for the gradient of one input must
// leave the other without one.
func TestBackwardOnlyWhatIsAsked(t *testing.T) {
	tp := NewTape()
	a := tp.Input(randT(1, -1, 1, 3))
	w := NewParam(randT(2, -1, 1, 3))
	y := Mul(a, w)
	s := tp.Tensor(3)
	s.Fill(1)
	tp.BackwardWith(y, s, a)
	if a.Grad == nil || w.Grad != nil {
		t.Fatalf("asked for the input only: input grad %v, param grad %v", a.Grad, w.Grad)
	}
	tp.BackwardWith(y, s)
	if w.Grad == nil {
		t.Fatal("default targets must include the parameter")
	}
	for i, v := range w.Grad.Data() {
		if v != a.Value.Data()[i] {
			t.Fatalf("param grad[%d] = %g, want %g", i, v, a.Value.Data()[i])
		}
	}
	_ = fmt.Sprint
}
