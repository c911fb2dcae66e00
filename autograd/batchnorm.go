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
	// Momentum of the running statistics and the epsilon added to the
	// variance. Zero values mean PyTorch's defaults, 0.1 and 1e-5.
	Momentum, Eps float32
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
	if mom == 0 {
		mom = 0.1
	}
	if eps == 0 {
		eps = 1e-5
	}
	m := n * hw
	if o.Training && m < 2 {
		panic(fmt.Sprintf("autograd: BatchNorm2d: training needs more than one value per channel, input is %s", tensor.FormatShape(xs)))
	}
	batchStats := o.Training || rm == nil

	stats := tp.Scratch(2 * c)
	mean, rstd := stats[:c], stats[c:]
	xd := x.Data()
	out := tp.ScratchTensor(xs...)
	yd := out.Data()
	kernels.ParallelFor(c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			if batchStats {
				// Sums of x - shift, with shift a value of the channel, so
				// that E[d^2] - E[d]^2 does not cancel catastrophically
				// when the mean is large against the spread.
				shift := xd[ch*hw]
				var s, q float64
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					ps, pq := sumShifted(xd[off:off+hw], shift)
					s += ps
					q += pq
				}
				md := s / float64(m)
				v := max(q/float64(m)-md*md, 0)
				mean[ch] = float32(float64(shift) + md)
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
				xp, yp := xd[off:off+hw], yd[off:off+hw]
				yp = yp[:len(xp)] // lets the compiler drop the bounds checks
				for j, v := range xp {
					yp[j] = v*scale + shift
				}
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
					for i := 0; i < n; i++ {
						off := (i*c + ch) * hw
						s, d := sumGradDot(dy[off:off+hw], xd[off:off+hw], mu)
						sdy += s
						sdx += d
					}
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
				// in batch mode, g*rstd*dy with fixed statistics.
				k1 := rs
				if gd != nil {
					k1 *= gd[ch]
				}
				var k2, k3 float32
				if batchStats {
					k2 = float32(float64(k1) * float64(rs) * float64(rs) * sdx / float64(m))
					k3 = float32(float64(k1) * sdy / float64(m))
				}
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					dyp, xp, dxp := dy[off:off+hw], xd[off:off+hw], dx[off:off+hw]
					xp, dxp = xp[:len(dyp)], dxp[:len(dyp)] // no bounds checks below
					for j, g := range dyp {
						dxp[j] += k1*g - k2*(xp[j]-mu) - k3
					}
				}
			}
		})
	}, parents...)
}

// sumShifted returns sum(x-k) and sum((x-k)^2) accumulated in float64, in
// interleaved lanes (a fixed order) so that the additions overlap.
func sumShifted(xs []float32, k float32) (s, q float64) {
	var s0, s1, q0, q1 float64
	for ; len(xs) >= 2; xs = xs[2:] {
		d0, d1 := float64(xs[0]-k), float64(xs[1]-k)
		s0 += d0
		s1 += d1
		q0 += d0 * d0
		q1 += d1 * d1
	}
	if len(xs) == 1 {
		d := float64(xs[0] - k)
		s0 += d
		q0 += d * d
	}
	return s0 + s1, q0 + q1
}

// sumGradDot returns sum(dy) and sum(dy*(x-mu)) accumulated in float64, in
// interleaved lanes like sumShifted. x is at least as long as dy.
func sumGradDot(dy, x []float32, mu float32) (s, d float64) {
	var s0, s1, d0, d1 float64
	for ; len(dy) >= 2 && len(x) >= 2; dy, x = dy[2:], x[2:] {
		g0, g1 := float64(dy[0]), float64(dy[1])
		s0 += g0
		s1 += g1
		d0 += g0 * float64(x[0]-mu)
		d1 += g1 * float64(x[1]-mu)
	}
	if len(dy) == 1 {
		g := float64(dy[0])
		s0 += g
		d0 += g * float64(x[0]-mu)
	}
	return s0 + s1, d0 + d1
}
