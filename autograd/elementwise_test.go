package autograd

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// checkGradBoth runs each case twice: as it comes (small tensors run on the
// calling goroutine) and with every operation forced onto three workers,
// so that the chunked code paths are checked against the same references.
func checkGradBoth(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
		t.Run(c.name+"/parallel", func(t *testing.T) {
			defer forceParallel()()
			checkGrad(t, c)
		})
	}
}

// forceParallel makes every operation chunk its work over three workers and
// returns the function that undoes it.
func forceParallel() func() {
	oldMin, oldThreads := parallelMinElems, kernels.SetThreads(3)
	parallelMinElems = 1
	return func() {
		parallelMinElems = oldMin
		kernels.SetThreads(oldThreads)
	}
}

// refBroadcastShape is numpy's rule, written out independently of the
// package's broadcasting code.
func refBroadcastShape(a, b []int) []int {
	r := max(len(a), len(b))
	out := make([]int, r)
	for d := range out {
		da, db := 1, 1
		if i := len(a) - r + d; i >= 0 {
			da = a[i]
		}
		if i := len(b) - r + d; i >= 0 {
			db = b[i]
		}
		out[d] = da
		if da == 1 {
			out[d] = db
		}
	}
	return out
}

// refOffset maps the multi-index of an output element to the offset of the
// element of an operand of shape s that broadcasts to it.
func refOffset(idx, s []int) int {
	off := 0
	skip := len(idx) - len(s)
	for d, n := range s {
		i := idx[skip+d]
		if n == 1 {
			i = 0
		}
		off = off*n + i
	}
	return off
}

// refBinary is the float64 reference of a broadcasting binary operation:
// it decodes every output index in full, no shortcuts.
func refBinary(as, bs []int, f func(a, b float64) float64) refFunc {
	out := refBroadcastShape(as, bs)
	return func(in [][]float64) []float64 {
		res := make([]float64, tensor.Numel(out))
		idx := make([]int, len(out))
		for k := range res {
			rem := k
			for d := len(out) - 1; d >= 0; d-- {
				idx[d] = rem % out[d]
				rem /= out[d]
			}
			res[k] = f(in[0][refOffset(idx, as)], in[1][refOffset(idx, bs)])
		}
		return res
	}
}

// broadcastPairs are shape pairs every binary operation is checked on.
var broadcastPairs = [][2][]int{
	{{2, 3, 4, 5}, {2, 3, 4, 5}},
	{{2, 3, 4, 5}, {1, 3, 1, 1}},
	{{2, 3, 4, 5}, {2, 3, 1, 1}},
	{{2, 3, 4, 5}, {3, 1, 1}},
	{{2, 3, 4, 5}, {}},
	{{2, 3, 4, 5}, {5}},
	{{2, 3, 4, 5}, {2, 1, 4, 1}},
	{{1, 3, 1, 1}, {2, 3, 4, 5}},
	{{3, 1}, {1, 4}},
	{{2, 1, 3, 1}, {1, 4, 1, 5}},
	{{4, 5}, {3, 1, 1}},
	{{1}, {1, 1}},
	{{6}, {1, 6}},
}

func TestGradBroadcastBinary(t *testing.T) {
	ops := []struct {
		name string
		op   func(a, b *Var) *Var
		f    func(a, b float64) float64
	}{
		{"add", Add, func(a, b float64) float64 { return a + b }},
		{"sub", Sub, func(a, b float64) float64 { return a - b }},
		{"mul", Mul, func(a, b float64) float64 { return a * b }},
		{"div", Div, func(a, b float64) float64 { return a / b }},
	}
	var cases []gradCase
	for i, sh := range broadcastPairs {
		for j, op := range ops {
			seed := uint64(100*i + 10*j)
			a := randT(seed, -1, 1, sh[0]...)
			b := randT(seed+1, -1, 1, sh[1]...)
			if op.name == "div" {
				b = randT(seed+1, 0.5, 1.5, sh[1]...)
			}
			cases = append(cases, gradCase{
				name:   fmt.Sprintf("%s%v%v", op.name, sh[0], sh[1]),
				inputs: []*tensor.Tensor{a, b},
				build:  func(in []*Var) *Var { return op.op(in[0], in[1]) },
				ref:    refBinary(sh[0], sh[1], op.f),
			})
		}
	}
	checkGradBoth(t, cases)
}

