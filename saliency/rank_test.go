package saliency

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// naiveRanks ranks by counting: rank = 1 + #smaller + (#equal - 1)/2.
func naiveRanks(v []float32) []float64 {
	r := make([]float64, len(v))
	for i, a := range v {
		less, equal := 0, 0
		for _, b := range v {
			if b < a {
				less++
			} else if b == a {
				equal++
			}
		}
		r[i] = float64(less) + float64(equal+1)/2
	}
	return r
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i] / float64(len(a))
		mb += b[i] / float64(len(b))
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestSpearmanByHandAndAgainstNaiveRanks(t *testing.T) {
	// Ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / sqrt(4.5 * 5).
	if got, want := Spearman([]float32{1, 2, 2, 3}, []float32{1, 3, 2, 4}), 4.5/math.Sqrt(22.5); math.Abs(got-want) > 1e-15 {
		t.Fatalf("Spearman = %g, want %g", got, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		n := 2 + rng.IntN(60)
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			// Few distinct values: many ties.
			a[i] = float32(rng.IntN(5))
			b[i] = a[i]*float32(rng.IntN(3)) + float32(rng.IntN(4))
		}
		want := pearson(naiveRanks(a), naiveRanks(b))
		got := Spearman(a, b)
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 1e-12) {
			t.Fatalf("trial %d: Spearman = %g, naive %g", trial, got, want)
		}
	}
	x := []float32{0.3, -1, 5, 2, 0.1}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(math.Exp(float64(v)))
	}
	if Spearman(x, y) != 1 {
		t.Error("a monotone transform does not correlate 1")
	}
	for i := range y {
		y[i] = -x[i]
	}
	if Spearman(x, y) != -1 {
		t.Error("negation does not correlate -1")
	}
	if !math.IsNaN(Spearman(x, []float32{1, 1, 1, 1, 1})) || !math.IsNaN(Spearman(x[:1], x[:1])) || !math.IsNaN(Spearman(x, x[:2])) {
		t.Error("undefined correlations are not NaN")
	}
}

func TestRankCorrelationPerImage(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 2, 3, 4, 1, 2, 3, 4}, 2, 2, 2)
	b := tensor.FromSlice([]float32{2, 4, 6, 8, 4, 3, 2, 1}, 2, 2, 2)
	rho, err := RankCorrelation(a, b)
	if err != nil || rho[0] != 1 || rho[1] != -1 {
		t.Fatalf("rho %v, %v", rho, err)
	}
	if _, err := RankCorrelation(a, tensor.New(2, 4)); err == nil || !strings.Contains(err.Error(), "same shape") {
		t.Errorf("shape mismatch: %v", err)
	}
}

func TestSummarizeSkipsUndefinedValues(t *testing.T) {
	s := Summarize([]float64{1, math.NaN(), 3, math.Inf(1), 2})
	if s.N != 3 || s.Skipped != 2 || s.Mean != 2 || s.Min != 1 || s.Max != 3 || math.Abs(s.Std-math.Sqrt(2.0/3)) > 1e-15 {
		t.Fatalf("%+v", s)
	}
	e := Summarize([]float64{math.NaN()})
	if e.N != 0 || e.Skipped != 1 || !math.IsNaN(e.Mean) || !math.IsNaN(e.Std) || !math.IsNaN(e.Min) || !math.IsNaN(e.Max) {
		t.Fatalf("all undefined: %+v, want NaN, not a number made of nothing", e)
	}
	raw, err := json.Marshal(e)
	if err != nil || string(raw) != `{"mean":null,"std":null,"min":null,"max":null,"n":0,"skipped":1}` {
		t.Fatalf("JSON of an empty summary: %s, %v", raw, err)
	}
	var back Stat
	if err := json.Unmarshal(raw, &back); err != nil || !math.IsNaN(back.Mean) || back.Skipped != 1 {
		t.Fatalf("read back %+v, %v", back, err)
	}
	raw, _ = json.Marshal(s)
	if err := json.Unmarshal(raw, &back); err != nil || back != s {
		t.Fatalf("%s read back as %+v", raw, back)
	}
}
