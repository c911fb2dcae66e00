package gradcheck

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// smooth is an operation with known derivatives: out = (sin(x0) e^x1,
// x0^3 x1, x0 x1 - x1^2), elementwise over pairs of inputs.
func smooth(in [][]float64) []float64 {
	n := len(in[0])
	out := make([]float64, 3*n)
	for k := range n {
		a, b := in[0][k], in[1][k]
		out[3*k] = math.Sin(a) * math.Exp(b)
		out[3*k+1] = a * a * a * b
		out[3*k+2] = a*b - b*b
	}
	return out
}

// smoothGrad is smooth's exact gradient of sum(r * out).
func smoothGrad(in [][]float64, r []float64) [][]float64 {
	n := len(in[0])
	ga, gb := make([]float64, n), make([]float64, n)
	for k := range n {
		a, b := in[0][k], in[1][k]
		ga[k] = r[3*k]*math.Cos(a)*math.Exp(b) + r[3*k+1]*3*a*a*b + r[3*k+2]*b
		gb[k] = r[3*k]*math.Sin(a)*math.Exp(b) + r[3*k+1]*a*a*a + r[3*k+2]*(a-2*b)
	}
	return [][]float64{ga, gb}
}

func smoothCase() Case {
	a := []float64{-2.5, -1, -0.125, 0.3, 0.75, 1.5, 3}
	b := []float64{0.5, -0.25, 2, -1.75, 1, 0.0625, -3}
	for i := range a { // float32 values, as an operation's inputs are
		a[i], b[i] = float64(float32(a[i])), float64(float32(b[i]))
	}
	return Case{Name: "smooth", Inputs: [][]float64{a, b}, Ref: smooth}
}

func toF32(x []float64, scale float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v * scale)
	}
	return out
}

// TestFiniteDifferencesAccurate: the finite differences agree with the
// exact derivatives to 1e-9 of the sum of the contributions, so they
// cannot hide an error the bound is meant to catch.
func TestFiniteDifferencesAccurate(t *testing.T) {
	c := smoothCase()
	g := New(c)
	exact := smoothGrad(c.Inputs, g.r)
	for j := range exact {
		for k, want := range exact[j] {
			if d := math.Abs(g.fd[j][k] - want); d > 1e-9*g.s[j][k] {
				t.Errorf("input %d[%d]: finite difference %.15g, exact %.15g (error %.2g, S %.2g)", j, k, g.fd[j][k], want, d, g.s[j][k])
			}
		}
	}
}

// TestCompareCatches: the exact result rounded to float32 passes; a
// gradient scaled by 1 ± 1e-4 (or by 1.0015, which the old 2e-3 tolerance
// let through) fails, as does a forward off by 1e-4; a missing or
// mis-sized gradient is an error.
func TestCompareCatches(t *testing.T) {
	c := smoothCase()
	g := New(c)
	exact := smoothGrad(c.Inputs, g.r)
	out := smooth(c.Inputs)
	grads := func(s0, s1 float64) [][]float32 { return [][]float32{toF32(exact[0], s0), toF32(exact[1], s1)} }
	if m, err := g.Compare(toF32(out, 1), grads(1, 1)); err != nil {
		t.Fatalf("the exact result fails: %v", err)
	} else if m.Grad > 0.1 || m.Forward > 0.1 {
		t.Errorf("the exact result, rounded, uses %.2f (forward) and %.2f (gradient) of the bounds", m.Forward, m.Grad)
	}
	for _, tc := range []struct {
		name   string
		out    []float32
		grads  [][]float32
		errHas string
	}{
		{"input 0's gradient x 1.0015", toF32(out, 1), grads(1.0015, 1), "d/d input0"},
		{"input 0's gradient x (1+1e-4)", toF32(out, 1), grads(1+Perturbation, 1), "d/d input0"},
		{"input 1's gradient x (1-1e-4)", toF32(out, 1), grads(1, 1-Perturbation), "d/d input1"},
		{"forward x (1+1e-4)", toF32(out, 1+Perturbation), grads(1, 1), "forward"},
		{"no gradient", toF32(out, 1), [][]float32{toF32(exact[0], 1), nil}, "no gradient for input 1"},
		{"short gradient", toF32(out, 1), [][]float32{toF32(exact[0], 1), make([]float32, 2)}, "has 2 elements"},
		{"short output", toF32(out[:4], 1), grads(1, 1), "output has 4 elements"},
		{"NaN gradient", toF32(out, 1), grads(math.NaN(), 1), "d/d input0"},
	} {
		_, err := g.Compare(tc.out, tc.grads)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.errHas)
		}
	}
}