func TestBroadcastShapes(t *testing.T) {
	tp := NewTape()
	for _, sh := range broadcastPairs {
		got := Add(tp.Input(tensor.New(sh[0]...)), tp.Input(tensor.New(sh[1]...))).Shape()
		if want := refBroadcastShape(sh[0], sh[1]); !tensor.SameShape(got, want) {
			t.Errorf("%v + %v: shape %v, want %v", sh[0], sh[1], got, want)
		}
	}
}

func TestBroadcastMismatchPanics(t *testing.T) {
	for _, sh := range [][2][]int{{{2, 3}, {4, 3}}, {{2, 3, 4}, {3, 2}}, {{5}, {4}}} {
		func() {
			defer func() {
				var se *tensor.ShapeError
				err, _ := recover().(error)
				if !errors.As(err, &se) || !tensor.SameShape(se.Got, sh[1]) || !tensor.SameShape(se.Expected, sh[0]) {
					t.Errorf("%v * %v: recovered %v, want a *tensor.ShapeError naming both shapes", sh[0], sh[1], err)
				}
			}()
			tp := NewTape()
			Mul(tp.Input(tensor.New(sh[0]...)), tp.Input(tensor.New(sh[1]...)))
		}()
	}
}

// TestBinaryOnlyNeededGrads: with a broadcast weight on one side, asking for
// one input's gradient must leave the other without one.
func TestBinaryOnlyNeededGrads(t *testing.T) {
	for _, op := range []func(a, b *Var) *Var{Add, Sub, Mul, Div} {
		tp := NewTape()
		x := tp.Input(randT(1, 0.5, 1, 2, 3, 4, 4))
		w := NewParam(randT(2, 0.5, 1, 1, 3, 1, 1))
		y := op(x, w)
		tp.BackwardWith(y, tensor.Full(1, y.Shape()...), x)
		if x.Grad == nil || w.Grad != nil {
			t.Fatalf("asked for the input only: input grad %v, weight grad %v", x.Grad, w.Grad)
		}
		tp.BackwardWith(y, tensor.Full(1, y.Shape()...), w)
		if x.Grad != nil || w.Grad == nil {
			t.Fatalf("asked for the weight only: input grad %v, weight grad %v", x.Grad, w.Grad)
		}
	}
}

