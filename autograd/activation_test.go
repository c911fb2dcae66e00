package autograd

import (
	"math"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

func refSigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// refSoftplus is log(1+e^(beta v))/beta as written, fine for the moderate
// inputs of the gradient checks.
func refSoftplus(beta float64) func(float64) float64 {
	return func(v float64) float64 { return math.Log(1+math.Exp(beta*v)) / beta }
}

func TestGradActivations(t *testing.T) {
	checkGradBoth(t, []gradCase{
		unaryCase("relu", awayFromZero(11, 3, 4, 5), Relu, func(v float64) float64 { return math.Max(v, 0) }),
		unaryCase("leakyRelu", awayFromZero(12, 3, 4, 5), func(x *Var) *Var { return LeakyRelu(x, 0.2) },
			func(v float64) float64 {
				if v > 0 {
					return v
				}
				return 0.2 * v
			}),
		// Sigmoid's backward forms y (1 - y) from the output y, rounded
		// once to float32: 1 - y is off by up to u y, far more than u (1 -
		// y) near y = 1, so the gradient by u y^2. Tanh's forms 1 - y^2
		// from a y^2 that carries 3 u y^2 (y's rounding twice, y*y's once).
		withRounding(unaryCase("sigmoid", randT(13, -6, 6, 3, 4, 5), Sigmoid, refSigmoid),
			func(v float64) float64 { return refSigmoid(v) * refSigmoid(v) }),
		withRounding(unaryCase("tanh", randT(14, -3, 3, 3, 4, 5), Tanh, math.Tanh),
			func(v float64) float64 { return 3 * math.Tanh(v) * math.Tanh(v) }),
		unaryCase("softplus", randT(15, -6, 6, 3, 4, 5), func(x *Var) *Var { return Softplus(x, 1) }, refSoftplus(1)),
		unaryCase("softplusBeta", randT(16, -3, 3, 3, 4, 5), func(x *Var) *Var { return Softplus(x, 2.5) }, refSoftplus(2.5)),
	})
}

// TestActivationsExtremeInputs: no overflow to Inf or NaN where the true
// value is finite.
func TestActivationsExtremeInputs(t *testing.T) {
	x := tensor.FromSlice([]float32{-1000, -100, -30, 30, 100, 1000}, 6)
	for _, c := range []struct {
		name string
		op   func(*Var) *Var
		f    func(float64) float64
	}{
		{"sigmoid", Sigmoid, func(v float64) float64 {
			if v < 0 {
				return math.Exp(v) / (1 + math.Exp(v))
			}
			return 1 / (1 + math.Exp(-v))
		}},
		{"tanh", Tanh, math.Tanh},
		{"softplus", func(x *Var) *Var { return Softplus(x, 1) }, func(v float64) float64 {
			return math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
		}},
	} {
		tp := NewTape()
		in := tp.Input(x)
		y := c.op(in)
		tp.BackwardWith(y, tensor.Full(1, 6), in)
		for i, v := range y.Data() {
			want := c.f(float64(x.Data()[i]))
			if !(math.Abs(float64(v)-want) <= 1e-6*math.Max(1, math.Abs(want))) {
				t.Errorf("%s(%g) = %g, want %g", c.name, x.Data()[i], v, want)
			}
			if g := in.Grad.Data()[i]; math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				t.Errorf("%s'(%g) = %g", c.name, x.Data()[i], g)
			}
		}
	}
}

func TestSoftplusBadBetaPanics(t *testing.T) {
	for _, beta := range []float32{0, -1, float32(math.NaN())} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Softplus with beta %g did not panic", beta)
				}
			}()
			tp := NewTape()
			Softplus(tp.Input(tensor.New(2)), beta)
		}()
	}
}

// refLogSoftmax is log-softmax over rows of length k, computed directly as
// x - log(sum(exp(x))) in float64 (the inputs of the checks are moderate).
func refLogSoftmax(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/k; r++ {
		s := 0.0
		for _, v := range x[r*k : (r+1)*k] {
			s += math.Exp(v)
		}
		for i, v := range x[r*k : (r+1)*k] {
			out[r*k+i] = v - math.Log(s)
		}
	}
	return out
}

func TestGradSoftmax(t *testing.T) {
	var cases []gradCase
	for i, shape := range [][]int{{4, 7}, {2, 3, 5}, {3, 1}, {6}} {
		k := shape[len(shape)-1]
		x := randT(uint64(20+i), -3, 3, shape...)
		cases = append(cases,
			gradCase{
				name:   "logSoftmax" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return LogSoftmax(in[0]) },
				ref:    func(in [][]float64) []float64 { return refLogSoftmax(in[0], k) },
			},
			gradCase{
				name:   "softmax" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return Softmax(in[0]) },
				ref: func(in [][]float64) []float64 {
					out := refLogSoftmax(in[0], k)
					for i, v := range out {
						out[i] = math.Exp(v)
					}
					return out
				},
			})
	}
	checkGradBoth(t, cases)
}

// TestSoftmaxStable: logits far beyond exp's float range give the exact
// result, since only differences to the row maximum are exponentiated.
func TestSoftmaxStable(t *testing.T) {
	tp := NewTape()
	x := tp.Input(tensor.FromSlice([]float32{1000, 999, -1000, -5000, -5001, -5000}, 2, 3))
	p, lp := Softmax(x).Data(), LogSoftmax(x).Data()
	e := math.Exp(-1.0)
	want := []float64{1 / (1 + e), e / (1 + e), 0, 1 / (2 + e), e / (2 + e), 1 / (2 + e)}
	for i, w := range want {
		if !(math.Abs(float64(p[i])-w) <= 1e-6) {
			t.Errorf("softmax[%d] = %g, want %g", i, p[i], w)
		}
		if w > 0 && !(math.Abs(float64(lp[i])-math.Log(w)) <= 1e-5) {
			t.Errorf("logSoftmax[%d] = %g, want %g", i, lp[i], math.Log(w))
		}
	}
	if w := -2000 - math.Log1p(e); !(math.Abs(float64(lp[2])-w) <= 1e-3) {
		t.Errorf("logSoftmax[2] = %g, want %g", lp[2], w)
	}
}

func BenchmarkSigmoid(b *testing.B) {
	tp := NewTape()
	x := randT(1, -4, 4, 128, 16, 32, 32)
	for b.Loop() {
		tp.Reset()
		Sigmoid(tp.Input(x))
	}
}
