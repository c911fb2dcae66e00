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
	if got := Spearman(x, y); !(math.Abs(got-want) <= 1e-12) {
		t.Fatalf("Spearman = %v, closed form %v", got, want)
	}
	if got := Spearman(x, x); got != 1 {
		t.Fatalf("Spearman(x, x) = %v, want 1", got)
	}
	if !math.IsNaN(Spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Fatal("a constant side must give NaN")
	}
}