// unaryCase is a gradient check of an element-wise operation against a
// float64 function of one value.
func unaryCase(name string, x *tensor.Tensor, op func(*Var) *Var, f func(float64) float64) gradCase {
	return gradCase{
		name:   name,
		inputs: []*tensor.Tensor{x},
		build:  func(in []*Var) *Var { return op(in[0]) },
		ref: func(in [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for i, v := range in[0] {
				out[i] = f(v)
			}
			return out
		},
	}
}

// withRounding gives a unary case the rounding bound |r_k| m(x_k) per
// element, in units of u (see gradCase.rounding).
func withRounding(c gradCase, m func(x float64) float64) gradCase {
	c.rounding = func(in [][]float64, r []float64) [][]float64 {
		extra := make([]float64, len(in[0]))
		for k, x := range in[0] {
			extra[k] = math.Abs(r[k]) * m(x)
		}
		return [][]float64{extra}
	}
	return c
}

func TestGradElementwiseUnary(t *testing.T) {
	checkGradBoth(t, []gradCase{
		unaryCase("scale", randT(1, -2, 2, 3, 4, 5), func(x *Var) *Var { return Scale(x, -1.5) },
			func(v float64) float64 { return -1.5 * v }),
		unaryCase("addScalar", randT(2, -2, 2, 3, 4, 5), func(x *Var) *Var { return AddScalar(x, 0.25) },
			func(v float64) float64 { return v + 0.25 }),
		unaryCase("square", randT(3, -2, 2, 3, 4, 5), Square, func(v float64) float64 { return v * v }),
		unaryCase("sqrt", randT(4, 0.1, 3, 3, 4, 5), Sqrt, math.Sqrt),
		unaryCase("exp", randT(5, -3, 3, 3, 4, 5), Exp, math.Exp),
		unaryCase("log", randT(6, 0.1, 3, 3, 4, 5), Log, math.Log),
		unaryCase("abs", awayFromZero(7, 3, 4, 5), Abs, math.Abs),
		unaryCase("clamp", clampInput(8), func(x *Var) *Var { return Clamp(x, -0.5, 0.5) },
			func(v float64) float64 { return math.Min(math.Max(v, -0.5), 0.5) }),
		unaryCase("clampEmptyRange", clampInput(9), func(x *Var) *Var { return Clamp(x, 0.5, 0.5) },
			func(v float64) float64 { return 0.5 }),
	})
}

// clampInput is a tensor in [-1, 1] kept 0.05 away from the bounds ±0.5,
// so that finite differences do not straddle Clamp's kinks.
func clampInput(seed uint64) *tensor.Tensor {
	x := randT(seed, -1, 1, 3, 4, 5)
	for i, v := range x.Data() {
		if d := math.Abs(math.Abs(float64(v)) - 0.5); d < 0.05 {
			x.Data()[i] = v * 0.8
		}
	}
	return x
}

// TestSubgradientsAtKinks pins the gradient each operation takes where it
// is not differentiable (PyTorch's choices): Abs and Relu 0 at 0, LeakyRelu
// slope at 0, Clamp passing the gradient at its bounds.
func TestSubgradientsAtKinks(t *testing.T) {
	x := tensor.FromSlice([]float32{-0.5, 0, 0.5, 0.7}, 4)
	for _, c := range []struct {
		name string
		op   func(*Var) *Var
		want []float32
	}{
		{"abs", Abs, []float32{-1, 0, 1, 1}},
		{"relu", Relu, []float32{0, 0, 1, 1}},
		{"leakyRelu", func(x *Var) *Var { return LeakyRelu(x, 0.1) }, []float32{0.1, 0.1, 1, 1}},
		{"clamp", func(x *Var) *Var { return Clamp(x, -0.5, 0.5) }, []float32{1, 1, 1, 0}},
	} {
		tp := NewTape()
		in := tp.Input(x)
		y := c.op(in)
		tp.BackwardWith(y, tensor.Full(1, 4), in)
		for i, v := range in.Grad.Data() {
			if v != c.want[i] {
				t.Errorf("%s: gradient at %g = %g, want %g", c.name, x.Data()[i], v, c.want[i])
			}
		}
	}
}

func TestClampBadBoundsPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "lower bound 1 is above upper bound -1") {
			t.Fatalf("Clamp(x, 1, -1) recovered %v, want a panic naming the bounds", r)
		}
	}()
	tp := NewTape()
	Clamp(tp.Input(tensor.New(2)), 1, -1)
}

// TestBroadcastLarge runs the broadcasting operations on a tensor above the
// parallel threshold: the results match a float64 reference and are
// bit-identical with 1, 2 and 3 workers.
func TestBroadcastLarge(t *testing.T) {
	xs, bs := []int{8, 16, 24, 24}, []int{1, 16, 1, 1}
	x, b := randT(1, -1, 1, xs...), randT(2, 0.5, 1.5, bs...)
	g := randT(3, -1, 1, xs...)
	run := func() [][]float32 {
		tp := NewTape()
		xv, bv := tp.Input(x), tp.Input(b)
		y := Div(Mul(Sub(Add(xv, bv), bv), bv), bv) // x, with every path through b
		tp.BackwardWith(y, g, xv, bv)
		return [][]float32{y.Value.Clone().Data(), xv.Grad.Clone().Data(), bv.Grad.Clone().Data()}
	}
	old := kernels.SetThreads(1)
	defer kernels.SetThreads(old)
	want := run()
	for _, th := range []int{2, 3} {
		kernels.SetThreads(th)
		got := run()
		for k := range want {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("%d workers: result %d differs at %d: %g vs %g", th, k, i, got[k][i], want[k][i])
				}
			}
		}
	}
	// y = ((x+b-b)*b)/b = x: dy/dx = 1 and dy/db = 0 analytically.
	for i, v := range want[0] {
		if !(math.Abs(float64(v-x.Data()[i])) <= 1e-6) {
			t.Fatalf("forward[%d] = %g, want %g", i, v, x.Data()[i])
		}
	}
	for i, v := range want[1] {
		if !(math.Abs(float64(v-g.Data()[i])) <= 1e-6) {
			t.Fatalf("dx[%d] = %g, want %g", i, v, g.Data()[i])
		}
	}
	for i, v := range want[2] {
		if !(math.Abs(float64(v)) <= 1e-3) {
			t.Fatalf("db[%d] = %g, want 0", i, v)
		}
	}
}

