package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
)

// Reductions to a single value, and AdaIN's per-channel statistics.

// Sum returns the sum of all elements of x as a one-element Var of shape [].
// It is accumulated in float64 over fixed blocks, so the result does not
// depend on the number of workers.
func Sum(x *Var) *Var { return scaledSum(x, 1) }

// Mean returns the mean of all elements of x as a one-element Var of shape
// [] (NaN for an empty x, as in PyTorch), accumulated as Sum.
func Mean(x *Var) *Var { return scaledSum(x, 1/float64(x.Value.Len())) }

// scaledSum is scale * sum(x); its gradient is scale everywhere.
func scaledSum(x *Var, scale float64) *Var {
	tp := TapeOf(x)
	out := tp.ScratchTensor()
	out.Data()[0] = float32(sumBlocked(x.Data(), nil) * scale)
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g := float32(float64(o.Grad.Data()[0]) * scale)
		xg := tp.GradOf(x).Data()
		parallelRange(len(xg), len(xg), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				xg[i] += g
			}
		})
	}, x)
}

// ChannelMeanStd returns the mean and standard deviation sqrt(var + eps) of
// each example's channels over space, for x [N,C,H,W]: mean and std are
// [N,C,1,1], ready to broadcast against x. These are the statistics that
// AdaIN aligns (Huang & Belongie 2017, eqs. 5-6, used in eq. 8); the
// variance is unbiased (divided by H*W-1), as torch.var computes it and as
// AdaIN implementations in PyTorch use it. Both are recorded, each with its own
// backward: d mean/dx = 1/(H*W) and d std/dx = (x - mean)/((H*W-1) std).
//
// It panics if x is not 4-D, has fewer than 2 pixels per channel (the
// unbiased variance is undefined) or eps is negative.
func ChannelMeanStd(x *Var, eps float32) (mean, std *Var) {
	tp := TapeOf(x)
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("autograd.ChannelMeanStd: x must be [N,C,H,W], got shape %v", s))
	}
	if s[2]*s[3] < 2 {
		panic(fmt.Sprintf("autograd.ChannelMeanStd: the unbiased variance needs at least 2 pixels per channel, got shape %v", s))
	}
	if !(eps >= 0) {
		panic(fmt.Sprintf("autograd.ChannelMeanStd: eps must be >= 0, got %g", eps))
	}
	planes, hw := s[0]*s[1], s[2]*s[3]
	meanT, stdT := tp.ScratchTensor(s[0], s[1], 1, 1), tp.ScratchTensor(s[0], s[1], 1, 1)
	xd, md, sd := x.Data(), meanT.Data(), stdT.Data()
	parallelRange(planes, planes*hw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp := xd[pl*hw : (pl+1)*hw]
			mu := kernels.Sum(xp) / float64(hw)
			q := 0.0 // two passes: no cancellation when the mean is large
			for _, v := range xp {
				d := float64(v) - mu
				q += d * d
			}
			md[pl] = float32(mu)
			sd[pl] = float32(math.Sqrt(q/float64(hw-1) + float64(eps)))
		}
	})
	mean = tp.Record(meanT, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(planes, planes*hw, func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				gv := g[pl] / float32(hw)
				for i := range xg[pl*hw : (pl+1)*hw] {
					xg[pl*hw+i] += gv
				}
			}
		})
	}, x)
	std = tp.Record(stdT, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(planes, planes*hw, func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				xp, gp := xd[pl*hw:(pl+1)*hw], xg[pl*hw:(pl+1)*hw]
				// The float64 mean again, not the float32 one stored:
				// with a mean of 100, rounding it moves x - mean by up to
				// 4e-6, a relative error of 1e-3 where x is 0.004 from it.
				mu := kernels.Sum(xp) / float64(hw)
				f := float64(g[pl]) / (float64(hw-1) * float64(sd[pl]))
				for i, v := range xp {
					gp[i] += float32(f * (float64(v) - mu))
				}
			}
		})
	}, x)
	return mean, std
}
