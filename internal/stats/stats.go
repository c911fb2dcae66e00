// Package stats holds the statistics robustlab's measurements and reports
// share: rank correlations (saliency compares maps pixel by pixel, report
// compares models measure by measure) and the standard errors and
// permutation tests the report's findings judge differences by.
package stats

import (
	"cmp"
	"math"
	"slices"
)

// Ranks returns the 1-based ranks of v, tied values given the mean of the
// ranks they span (the ranks of Spearman's rho). NaNs rank lowest, each on
// its own.
func Ranks[T cmp.Ordered](v []T) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(v[i], v[j]) })
	r := make([]float64, len(v))
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && v[idx[hi]] == v[idx[lo]] {
			hi++
		}
		// Positions lo..hi-1 hold ranks lo+1..hi; their mean is (lo+1+hi)/2.
		mean := float64(lo+1+hi) / 2
		for _, i := range idx[lo:hi] {
			r[i] = mean
		}
		lo = hi
	}
	return r
}

// Pearson is the Pearson correlation of x and y (same length), NaN where
// either has no spread.
func Pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Spearman is Spearman's rank correlation of x and y (same length): the
// Pearson correlation of their ranks. NaN where either is constant.
func Spearman[T cmp.Ordered](x, y []T) float64 {
	return Pearson(Ranks(x), Ranks(y))
}