// TestBroadcastReduceLarge checks the gradient of a per-channel operand on a
// large tensor against float64 sums.
func TestBroadcastReduceLarge(t *testing.T) {
	for _, bs := range [][]int{{1, 16, 1, 1}, {8, 1, 1, 24}, {24}, {}, {1, 16, 24, 24}} {
		xs := []int{8, 16, 24, 24}
		x, b := randT(4, -1, 1, xs...), randT(5, -1, 1, bs...)
		g := randT(6, -1, 1, xs...)
		tp := NewTape()
		xv, bv := tp.Input(x), tp.Input(b)
		y := Mul(xv, bv)
		tp.BackwardWith(y, g, bv)
		want := make([]float64, b.Len())
		idx := make([]int, 4)
		for k := range x.Data() {
			rem := k
			for d := 3; d >= 0; d-- {
				idx[d] = rem % xs[d]
				rem /= xs[d]
			}
			want[refOffset(idx, bs)] += float64(g.Data()[k]) * float64(x.Data()[k])
		}
		for j, w := range want {
			if got := float64(bv.Grad.Data()[j]); !(math.Abs(got-w) <= 1e-4*math.Max(1, math.Abs(w))) {
				t.Fatalf("b %v: grad[%d] = %g, want %g", bs, j, got, w)
			}
		}
	}
}

func BenchmarkAddPerChannel(b *testing.B) {
	tp := NewTape()
	x := randT(1, -1, 1, 128, 16, 32, 32)
	c := randT(2, -1, 1, 1, 16, 1, 1)
	for b.Loop() {
		tp.Reset()
		Add(tp.Input(x), tp.Input(c))
	}
}

func BenchmarkMulSameShape(b *testing.B) {
	tp := NewTape()
	x := randT(1, -1, 1, 128, 16, 32, 32)
	y := randT(2, -1, 1, 128, 16, 32, 32)
	for b.Loop() {
		tp.Reset()
		Mul(tp.Input(x), tp.Input(y))
	}
}

// BenchmarkMulPerChannelBackward is the backward of x*w with w [1,C,1,1],
// both gradients asked for: one pass over x for dx, one reduction for dw.
func BenchmarkMulPerChannelBackward(b *testing.B) {
	tp := NewTape()
	x := randT(1, -1, 1, 128, 16, 32, 32)
	w := randT(2, -1, 1, 1, 16, 1, 1)
	g := randT(3, -1, 1, 128, 16, 32, 32)
	for b.Loop() {
		tp.Reset()
		xv, wv := tp.Input(x), tp.Input(w)
		tp.BackwardWith(Mul(xv, wv), g, xv, wv)
	}
}

func BenchmarkRelu(b *testing.B) {
	tp := NewTape()
	x := randT(1, -1, 1, 128, 16, 32, 32)
	g := randT(3, -1, 1, 128, 16, 32, 32)
	for b.Loop() {
		tp.Reset()
		xv := tp.Input(x)
		tp.BackwardWith(Relu(xv), g, xv)
	}
}

// TestBroadcastEmptyBatch: an empty batch broadcasts to an empty result and
// gives the broadcast operand a zero gradient, without touching memory that
// is not there.
func TestBroadcastEmptyBatch(t *testing.T) {
	for _, op := range []func(a, b *Var) *Var{Add, Sub, Mul, Div} {
		tp := NewTape()
		x := tp.Input(tensor.New(0, 3, 2))
		w := tp.Input(randT(1, 0.5, 1, 1, 3, 1))
		y := op(x, w)
		if !tensor.SameShape(y.Shape(), []int{0, 3, 2}) {
			t.Fatalf("shape %v, want [0 3 2]", y.Shape())
		}
		tp.BackwardWith(y, tensor.New(0, 3, 2), x, w)
		for _, v := range w.Grad.Data() {
			if v != 0 {
				t.Fatalf("weight gradient %v, want zeros", w.Grad.Data())
			}
		}
	}
}

