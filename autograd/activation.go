package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
)

// Activations, element-wise and over the last axis (softmax).

// positive returns all ones if v > 0 (or v is a NaN with the sign bit
// clear), else 0, from v's bits: the select is arithmetic, because a branch
// on the sign of activations mispredicts about half the time and costs
// several times the loop's memory traffic.
func positive(v float32) uint32 {
	return uint32(-int64(int32(math.Float32bits(v))) >> 63)
}

// Relu returns max(x, 0). Its gradient at 0 is 0, as in PyTorch.
func Relu(x *Var) *Var {
	tp := TapeOf(x)
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	n := len(od)
	parallelRange(n, n, func(lo, hi int) { kernels.Relu(od[lo:hi], xd[lo:hi]) })
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		xgt, fresh := tp.GradFor(x)
		g, xg := o.Grad.Data(), xgt.Data()
		parallelRange(n, n, func(lo, hi int) {
			if fresh {
				kernels.ReluGrad(xg[lo:hi], g[lo:hi], od[lo:hi])
			} else {
				kernels.ReluBackward(xg[lo:hi], g[lo:hi], od[lo:hi])
			}
		})
	}, x)
}

// LeakyRelu returns x for x > 0, slope*x otherwise; its gradient at 0 is
// slope, as in PyTorch.
func LeakyRelu(x *Var, slope float32) *Var {
	one, sl := math.Float32bits(1), math.Float32bits(slope)
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			m := positive(v)
			o[i] = v * math.Float32frombits(m&one|^m&sl)
		}
	}, func(xg, g, x, _ []float32) {
		for i, v := range x {
			m := positive(v)
			xg[i] += g[i] * math.Float32frombits(m&one|^m&sl)
		}
	})
}

// sigmoid64 is 1/(1+e^-z) without overflow: e^-|z| never exceeds 1.
func sigmoid64(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+exp(-x)), computed without overflow for any x.
func Sigmoid(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(sigmoid64(float64(v)))
		}
	}, func(xg, g, _, o []float32) {
		for i, s := range o {
			xg[i] += g[i] * s * (1 - s)
		}
	})
}

// Tanh returns tanh(x).
func Tanh(x *Var) *Var {
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			o[i] = float32(math.Tanh(float64(v)))
		}
	}, func(xg, g, _, o []float32) {
		for i, t := range o {
			xg[i] += g[i] * (1 - t*t)
		}
	})
}

// Softplus returns log(1+exp(beta*x))/beta, a smooth ReLU, for beta > 0
// (it panics otherwise). It is computed as (max(z,0) + log1p(e^-|z|))/beta
// with z = beta*x, exact for every x; PyTorch instead returns x where z > 20,
// which differs by less than float32 rounding. Its gradient is sigmoid(z).
func Softplus(x *Var, beta float32) *Var {
	if !(beta > 0) {
		panic(fmt.Sprintf("autograd.Softplus: beta must be positive, got %g", beta))
	}
	b := float64(beta)
	return recordUnary(x, func(o, x []float32) {
		for i, v := range x {
			z := b * float64(v)
			o[i] = float32((max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))) / b)
		}
	}, func(xg, g, x, _ []float32) {
		for i, v := range x {
			xg[i] += g[i] * float32(sigmoid64(b*float64(v)))
		}
	})
}

// rows returns how x splits into rows along its last axis, the axis that
// softmax normalizes: the number of rows and their length.
func rows(op string, x *Var) (n, k int) {
	s := x.Shape()
	if len(s) == 0 || s[len(s)-1] == 0 {
		panic(fmt.Sprintf("autograd.%s: needs a non-empty last axis, got shape %v", op, s))
	}
	k = s[len(s)-1]
	return x.Value.Len() / k, k
}

// rowMax is the largest element of a non-empty row (NaN if one is NaN).
func rowMax(x []float32) float64 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return float64(m)
}

// logSumExp returns log(sum(exp(x))) of one row in the stable form
// m + log(sum(exp(x - m))), m the row's maximum, so that no exponent
// exceeds 0; the sum is in float64.
func logSumExp(x []float32) float64 {
	m := rowMax(x)
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// LogSoftmax returns x - log(sum(exp(x))) over the last axis of x [...,K],
// computed stably (shifted by each row's maximum). Backward:
// dx = g - softmax(x) * sum(g).
func LogSoftmax(x *Var) *Var {
	tp := TapeOf(x)
	n, k := rows("LogSoftmax", x)
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	parallelRange(n, n*k, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := xd[r*k:(r+1)*k], od[r*k:(r+1)*k]
			lse := logSumExp(xr)
			for i, v := range xr {
				or[i] = float32(float64(v) - lse)
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n*k, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				gr, or, xr := g[r*k:(r+1)*k], od[r*k:(r+1)*k], xg[r*k:(r+1)*k]
				s := kernels.Sum(gr)
				for i, y := range or {
					xr[i] += float32(float64(gr[i]) - math.Exp(float64(y))*s)
				}
			}
		})
	}, x)
}

// Softmax returns exp(x)/sum(exp(x)) over the last axis of x [...,K],
// computed stably. Backward: dx = y * (g - sum(g*y)).
func Softmax(x *Var) *Var {
	tp := TapeOf(x)
	n, k := rows("Softmax", x)
	out := tp.ScratchTensor(x.Shape()...)
	xd, od := x.Data(), out.Data()
	parallelRange(n, n*k, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := xd[r*k:(r+1)*k], od[r*k:(r+1)*k]
			m, s := rowMax(xr), 0.0
			for i, v := range xr {
				e := math.Exp(float64(v) - m)
				or[i] = float32(e)
				s += e
			}
			for i, e := range or {
				or[i] = float32(float64(e) / s)
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		parallelRange(n, n*k, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				gr, yr, xr := g[r*k:(r+1)*k], od[r*k:(r+1)*k], xg[r*k:(r+1)*k]
				s := 0.0
				for i, y := range yr {
					s += float64(gr[i]) * float64(y)
				}
				for i, y := range yr {
					xr[i] += float32(float64(y) * (float64(gr[i]) - s))
				}
			}
		})
	}, x)
}
