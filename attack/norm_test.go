package attack

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// TestL2RandomStartUniformInBall checks that the L2 random start is uniform
// in the ball, as PGDConfig.RandomStart documents, in d = 1, 2, 3 and 8
// dimensions: the radius r of a uniform point has P(r <= t eps) = t^d (a
// Kolmogorov-Smirnov test), so a fraction 2^-d of the draws lies within
// half the radius and the mean radius is d/(d+1) eps; and the direction has
// no preferred axis. A radius drawn uniformly in [0, eps] (the old draw)
// fails all three for every d > 1.
func TestL2RandomStartUniformInBall(t *testing.T) {
	const n, eps = 20000, 0.25
	for _, d := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("d=%d", d), func(t *testing.T) {
			x := tensor.Full(0.5, n, d)
			adv := tensor.New(n, d)
			randomStart(L2, adv, x, eps, rand.New(rand.NewPCG(uint64(d), 1)), false)
			radii := make([]float64, n)
			mean := make([]float64, d)
			for i := range n {
				a, xi := row(adv, i), row(x, i)
				var s float64
				for j := range a {
					v := float64(a[j] - xi[j])
					s += v * v
				}
				radii[i] = math.Sqrt(s) / eps
				for j := range a {
					mean[j] += float64(a[j]-xi[j]) / (math.Sqrt(s) * n)
				}
			}
			slices.Sort(radii)
			// Kolmogorov-Smirnov against F(t) = t^d: 1.95/sqrt(n) is the
			// 0.1% critical value.
			ks := 0.0
			for i, r := range radii {
				f := math.Pow(min(r, 1), float64(d))
				ks = max(ks, math.Abs(f-float64(i)/n), math.Abs(f-float64(i+1)/n))
			}
			if lim := 1.95 / math.Sqrt(n); ks > lim {
				t.Errorf("radius/eps: Kolmogorov-Smirnov distance %.4f from t^%d, over the 0.1%% level %.4f", ks, d, lim)
			}
			if radii[n-1] > 1+1e-6 {
				t.Errorf("a start at %.6f eps, outside the ball", radii[n-1])
			}
			// 5 standard deviations of each estimate.
			p := math.Pow(0.5, float64(d))
			inside, _ := slices.BinarySearch(radii, 0.5)
			if frac := float64(inside) / n; !(math.Abs(frac-p) <= 5*math.Sqrt(p*(1-p)/n)) {
				t.Errorf("%.4f of the starts within eps/2, want 2^-%d = %.4f", frac, d, p)
			}
			var mr float64
			for _, r := range radii {
				mr += r / n
			}
			want := float64(d) / float64(d+1)
			sd := math.Sqrt(float64(d)/float64(d+2)-want*want) / math.Sqrt(n)
			if !(math.Abs(mr-want) <= 5*sd) {
				t.Errorf("mean radius %.4f eps, want d/(d+1) = %.4f", mr, want)
			}
			for j, m := range mean {
				if !(math.Abs(m) <= 5/math.Sqrt(float64(n*d))) {
					t.Errorf("mean direction along axis %d is %.4f, want 0", j, m)
				}
			}
		})
	}
}
