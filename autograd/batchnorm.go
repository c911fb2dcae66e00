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
	return BatchNorm2dAct(x, gamma, beta, runMean, runVar, nil, false, o)
}

// BatchNorm2dAct is BatchNorm2d followed by the addition of residual (if
// not nil; a Var of x's shape) and a ReLU (if relu), as one operation:
// relu(BatchNorm2d(x) + residual) is the end of every residual block, and
// relu(BatchNorm2d(x)) follows most convolutions. It gives the same values
// as the three operations, in one pass over memory where they take three,
// and it keeps only its output for the backward pass (the ReLU's mask is
// read from it), where the three keep two more tensors of x's size.
func BatchNorm2dAct(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, residual *Var, relu bool, o BatchNormOptions) *Var {
	tp := TapeOf(x, gamma, beta, residual)
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
	var rd []float32
	if residual != nil {
		if !tensor.SameShape(residual.Shape(), xs) {
			panic(&tensor.ShapeError{Op: "BatchNorm2d residual", Got: residual.Shape(), Expected: xs})
		}
		rd = residual.Data()
		parents = append(parents, residual)
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
				var res []float32
				if rd != nil {
					res = rd[off : off+hw]
				}
				kernels.AffineRows(yd[off:off+hw], hw, xd[off:off+hw], hw, res, hw, 1, hw, scale, shift, relu)
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		dy := o.Grad.Data()
		var mask []float32
		if relu {
			mask = yd
		}
		// The shortcut's gradient is dy where the ReLU passed, which is
		// what the first pass computes: it is written over dy itself when
		// dy's buffer can become the shortcut's gradient.
		var dres []float32
		addRes := false
		if residual != nil && residual.NeedsGrad() {
			if tp.PassGrad(o, residual) {
				dres = dy
			} else {
				g, fresh := tp.GradFor(residual)
				dres, addRes = g.Data(), !fresh
			}
		}
		var dx, dg, db []float32
		fresh := false
		if x.NeedsGrad() {
			var g *tensor.Tensor
			g, fresh = tp.GradFor(x)
			dx = g.Data()
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
				// Pass 1: sum(dz) and sum(dz*(x-mean)), dz the gradient
				// that reaches the normalization, needed by the
				// parameters' gradients and, through the batch
				// statistics, by the input's.
				var sdy, sdx float64
				if dg != nil || db != nil || (dx != nil && batchStats) || dres != nil {
					var sdyx float64
					for i := 0; i < n; i++ {
						off := (i*c + ch) * hw
						var m, r []float32
						if mask != nil {
							m = mask[off : off+hw]
						}
						if dres != nil {
							r = dres[off : off+hw]
						}
						s, d := kernels.MaskedSumDot(dy[off:off+hw], m, xd[off:off+hw], r, addRes)
						sdy += s
						sdyx += d
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
				// Pass 2: dx = g*rstd*(dz - mean(dz) - xhat*mean(dz*xhat))
				// in batch mode, that is k1*dz - k2*x + k0; g*rstd*dz with
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
					var m, xp []float32
					if mask != nil {
						m = mask[off : off+hw]
					}
					if batchStats {
						xp = xd[off : off+hw]
					}
					kernels.NormGrad(dx[off:off+hw], dy[off:off+hw], m, xp, k1, k2, k0, !fresh)
				}
			}
		})
	}, parents...)
}