// TestRoundingWidensOnlyWhereAsked: Case.Rounding adds u R_k to element
// k's bound and nowhere else.
func TestRoundingWidensOnlyWhereAsked(t *testing.T) {
	c := smoothCase()
	exact := smoothGrad(c.Inputs, New(c).r)
	extra := make([]float64, len(exact[0]))
	extra[2] = 1e-3 * math.Abs(exact[0][2]) / unitRoundoff32 // u R_2 = 1e-3 |g_2|
	c.Rounding = func(in [][]float64, r []float64) [][]float64 {
		return [][]float64{extra, make([]float64, len(in[1]))}
	}
	g := New(c)
	out := toF32(smooth(c.Inputs), 1)
	for _, tc := range []struct {
		k    int
		pass bool
	}{{2, true}, {3, false}} {
		grad := toF32(exact[0], 1)
		grad[tc.k] = float32(exact[0][tc.k] * (1 + 5e-4))
		_, err := g.Compare(out, [][]float32{grad, toF32(exact[1], 1)})
		if (err == nil) != tc.pass {
			t.Errorf("element %d off by 5e-4: error %v, want pass = %v", tc.k, err, tc.pass)
		}
	}
}

func TestStep(t *testing.T) {
	for _, c := range []struct{ x, h float64 }{{0, 0x1p-17}, {0.75, 0x1p-17}, {-1, 0x1p-17}, {1.5, 0x1p-16}, {-3, 0x1p-15}, {100, 0x1p-10}} {
		if h := Step(c.x); h != c.h {
			t.Errorf("Step(%g) = %g, want %g", c.x, h, c.h)
		}
	}
}

// TestCancellingPathIsZero: an input whose paths cancel (out = x1 +
// sin(x0)^2 + cos(x0)^2 - 1, in float64 with rounding) has derivative 0;
// the finite differences' noise neither fails an exact 0 nor counts as a
// gradient to perturb.
func TestCancellingPathIsZero(t *testing.T) {
	c := Case{Name: "cancel", Inputs: [][]float64{{0.3, 1.7, -2.9, 0.1, 2.2}, {1e-3, 0.5, 3, -0.75, 0.125}},
		Ref: func(in [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for k := range out {
				s, c := math.Sincos(in[0][k])
				out[k] = in[1][k] + s*s + c*c - 1
			}
			return out
		}}
	g := New(c)
	if !slices.ContainsFunc(g.fd[0], func(v float64) bool { return v != 0 }) {
		t.Fatal("the test needs finite differences with rounding noise")
	}
	if g.NonZero(0) || !g.NonZero(1) {
		t.Errorf("NonZero: input 0 %v (want false), input 1 %v (want true)", g.NonZero(0), g.NonZero(1))
	}
	ones := []float32{1, 1, 1, 1, 1}
	seed := g.Seed()
	if _, err := g.Compare(toF32(c.Inputs[1], 1), [][]float32{make([]float32, 5), seed}); err != nil {
		t.Error(err)
	}
	if _, err := g.Compare(toF32(c.Inputs[1], 1), [][]float32{ones, seed}); err == nil {
		t.Error("a gradient of 1 where it is 0 passes")
	}
}
