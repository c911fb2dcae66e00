package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
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
	bn := newBNSpec(x.Shape(), gamma, beta, residual, runMean, runVar, relu, o)
	n, c, hw := bn.n, bn.c, bn.hw
	stats := tp.Scratch(2 * c)
	mean, rstd := stats[:c], stats[c:]
	xd := x.Data()
	out := tp.ScratchTensor(x.Shape()...)
	yd := out.Data()
	bn.out = yd
	kernels.ParallelFor(c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			if bn.batchStats {
				var s, q float64
				for i := 0; i < n; i++ {
					xp := xd[(i*c+ch)*hw:][:hw]
					s += kernels.Sum(xp)
					q += kernels.SumSq(xp)
				}
				bn.setBatchStats(ch, s, q, mean, rstd)
			} else {
				bn.setRunningStats(ch, mean, rstd)
			}
			bn.apply(ch, yd, xd, mean, rstd)
		}
	})
	return tp.Record(out, func(o *Var) {
		g := bn.backward(tp, o, mean, rstd, xd)
		if !x.NeedsGrad() {
			return
		}
		dxt, fresh := tp.GradFor(x)
		dx := dxt.Data()
		kernels.ParallelFor(c, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					var m, xp []float32
					if g.mask != nil {
						m = g.mask[off : off+hw]
					}
					if bn.batchStats {
						xp = xd[off : off+hw]
					}
					kernels.NormGrad(dx[off:off+hw], g.dy[off:off+hw], m, xp, g.k1[ch], g.k2[ch], g.k0[ch], !fresh)
				}
			}
		})
	}, bn.parents(x)...)
}

// bnSpec is a batch norm's checked arguments, shared by BatchNorm2dAct and
// the fused ConvBN.
type bnSpec struct {
	n, c, hw       int
	gamma, beta    *Var
	residual       *Var
	gd, bd, rd     []float32 // gamma's, beta's and residual's data, or nil
	rm, rv         []float32 // running statistics, or nil
	mom, eps       float32
	training, relu bool
	batchStats     bool // normalize by the batch's statistics
	out            []float32
}

// newBNSpec checks the arguments of a batch norm of an input of shape xs,
// panicking with a *tensor.ShapeError (or a message) on a mismatch.
func newBNSpec(xs []int, gamma, beta, residual *Var, runMean, runVar *tensor.Tensor, relu bool, o BatchNormOptions) *bnSpec {
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "BatchNorm2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	bn := &bnSpec{n: xs[0], c: xs[1], hw: xs[2] * xs[3], gamma: gamma, beta: beta, residual: residual, relu: relu}
	c := bn.c
	for _, p := range []struct {
		name string
		v    *Var
		d    *[]float32
	}{{"weight", gamma, &bn.gd}, {"bias", beta, &bn.bd}} {
		if p.v == nil {
			continue
		}
		if !tensor.SameShape(p.v.Shape(), []int{c}) {
			panic(&tensor.ShapeError{Op: "BatchNorm2d " + p.name, Got: p.v.Shape(), Expected: []int{c}})
		}
		*p.d = p.v.Data()
	}
	if residual != nil {
		if !tensor.SameShape(residual.Shape(), xs) {
			panic(&tensor.ShapeError{Op: "BatchNorm2d residual", Got: residual.Shape(), Expected: xs})
		}
		bn.rd = residual.Data()
	}
	if (runMean == nil) != (runVar == nil) {
		panic("autograd: BatchNorm2d: running mean and running variance must be both given or both nil")
	}
	if runMean != nil {
		for _, r := range []struct {
			name string
			t    *tensor.Tensor
		}{{"running_mean", runMean}, {"running_var", runVar}} {
			if !tensor.SameShape(r.t.Shape(), []int{c}) {
				panic(&tensor.ShapeError{Op: "BatchNorm2d " + r.name, Got: r.t.Shape(), Expected: []int{c}})
			}
		}
		bn.rm, bn.rv = runMean.Data(), runVar.Data()
	}
	bn.mom, bn.eps = o.Momentum, o.Eps
	if !(bn.mom >= 0 && bn.mom <= 1) || !(bn.eps >= 0) {
		panic(fmt.Sprintf("autograd: BatchNorm2d: momentum %g must be in [0, 1] and eps %g non-negative", bn.mom, bn.eps))
	}
	if bn.eps == 0 {
		bn.eps = 1e-5
	}
	if o.Training && bn.n*bn.hw < 2 {
		panic(fmt.Sprintf("autograd: BatchNorm2d: training needs more than one value per channel, input is %s", tensor.FormatShape(xs)))
	}
	bn.training = o.Training
	bn.batchStats = o.Training || bn.rm == nil
	return bn
}

// parents lists the operation's inputs: x and whichever of gamma, beta and
// the residual are present.
func (bn *bnSpec) parents(x ...*Var) []*Var {
	for _, v := range []*Var{bn.gamma, bn.beta, bn.residual} {
		if v != nil {
			x = append(x, v)
		}
	}
	return x
}

