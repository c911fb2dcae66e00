package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/internal/kernels"
)

// Dropout zeroes each element of x independently with probability p and
// scales the survivors by 1/(1-p) when training (Srivastava et al. 2014, in
// the "inverted" form PyTorch uses, so that evaluation needs no rescaling);
// when not training, or when p is 0, it returns x itself. p = 1 zeroes
// everything.
//
// The mask is drawn from rng, 32 bits per element in row-major order (two
// elements per Uint64), so the same rng state gives the same mask; it is kept
// on the tape for the backward, dx = g * mask. It panics if p is outside
// [0, 1], or if training with p > 0 and no rng.
func Dropout(x *Var, p float32, training bool, rng *rand.Rand) *Var {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("autograd.Dropout: probability %g is outside [0, 1]", p))
	}
	if !training || p == 0 {
		return x
	}
	if rng == nil {
		panic("autograd.Dropout: training needs a seeded *rand.Rand, got nil")
	}
	tp := TapeOf(x)
	n := x.Value.Len()
	mask := tp.Scratch(n)
	// An element is dropped when its 32 random bits, read as an integer,
	// are below p * 2^32: probability p up to 2^-32.
	// The select is arithmetic: a branch on random bits mispredicts.
	thr := int64(math.Ceil(float64(p) * (1 << 32)))
	keep := math.Float32bits(float32(1 / (1 - float64(p))))
	pick := func(bits uint32) float32 {
		dropped := uint32((int64(bits) - thr) >> 63) // all ones if bits < thr
		return math.Float32frombits(keep &^ dropped)
	}
	for i := 0; i < n; i += 2 {
		r := rng.Uint64()
		mask[i] = pick(uint32(r))
		if i+1 < n {
			mask[i+1] = pick(uint32(r >> 32))
		}
	}
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	parallelRange(n, n, func(lo, hi int) { kernels.Mul(od[lo:hi], xd[lo:hi], mask[lo:hi]) })
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				xg[i] += g[i] * mask[i]
			}
		})
	}, x)
}