// TestOpsDeterministicAcrossWorkers runs every operation on tensors above
// the parallel threshold with 1, 2 and 3 workers: outputs and gradients must
// be bit-identical, since no result may depend on how work is split.
func TestOpsDeterministicAcrossWorkers(t *testing.T) {
	shape := []int{16, 8, 24, 24}
	x := randT(200, -2, 2, shape...)
	pos := randT(201, 0.1, 2, shape...)
	w := randT(202, 0.5, 1.5, 1, 8, 1, 1)
	probs := randT(203, 0.01, 1, shape...)
	labels := make([]int, 16*8*24)
	for i := range labels {
		labels[i] = i % 24
	}
	ops := map[string]func(in []*Var) *Var{
		"add":      func(in []*Var) *Var { return Add(in[0], in[2]) },
		"sub":      func(in []*Var) *Var { return Sub(in[2], in[0]) },
		"mul":      func(in []*Var) *Var { return Mul(in[0], in[2]) },
		"div":      func(in []*Var) *Var { return Div(in[0], in[2]) },
		"scale":    func(in []*Var) *Var { return Scale(in[0], 0.3) },
		"square":   func(in []*Var) *Var { return Square(in[0]) },
		"sqrt":     func(in []*Var) *Var { return Sqrt(in[1]) },
		"exp":      func(in []*Var) *Var { return Exp(in[0]) },
		"log":      func(in []*Var) *Var { return Log(in[1]) },
		"abs":      func(in []*Var) *Var { return Abs(in[0]) },
		"clamp":    func(in []*Var) *Var { return Clamp(in[0], -1, 1) },
		"relu":     func(in []*Var) *Var { return Relu(in[0]) },
		"leaky":    func(in []*Var) *Var { return LeakyRelu(in[0], 0.1) },
		"sigmoid":  func(in []*Var) *Var { return Sigmoid(in[0]) },
		"tanh":     func(in []*Var) *Var { return Tanh(in[0]) },
		"softplus": func(in []*Var) *Var { return Softplus(in[0], 2) },
		"dropout":  func(in []*Var) *Var { return Dropout(in[0], 0.3, true, tensor.NewRNG(5)) },
		"softmax":  func(in []*Var) *Var { return Softmax(in[0]) },
		"logsm":    func(in []*Var) *Var { return LogSoftmax(in[0]) },
		"ce": func(in []*Var) *Var {
			return CrossEntropy(Reshape(in[0], -1, 24), labels, 0.1)
		},
		"kl":   func(in []*Var) *Var { return KLDiv(LogSoftmax(in[0]), in[3]) },
		"sum":  func(in []*Var) *Var { return Sum(in[0]) },
		"mean": func(in []*Var) *Var { return Mean(in[0]) },
		"cms": func(in []*Var) *Var {
			m, s := ChannelMeanStd(in[0], 1e-5)
			return Add(m, s)
		},
		"l2":   func(in []*Var) *Var { return L2NormPerExample(in[0]) },
		"linf": func(in []*Var) *Var { return LinfNormPerExample(in[0]) },
	}
	run := func(op func([]*Var) *Var) [][]float32 {
		tp := NewTape()
		in := []*Var{tp.Input(x), tp.Input(pos), tp.Input(w), tp.Input(probs)}
		y := op(in)
		tp.BackwardWith(y, randT(204, -1, 1, y.Shape()...), in...)
		res := [][]float32{y.Value.Clone().Data()}
		for _, v := range in {
			if v.Grad != nil {
				res = append(res, v.Grad.Clone().Data())
			}
		}
		return res
	}
	old := kernels.SetThreads(1)
	defer kernels.SetThreads(old)
	for name, op := range ops {
		kernels.SetThreads(1)
		want := run(op)
		for _, th := range []int{2, 3} {
			kernels.SetThreads(th)
			got := run(op)
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s with %d workers: result %d differs at %d: %g vs %g", name, th, k, i, got[k][i], want[k][i])
					}
				}
			}
		}
	}
}