// setBatchStats sets channel ch's mean and 1/sqrt(var+eps) from the sum s
// and the sum of squares q of its N*H*W values, and moves the running
// statistics in training mode.
func (bn *bnSpec) setBatchStats(ch int, s, q float64, mean, rstd []float32) {
	// E[x^2] - E[x]^2 from float64 sums of exact squares: the
	// cancellation costs about 2*log2(|mean|/std) of float64's 53 bits, so
	// the variance keeps float32 accuracy for means up to about a thousand
	// standard deviations.
	m := float64(bn.n * bn.hw)
	md := s / m
	v := max(q/m-md*md, 0)
	mean[ch] = float32(md)
	rstd[ch] = float32(1 / math.Sqrt(v+float64(bn.eps)))
	if bn.training && bn.rm != nil {
		mom := bn.mom
		bn.rm[ch] = (1-mom)*bn.rm[ch] + mom*mean[ch]
		bn.rv[ch] = (1-mom)*bn.rv[ch] + mom*float32(v*m/(m-1))
	}
}

// setRunningStats sets channel ch's mean and 1/sqrt(var+eps) from the
// running statistics.
func (bn *bnSpec) setRunningStats(ch int, mean, rstd []float32) {
	mean[ch] = bn.rm[ch]
	rstd[ch] = float32(1 / math.Sqrt(float64(bn.rv[ch])+float64(bn.eps)))
}

// scaleShift is channel ch's y = x*scale + shift, as PyTorch's CPU kernel
// computes batch norm.
func (bn *bnSpec) scaleShift(ch int, mean, rstd []float32) (scale, shift float32) {
	scale = rstd[ch]
	if bn.gd != nil {
		scale *= bn.gd[ch]
	}
	shift = -mean[ch] * scale
	if bn.bd != nil {
		shift += bn.bd[ch]
	}
	return scale, shift
}

// apply writes channel ch of y = act(x*scale + shift + residual) for every
// image.
func (bn *bnSpec) apply(ch int, y, x, mean, rstd []float32) {
	scale, shift := bn.scaleShift(ch, mean, rstd)
	for i := 0; i < bn.n; i++ {
		off := (i*bn.c + ch) * bn.hw
		var res []float32
		if bn.rd != nil {
			res = bn.rd[off : off+bn.hw]
		}
		kernels.AffineRows(y[off:off+bn.hw], bn.hw, x[off:off+bn.hw], bn.hw, res, bn.hw, 1, bn.hw, scale, shift, bn.relu)
	}
}

// bnGrads is what a batch norm's backward has prepared for the gradient
// of its input: k1*dz - k2*x + k0 per channel (NormGrad), with dz = dy
// where mask > 0 (everywhere if mask is nil).
type bnGrads struct {
	dy, mask   []float32
	k1, k2, k0 []float32
}

// backward runs the parts of a batch norm's backward that need whole
// channels: the residual's and the parameters' gradients, and the
// coefficients of the input's gradient. xd is the normalized input (the
// convolution's output for ConvBN); it may be nil when the statistics are
// fixed and gamma needs no gradient, which are the cases that do not read
// it.
func (bn *bnSpec) backward(tp *Tape, o *Var, mean, rstd, xd []float32) bnGrads {
	c, hw := bn.c, bn.hw
	g := bnGrads{dy: o.Grad.Data()}
	if bn.relu {
		g.mask = bn.out
	}
	// The shortcut's gradient is dy where the ReLU passed, which is what
	// the first pass computes: it is written over dy itself when dy's
	// buffer can become the shortcut's gradient.
	var dres []float32
	addRes := false
	if bn.residual != nil && bn.residual.NeedsGrad() {
		if tp.PassGrad(o, bn.residual) {
			dres = g.dy
		} else {
			r, fresh := tp.GradFor(bn.residual)
			dres, addRes = r.Data(), !fresh
		}
	}
	var dg, db []float32
	if bn.gamma != nil && bn.gamma.NeedsGrad() {
		dg = tp.GradOf(bn.gamma).Data()
	}
	if bn.beta != nil && bn.beta.NeedsGrad() {
		db = tp.GradOf(bn.beta).Data()
	}
	coef := tp.Scratch(3 * c)
	g.k1, g.k2, g.k0 = coef[:c], coef[c:2*c], coef[2*c:]
	m := float64(bn.n * hw)
	kernels.ParallelFor(c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mu, rs := mean[ch], rstd[ch]
			// Pass 1: sum(dz) and sum(dz*(x-mean)), dz the gradient that
			// reaches the normalization, needed by the parameters'
			// gradients and, through the batch statistics, by the input's.
			var sdy, sdx float64
			if dg != nil || db != nil || bn.batchStats || dres != nil {
				var sdyx float64
				for i := 0; i < bn.n; i++ {
					off := (i*c + ch) * hw
					var mk, r []float32
					if g.mask != nil {
						mk = g.mask[off : off+hw]
					}
					if dres != nil {
						r = dres[off : off+hw]
					}
					xp := g.dy[off : off+hw] // any slice: its dot is not used
					if xd != nil {
						xp = xd[off : off+hw]
					}
					s, d := kernels.MaskedSumDot(g.dy[off:off+hw], mk, xp, r, addRes)
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
			// dx = g*rstd*(dz - mean(dz) - xhat*mean(dz*xhat)) in batch
			// mode, that is k1*dz - k2*x + k0; g*rstd*dz with fixed
			// statistics.
			k1 := rs
			if bn.gd != nil {
				k1 *= bn.gd[ch]
			}
			var k2, k0 float32
			if bn.batchStats {
				k2d := float64(k1) * float64(rs) * float64(rs) * sdx / m
				k2 = float32(k2d)
				k0 = float32(k2d*float64(mu) - float64(k1)*sdy/m)
			}
			g.k1[ch], g.k2[ch], g.k0[ch] = k1, k2, k0
		}
	})
	return g
}
