package autograd

import (
	"fmt"
	"math"

	"robustlab/internal/kernels"
	"robustlab/tensor"
)

// BatchNormOptions configure BatchNorm2d.
type BatchNormOptions struct {
	// Training uses the batch's statistics and updates the running ones;
	// otherwise the running statistics are used.
	Training bool
	// Momentum of the running statistics, in [0, 1], used as given:
	// PyTorch's default is 0.1, and 0 leaves the running statistics
	// unchanged.
	Momentum float32
	// Eps is added to the variance; 0 means PyTorch's default 1e-5 (a zero
	// epsilon would divide by zero on a constant channel).
	Eps float32
}

// BatchNorm2d normalizes x [N,C,H,W] per channel (Ioffe & Szegedy 2015,
// Algorithm 1): y = (x - mean) / sqrt(var + eps) * gamma + beta, with gamma
// and beta [C] or nil (no affine transform). runMean and runVar are [C].
//
// In training mode mean and var are the batch's (var biased, over N*H*W
// values), and the running statistics are updated in place as PyTorch does:
// run = (1-momentum)*run + momentum*stat, with the unbiased variance. In
// evaluation mode the running statistics are used and not changed. With
// nil running statistics (PyTorch's track_running_stats=False) the batch's
// statistics are used in both modes.
//
// The forward caches the per-channel mean and 1/sqrt(var+eps) (2*C floats)
// for the backward. Each direction reads x twice at most. Mismatched shapes
// panic with a *tensor.ShapeError.
func BatchNorm2d(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, o BatchNormOptions) *Var {
	tp := TapeOf(x, gamma, beta)
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "BatchNorm2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	n, c, hw := xs[0], xs[1], xs[2]*xs[3]
	parents := []*Var{x}
	var gd, bd []float32
	for _, p := range []struct {
		name string
		v    *Var
		d    *[]float32
	}{{"weight", gamma, &gd}, {"bias", beta, &bd}} {
		if p.v == nil {
			continue
		}
		if !tensor.SameShape(p.v.Shape(), []int{c}) {
			panic(&tensor.ShapeError{Op: "BatchNorm2d " + p.name, Got: p.v.Shape(), Expected: []int{c}})
		}
		*p.d = p.v.Data()
		parents = append(parents, p.v)
	}
	if (runMean == nil) != (runVar == nil) {
		panic("autograd: BatchNorm2d: running mean and running variance must be both given or both nil")
	}
	var rm, rv []float32
	if runMean != nil {
		for _, r := range []struct {
			name string
			t    *tensor.Tensor
		}{{"running_mean", runMean}, {"running_var", runVar}} {
			if !tensor.SameShape(r.t.Shape(), []int{c}) {
				panic(&tensor.ShapeError{Op: "BatchNorm2d " + r.name, Got: r.t.Shape(), Expected: []int{c}})
			}
		}
		rm, rv = runMean.Data(), runVar.Data()
	}
	mom, eps := o.Momentum, o.Eps
	if !(mom >= 0 && mom <= 1) || !(eps >= 0) {
		panic(fmt.Sprintf("autograd: BatchNorm2d: momentum %g must be in [0, 1] and eps %g non-negative", mom, eps))
	}
	if eps == 0 {
		eps = 1e-5
	}
	m := n * hw
	if o.Training && m < 2 {
		panic(fmt.Sprintf("autograd: BatchNorm2d: training needs more than one value per channel, input is %s", tensor.FormatShape(xs)))
	}
	batchStats := o.Training || rm == nil

	// ones is a plane of 1s: adding a per-channel constant to a plane is
	// then an Axpy like the other terms (the vector kernels have no "add a
	// scalar"). The backward uses it too, so it lives on the tape.
	ones := tp.Scratch(hw)
	for j := range ones {
		ones[j] = 1
	}
	stats := tp.Scratch(2 * c)
	mean, rstd := stats[:c], stats[c:]
	xd := x.Data()
	out := tp.ScratchTensor(xs...)
	yd := out.Data()
	kernels.ParallelFor(c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			if batchStats {
				// E[x^2] - E[x]^2 from float64 sums of exact squares: the
				// cancellation costs about 2*log2(|mean|/std) of float64's
				// 53 bits, so the variance keeps float32 accuracy for
				// means up to about a thousand standard deviations.
				var s, q float64
				for i := 0; i < n; i++ {
					xp := xd[(i*c+ch)*hw:][:hw]
					s += kernels.Sum(xp)
					q += kernels.SumSq(xp)
				}
				md := s / float64(m)
				v := max(q/float64(m)-md*md, 0)
				mean[ch] = float32(md)
				rstd[ch] = float32(1 / math.Sqrt(v+float64(eps)))
				if o.Training && rm != nil {
					rm[ch] = (1-mom)*rm[ch] + mom*mean[ch]
					rv[ch] = (1-mom)*rv[ch] + mom*float32(v*float64(m)/float64(m-1))
				}
			} else {
				mean[ch] = rm[ch]
				rstd[ch] = float32(1 / math.Sqrt(float64(rv[ch])+float64(eps)))
			}
			// y = x*scale + shift, as PyTorch's CPU kernel computes it.
			scale := rstd[ch]
			if gd != nil {
				scale *= gd[ch]
			}
			shift := -mean[ch] * scale
			if bd != nil {
				shift += bd[ch]
			}
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				yp := yd[off : off+hw]
				clear(yp)
				kernels.Axpy(scale, xd[off:off+hw], yp)
				kernels.Axpy(shift, ones, yp)
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		dy := o.Grad.Data()
		var dx, dg, db []float32
		if x.NeedsGrad() {
			dx = tp.GradOf(x).Data()
		}
		if gamma != nil && gamma.NeedsGrad() {
			dg = tp.GradOf(gamma).Data()
		}
		if beta != nil && beta.NeedsGrad() {
			db = tp.GradOf(beta).Data()
		}
		kernels.ParallelFor(c, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, rs := mean[ch], rstd[ch]
				// Pass 1: sum(dy) and sum(dy*(x-mean)), needed by the
				// parameters' gradients and, through the batch
				// statistics, by the input's.
				var sdy, sdx float64
				if dg != nil || db != nil || (dx != nil && batchStats) {
					var sdyx float64
					for i := 0; i < n; i++ {
						off := (i*c + ch) * hw
						sdy += kernels.Sum(dy[off : off+hw])
						sdyx += kernels.Dot(dy[off:off+hw], xd[off:off+hw])
					}
					sdx = sdyx - float64(mu)*sdy
				}
				if dg != nil {
					dg[ch] += float32(sdx * float64(rs))
				}
				if db != nil {
					db[ch] += float32(sdy)
				}
				if dx == nil {
					continue
				}
				// Pass 2: dx = g*rstd*(dy - mean(dy) - xhat*mean(dy*xhat))
				// in batch mode, that is k1*dy - k2*x + k0; g*rstd*dy with
				// fixed statistics.
				k1 := rs
				if gd != nil {
					k1 *= gd[ch]
				}
				var k2, k0 float32
				if batchStats {
					k2d := float64(k1) * float64(rs) * float64(rs) * sdx / float64(m)
					k2 = float32(k2d)
					k0 = float32(k2d*float64(mu) - float64(k1)*sdy/float64(m))
				}
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					dxp := dx[off : off+hw]
					kernels.Axpy(k1, dy[off:off+hw], dxp)
					if batchStats {
						kernels.Axpy(-k2, xd[off:off+hw], dxp)
						kernels.Axpy(k0, ones, dxp)
					}
				}
			}
		})
	}, parents...)
}
