package stats

import (
	"math"
	"slices"
)

// ProportionSE is the binomial standard error of a proportion p measured
// on n trials, 0 when n is unknown (n <= 0). p is kept half a trial away
// from 0 and 1 so that a perfect score still has an error.
func ProportionSE(p float64, n int) float64 {
	if n <= 0 {
		return 0
	}
	lim := 0.5 / float64(n)
	p = math.Min(math.Max(p, lim), 1-lim)
	return math.Sqrt(p * (1 - p) / float64(n))
}

// DifferenceSE is the standard error of the difference of two independent
// proportions p1 and p2 measured on n1 and n2 trials.
func DifferenceSE(p1, p2 float64, n1, n2 int) float64 {
	a, b := ProportionSE(p1, n1), ProportionSE(p2, n2)
	return math.Sqrt(a*a + b*b)
}

// PermutationP is the exact two-sided permutation p-value of Spearman's
// rank correlation of x and y: the fraction of all len(y)! orderings of y
// whose correlation with x is at least as far from 0 as the observed one.
// It enumerates every ordering, so it is for a handful of points (up to 8
// or so). A constant side, which has no correlation, gives 1.
func PermutationP(x, y []float64) float64 {
	rx, ry := Ranks(x), Ranks(y)
	obs := math.Abs(Pearson(rx, ry))
	if math.IsNaN(obs) {
		return 1
	}
	perm := slices.Clone(ry)
	hits, total := 0, 0
	var visit func(k int)
	visit = func(k int) {
		if k == len(perm) {
			total++
			if math.Abs(Pearson(rx, perm)) >= obs-1e-12 {
				hits++
			}
			return
		}
		for i := k; i < len(perm); i++ {
			perm[k], perm[i] = perm[i], perm[k]
			visit(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	visit(0)
	return float64(hits) / float64(total)
}

// SpearmanNormalP is the large-sample two-sided p-value of a rank
// correlation rho over n pairs: rho sqrt(n-1) is about standard normal
// when there is no correlation.
func SpearmanNormalP(rho float64, n int) float64 {
	z := math.Abs(rho) * math.Sqrt(float64(n-1))
	return math.Erfc(z / math.Sqrt2)
}

// Factorial is n! (1 for n <= 1).
func Factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return f
}
