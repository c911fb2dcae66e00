package report

import (
	"math"

	"github.com/robustlab/robustlab/internal/stats"
)

// spearman is Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values sharing their mean rank. It is
// NaN when fewer than three pairs are given or either side has no spread,
// where no correlation is defined.
func spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 3 {
		return math.NaN()
	}
	return stats.Spearman(x, y)
}
