package saliency

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/stats"
	"github.com/robustlab/robustlab/tensor"
)

// Stat summarizes a per-image figure over images: its mean, standard
// deviation (population), extremes, and N, the number of images where it
// is defined (NaN and infinite values are left out; Skipped counts them).
// Without a defined value (N = 0) Mean, Std, Min and Max are NaN, written
// as null in JSON: a summary of nothing is not a number.
type Stat struct {
	Mean    float64 `json:"mean"`
	Std     float64 `json:"std"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	N       int     `json:"n"`
	Skipped int     `json:"skipped,omitempty"`
}

// Summarize returns the Stat of xs, accumulated in float64 in order. With
// no defined value Mean, Std, Min and Max are NaN.
func Summarize(xs []float64) Stat {
	var s Stat
	var sum float64
	s.Min, s.Max = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			s.Skipped++
			continue
		}
		s.N++
		sum += x
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	if s.N == 0 {
		nan := math.NaN()
		return Stat{Mean: nan, Std: nan, Min: nan, Max: nan, Skipped: s.Skipped}
	}
	s.Mean = sum / float64(s.N)
	var ss float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			ss += (x - s.Mean) * (x - s.Mean)
		}
	}
	s.Std = math.Sqrt(ss / float64(s.N))
	return s
}

// statJSON is Stat as JSON, its undefined values null.
type statJSON struct {
	Mean    *float64 `json:"mean"`
	Std     *float64 `json:"std"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	N       int      `json:"n"`
	Skipped int      `json:"skipped,omitempty"`
}

// MarshalJSON writes s with null for its undefined (NaN) values.
func (s Stat) MarshalJSON() ([]byte, error) {
	orNull := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	return json.Marshal(statJSON{orNull(s.Mean), orNull(s.Std), orNull(s.Min), orNull(s.Max), s.N, s.Skipped})
}

// UnmarshalJSON reads what MarshalJSON wrote, null as NaN.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var j statJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*s = Stat{Mean: val(j.Mean), Std: val(j.Std), Min: val(j.Min), Max: val(j.Max), N: j.N, Skipped: j.Skipped}
	return nil
}

// Spearman returns Spearman's rank correlation between a and b (same
// length): the Pearson correlation of their ranks, tied values sharing the
// mean of the ranks they span. It is NaN if either is constant (its ranks
// have no variance) or shorter than 2.
func Spearman(a, b []float32) float64 {
	if len(a) != len(b) || len(a) < 2 {
		return math.NaN()
	}
	return stats.Spearman(a, b)
}

// RankCorrelation returns Spearman's rank correlation between a's and b's
// map of each image: a and b have the same shape [N,...], and image i's
// values are everything under index i. Aggregate first, and take absolute
// values if the sign should not count (Adebayo et al. 2018 report both).
func RankCorrelation(a, b *tensor.Tensor) ([]float64, error) {
	if a == nil || b == nil || a.NDim() < 2 || !tensor.SameShape(a.Shape(), b.Shape()) {
		return nil, fmt.Errorf("saliency: rank correlation of maps %s and %s: want the same shape [N ...]", shapeOf(a), shapeOf(b))
	}
	out := make([]float64, a.Dim(0))
	for i := range out {
		out[i] = Spearman(a.Index(i).Data(), b.Index(i).Data())
	}
	return out, nil
}

// AbsMaps returns |m| element-wise.
func AbsMaps(m *tensor.Tensor) *tensor.Tensor {
	return tensor.Map(m, func(v float32) float32 { return float32(math.Abs(float64(v))) })
}
