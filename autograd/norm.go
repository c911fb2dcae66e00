package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
)

// Per-example norms of x [N,...], as attacks and regularizers measure
// perturbations and gradients: one value per example, over all its other
// axes.

// perExample returns how x splits into examples: their number and size.
func perExample(op string, x *Var) (n, d int) {
	s := x.Shape()
	if len(s) == 0 {
		panic(fmt.Sprintf("autograd.%s: x needs a batch axis, got shape []", op))
	}
	n = s[0]
	if n == 0 {
		return 0, 0
	}
	return n, x.Value.Len() / n
}

// L2NormPerExample returns ||x_i||_2 for each example of x [N,...]: [N],
// accumulated in float64. Backward: dx_i = g_i x_i / ||x_i||, taken as 0
// for an all-zero example (the subgradient PyTorch's norm uses there).
func L2NormPerExample(x *Var) *Var {
	tp := TapeOf(x)
	n, d := perExample("L2NormPerExample", x)
	out := tp.ScratchTensor(n)
	xd, od := x.Data(), out.Data()
	parallelRange(n, n*d, func(lo, hi int) {
		for e := lo; e < hi; e++ {
			od[e] = float32(math.Sqrt(kernels.SumSq(xd[e*d : (e+1)*d])))
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n*d, func(lo, hi int) {
			for e := lo; e < hi; e++ {
				if od[e] == 0 {
					continue
				}
				f := g[e] / od[e]
				xe, ge := xd[e*d:(e+1)*d], xg[e*d:(e+1)*d]
				for i, v := range xe {
					ge[i] += f * v
				}
			}
		})
	}, x)
}

// LinfNormPerExample returns max_j |x_ij| for each example of x [N,...]:
// [N] (NaN if the example holds a NaN). Backward: where several elements
// share the maximum, the gradient is split evenly among them,
// dx_ij = g_i sign(x_ij) / (number of j with |x_ij| = max), which is a
// valid subgradient, symmetric in the tied elements and what PyTorch's
// amax-based norm computes; an all-zero example gets gradient 0.
func LinfNormPerExample(x *Var) *Var {
	tp := TapeOf(x)
	n, d := perExample("LinfNormPerExample", x)
	out := tp.ScratchTensor(n)
	xd, od := x.Data(), out.Data()
	parallelRange(n, n*d, func(lo, hi int) {
		for e := lo; e < hi; e++ {
			od[e] = kernels.MaxAbs(xd[e*d : (e+1)*d])
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n*d, func(lo, hi int) {
			for e := lo; e < hi; e++ {
				m := od[e]
				if m == 0 {
					continue
				}
				xe, ge := xd[e*d:(e+1)*d], xg[e*d:(e+1)*d]
				ties := 0
				for _, v := range xe {
					if v == m || v == -m {
						ties++
					}
				}
				f := g[e] / float32(ties)
				for i, v := range xe {
					switch {
					case v == m:
						ge[i] += f
					case v == -m:
						ge[i] -= f
					}
				}
			}
		})
	}, x)
}
