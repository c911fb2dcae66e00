package nn

import (
	"math"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// checkLayer tests a layer's forward and input gradient against an
// independent float64 reference: the forward elementwise, and the gradient
// of L = sum(r * f(x)) for a fixed random r against central differences of
// the reference (accurate to ~1e-9, so they test the gradient and not
// float32 rounding).
func checkLayer(t *testing.T, name string, x *tensor.Tensor, f func(*autograd.Var) *autograd.Var, ref func([]float64) []float64) {
	t.Helper()
	x64 := make([]float64, x.Len())
	for i, v := range x.Data() {
		x64[i] = float64(v)
	}
	want := ref(x64)

	tp := autograd.NewTape()
	in := tp.Input(x)
	out := f(in)
	if out.Value.Len() != len(want) {
		t.Fatalf("%s: output has %d elements, reference %d", name, out.Value.Len(), len(want))
	}
	for i, v := range out.Data() {
		if d := math.Abs(float64(v) - want[i]); d > 1e-5*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s: forward[%d] = %g, reference %g", name, i, v, want[i])
		}
	}

	rng := tensor.NewRNG(3)
	r := tensor.RandU(rng, -1, 1, out.Shape()...)
	tp.BackwardWith(out, r, in)
	if in.Grad == nil {
		t.Fatalf("%s: no input gradient", name)
	}
	loss := func(x []float64) float64 {
		y := ref(x)
		s := 0.0
		for i, v := range y {
			s += float64(r.Data()[i]) * v
		}
		return s
	}
	const h = 1e-4
	for i := range x64 {
		old := x64[i]
		x64[i] = old + h
		lp := loss(x64)
		x64[i] = old - h
		lm := loss(x64)
		x64[i] = old
		fd := (lp - lm) / (2 * h)
		if got := float64(in.Grad.Data()[i]); math.Abs(got-fd) > 1e-4*math.Max(1, math.Abs(fd)) {
			t.Fatalf("%s: d/dx[%d] = %g, finite differences %g", name, i, got, fd)
		}
	}
}
