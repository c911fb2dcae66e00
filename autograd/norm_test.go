package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// refNorms returns per-example L2 and Linf norms of rows of length d.
func refNorms(x []float64, d int) (l2, linf []float64) {
	n := len(x) / d
	l2, linf = make([]float64, n), make([]float64, n)
	for e := range n {
		for _, v := range x[e*d : (e+1)*d] {
			l2[e] += v * v
			linf[e] = math.Max(linf[e], math.Abs(v))
		}
		l2[e] = math.Sqrt(l2[e])
	}
	return l2, linf
}

func TestGradNormsPerExample(t *testing.T) {
	var cases []gradCase
	for i, shape := range [][]int{{4, 3, 5}, {3, 7}, {5}, {2, 1, 2, 3}} {
		d := tensor.Numel(shape[1:])
		x := awayFromZero(uint64(110+i), shape...) // distinct |x|: no ties
		cases = append(cases,
			gradCase{
				name:   "l2" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return L2NormPerExample(in[0]) },
				ref:    func(in [][]float64) []float64 { l2, _ := refNorms(in[0], d); return l2 },
			},
			gradCase{
				name:   "linf" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return LinfNormPerExample(in[0]) },
				ref:    func(in [][]float64) []float64 { _, li := refNorms(in[0], d); return li },
			})
	}
	// An all-zero example: its L2 norm's subgradient 0 is also what central
	// differences give, since the norm is even.
	z := randT(120, -1, 1, 3, 4)
	clear(z.Data()[4:8])
	cases = append(cases, gradCase{
		name:   "l2ZeroExample",
		inputs: []*tensor.Tensor{z},
		build:  func(in []*Var) *Var { return L2NormPerExample(in[0]) },
		ref:    func(in [][]float64) []float64 { l2, _ := refNorms(in[0], 4); return l2 },
	})
	checkGradBoth(t, cases)
}

// TestLinfTies pins the documented subgradient: the gradient is split
// evenly among the elements that share the maximum |x|, with their signs.
func TestLinfTies(t *testing.T) {
	tp := NewTape()
	x := tp.Input(tensor.FromSlice([]float32{3, -3, 1, 3, 0.5, -2, 2, 0, 0, 0, 0, 0}, 3, 4))
	y := LinfNormPerExample(x)
	tp.BackwardWith(y, tensor.FromSlice([]float32{1, 2, 5}, 3), x)
	wantY := []float32{3, 2, 0}
	wantG := []float32{1. / 3, -1. / 3, 0, 1. / 3, 0, -1, 1, 0, 0, 0, 0, 0}
	for i, v := range y.Data() {
		if v != wantY[i] {
			t.Errorf("norm[%d] = %g, want %g", i, v, wantY[i])
		}
	}
	for i, v := range x.Grad.Data() {
		if !(math.Abs(float64(v-wantG[i])) <= 1e-7) {
			t.Errorf("grad[%d] = %g, want %g", i, v, wantG[i])
		}
	}
}

func TestNormsNaN(t *testing.T) {
	tp := NewTape()
	x := tp.Input(tensor.FromSlice([]float32{1, float32(math.NaN()), 2, 3}, 2, 2))
	for name, y := range map[string]*Var{"l2": L2NormPerExample(x), "linf": LinfNormPerExample(x)} {
		if v := y.Data(); !math.IsNaN(float64(v[0])) || math.IsNaN(float64(v[1])) {
			t.Errorf("%s: %v, want NaN for the example holding a NaN only", name, v)
		}
	}
}

func TestNormBadShapePanics(t *testing.T) {
	for name, op := range map[string]func(*Var) *Var{"L2NormPerExample": L2NormPerExample, "LinfNormPerExample": LinfNormPerExample} {
		func() {
			defer func() {
				if r := recover(); r == nil || fmt.Sprint(r) != "autograd."+name+": x needs a batch axis, got shape []" {
					t.Errorf("%s of a scalar: recovered %v", name, r)
				}
			}()
			tp := NewTape()
			op(tp.Input(tensor.Scalar(1)))
		}()
	}
}
