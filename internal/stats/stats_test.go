package stats

import (
	"math"
	"slices"
	"testing"
)

func TestRanksShareTies(t *testing.T) {
	got := Ranks([]float32{0.5, -1, 0.5, 2, 0.5})
	if want := []float64{3, 1, 3, 5, 3}; !slices.Equal(got, want) {
		t.Fatalf("Ranks = %v, want %v", got, want)
	}
}

// Without ties, Spearman's rho is 1 - 6 sum d^2 / (n (n^2 - 1)), an
// independent formula.
func TestSpearmanMatchesClosedForm(t *testing.T) {
	x := []float64{3.1, -2, 7, 0.5, 4, 9, -6, 1.5}
	y := []float64{1, 2, 8, -3, 5, 4, 0, 6}
	rx, ry := Ranks(x), Ranks(y)
	var d2 float64
	for i := range rx {
		d2 += (rx[i] - ry[i]) * (rx[i] - ry[i])
	}
	n := float64(len(x))
	want := 1 - 6*d2/(n*(n*n-1))
	if got := Spearman(x, y); math.Abs(got-want) > 1e-12 {
		t.Fatalf("Spearman = %v, closed form %v", got, want)
	}
	if got := Spearman(x, x); got != 1 {
		t.Fatalf("Spearman(x, x) = %v, want 1", got)
	}
	if !math.IsNaN(Spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Fatal("a constant side must give NaN")
	}
}

func TestProportionSE(t *testing.T) {
	if got, want := ProportionSE(0.5, 100), 0.05; math.Abs(got-want) > 1e-15 {
		t.Errorf("SE(0.5, 100) = %v, want %v", got, want)
	}
	// A perfect score keeps half a trial of doubt.
	if got, want := ProportionSE(1, 100), math.Sqrt(0.995*0.005/100); math.Abs(got-want) > 1e-15 {
		t.Errorf("SE(1, 100) = %v, want %v", got, want)
	}
	if ProportionSE(0.5, 0) != 0 {
		t.Error("an unknown sample size must give no error")
	}
	if got, want := DifferenceSE(0.5, 0.5, 100, 100), math.Sqrt(2)*0.05; math.Abs(got-want) > 1e-15 {
		t.Errorf("SE of a difference = %v, want %v", got, want)
	}
}

func TestPermutationP(t *testing.T) {
	// A perfectly monotone 5-point set: only the identity and the reversal
	// of 120 orderings reach |rho| = 1.
	x := []float64{1, 2, 3, 4, 5}
	if got, want := PermutationP(x, []float64{10, 20, 30, 40, 50}), 2.0/120; math.Abs(got-want) > 1e-15 {
		t.Errorf("p = %v, want %v", got, want)
	}
	// y's ranks differ from x's by -1 -3 0 3 1: sum d^2 = 20, so rho = 1 -
	// 6*20/120 = 0, and every ordering is at least as extreme.
	y := []float64{2, 5, 3, 1, 4}
	if rho := Spearman(x, y); math.Abs(rho) > 1e-15 {
		t.Fatalf("rho = %v, want 0", rho)
	}
	if got := PermutationP(x, y); got != 1 {
		t.Errorf("p for rho 0 = %v, want 1", got)
	}
	if got := PermutationP(x, []float64{1, 1, 1, 1, 1}); got != 1 {
		t.Errorf("p with a constant side = %v, want 1", got)
	}
}

func TestSpearmanNormalPAndFactorial(t *testing.T) {
	// z = 0.5 sqrt(16) = 2: two-sided p = erfc(2/sqrt 2) = 0.0455.
	if got := SpearmanNormalP(-0.5, 17); math.Abs(got-0.04550026389635842) > 1e-12 {
		t.Errorf("p = %v, want 0.0455", got)
	}
	if SpearmanNormalP(0, 10) != 1 {
		t.Error("rho 0 must give p = 1")
	}
	for n, want := range map[int]int{0: 1, 1: 1, 5: 120, 8: 40320} {
		if got := Factorial(n); got != want {
			t.Errorf("%d! = %d, want %d", n, got, want)
		}
	}
}
