package report

import (
	"math"
	"math/rand/v2"
	"testing"
)

// spearmanNaive is the textbook formula for untied data,
// 1 - 6 Σd² / (n (n² - 1)), with ranks found by counting.
func spearmanNaive(x, y []float64) float64 {
	n := len(x)
	rank := func(v []float64, i int) float64 {
		r := 1.0
		for j := range v {
			if v[j] < v[i] {
				r++
			}
		}
		return r
	}
	s := 0.0
	for i := range x {
		d := rank(x, i) - rank(y, i)
		s += d * d
	}
	return 1 - 6*s/float64(n*(n*n-1))
}

func TestSpearmanAgainstTheTextbookFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 3 + trial%9
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = rng.Float64(), rng.Float64()
		}
		if got, want := spearman(x, y), spearmanNaive(x, y); math.Abs(got-want) > 1e-12 {
			t.Fatalf("n=%d: %v, want %v", n, got, want)
		}
	}
}

func TestSpearmanTies(t *testing.T) {
	// x ranks 1.5 1.5 3 4 (the tie shares its mean rank), y ranks 1 2 3
	// 4; the Pearson correlation of those ranks is computed in full.
	x := []float64{0, 0, 1, 2}
	y := []float64{1, 2, 3, 4}
	rx := []float64{1.5, 1.5, 3, 4}
	ry := []float64{1, 2, 3, 4}
	var sxy, sxx, syy float64
	for i := range rx {
		sxy += (rx[i] - 2.5) * (ry[i] - 2.5)
		sxx += (rx[i] - 2.5) * (rx[i] - 2.5)
		syy += (ry[i] - 2.5) * (ry[i] - 2.5)
	}
	want := sxy / math.Sqrt(sxx*syy)
	if got := spearman(x, y); math.Abs(got-want) > 1e-15 {
		t.Errorf("tied spearman %v, want %v", got, want)
	}
	if !math.IsNaN(spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Error("no spread must give NaN")
	}
	if !math.IsNaN(spearman([]float64{1, 2}, []float64{1, 2})) {
		t.Error("two points must give NaN")
	}
}
