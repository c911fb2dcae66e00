package nn

import (
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/internal/gradcheck"
	"github.com/robustlab/robustlab/tensor"
)

// checkLayer tests a layer's forward and input gradient against an
// independent float64 reference with internal/gradcheck (the gradient of
// L = sum(r * f(x)) for a fixed random r against central differences of
// the reference, to what float32 allows), and proves the check would
// catch an input gradient off by 1e-4 relative.
func checkLayer(t *testing.T, name string, x *tensor.Tensor, f func(*autograd.Var) *autograd.Var, ref func([]float64) []float64) {
	t.Helper()
	x64 := make([]float64, x.Len())
	for i, v := range x.Data() {
		x64[i] = float64(v)
	}
	g := gradcheck.New(gradcheck.Case{Name: name, Inputs: [][]float64{x64},
		Ref: func(in [][]float64) []float64 { return ref(in[0]) }})
	run := func(scale float32) (gradcheck.Margin, error) {
		tp := autograd.NewTape()
		in := tp.Input(x)
		v := in
		if scale != 1 {
			v = scaledGrad(in, scale)
		}
		out := f(v)
		seed := g.Seed()
		if out.Value.Len() != len(seed) {
			return g.Compare(out.Data(), nil)
		}
		tp.BackwardWith(out, tensor.FromSlice(seed, out.Shape()...), in)
		var grad []float32
		if in.Grad != nil {
			grad = in.Grad.Data()
		}
		return g.Compare(out.Data(), [][]float32{grad})
	}
	m, err := run(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: worst forward error %.2f of its bound, gradient %.2f of its bound", name, m.Forward, m.Grad)
	if g.NonZero(0) {
		if _, err := run(1 + gradcheck.Perturbation); err == nil {
			t.Fatalf("%s: with the input gradient scaled by 1+%g the check still passes", name, gradcheck.Perturbation)
		}
	}
}

// scaledGrad records an identity whose backward scales the gradient by s,
// as a bug in the layer's backward would.
func scaledGrad(x *autograd.Var, s float32) *autograd.Var {
	tp := autograd.TapeOf(x)
	return tp.Record(x.Value, func(out *autograd.Var) {
		g := tp.GradOf(x).Data()
		for i, v := range out.Grad.Data() {
			g[i] += s * v
		}
	}, x)
}
