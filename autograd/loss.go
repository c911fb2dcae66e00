package autograd

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/internal/kernels"
)

// CrossEntropy is the mean over the batch of the cross-entropy between the
// softmax of logits [N,K] and targets that put 1-s on each example's label
// and s/K on every class: label smoothing (Szegedy et al. 2016, sec. 7) as
// PyTorch's cross_entropy computes it with label_smoothing = s; s = 0 is
// the plain -log softmax(logits)[label]:
//
//	loss = (1/N) sum_n [ lse_n - (1-s) x[n,label_n] - (s/K) sum_k x[n,k] ]
//
// with lse_n = log sum_k exp(x[n,k]). The result is a one-element Var of
// shape []. Backward: dx[n,k] = g (softmax(x)[n,k] - target[n,k]) / N, from
// the probabilities cached by the forward. Per-example terms are summed in
// order in float64.
//
// It panics if len(labels) != N, a label is outside [0, K) or s is outside
// [0, 1]: user-facing code checks labels against the data set first.
func CrossEntropy(logits *Var, labels []int, smoothing float32) *Var {
	tp := TapeOf(logits)
	s := logits.Shape()
	if len(s) != 2 {
		panic(fmt.Sprintf("autograd.CrossEntropy: logits must be [N,K], got shape %v", s))
	}
	n, k := s[0], s[1]
	if len(labels) != n {
		panic(fmt.Sprintf("autograd.CrossEntropy: %d labels for %d examples (logits shape %v)", len(labels), n, s))
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("autograd.CrossEntropy: label %d of example %d is outside [0, %d)", y, i, k))
		}
	}
	if !(smoothing >= 0 && smoothing <= 1) {
		panic(fmt.Sprintf("autograd.CrossEntropy: label smoothing %g is outside [0, 1]", smoothing))
	}
	sm := float64(smoothing)
	xd := logits.Data()
	prob := tp.Scratch(n * k) // softmax(x), for the backward
	perEx := tp.Scratch(n)
	parallelRange(n, n*k, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, pr := xd[r*k:(r+1)*k], prob[r*k:(r+1)*k]
			m, z := rowMax(xr), 0.0
			for i, v := range xr {
				e := math.Exp(float64(v) - m)
				pr[i] = float32(e)
				z += e
			}
			for i, e := range pr {
				pr[i] = float32(float64(e) / z)
			}
			l := m + math.Log(z) - (1-sm)*float64(xr[labels[r]])
			if sm != 0 {
				l -= sm / float64(k) * kernels.Sum(xr)
			}
			perEx[r] = float32(l)
		}
	})
	total := 0.0
	for _, l := range perEx {
		total += float64(l)
	}
	out := tp.ScratchTensor()
	out.Data()[0] = float32(total / float64(n))
	// Labels are copied: the caller may reuse its slice before Backward.
	lab := append([]int(nil), labels...)
	return tp.Record(out, func(o *Var) {
		if !logits.NeedsGrad() {
			return
		}
		g := o.Grad.Data()[0] / float32(n)
		off := float32(sm / float64(k)) // the target's mass on every class
		on := float32(1 - sm)           // and the extra mass on the label
		xg := tp.GradOf(logits).Data()
		parallelRange(n, n*k, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				pr, gr := prob[r*k:(r+1)*k], xg[r*k:(r+1)*k]
				for i, p := range pr {
					gr[i] += g * (p - off)
				}
				gr[lab[r]] -= g * on
			}
		})
	}, logits)
}

// KLDiv is the Kullback-Leibler divergence KL(p || q) per example,
// sum(p * (log p - logQ)) / N, for target probabilities p [N,...] and
// log-probabilities logQ of the same shape: PyTorch's
// kl_div(logQ, p, reduction="batchmean"), the robustness term of TRADES
// (Zhang et al. 2019). The result is a one-element Var of shape [].
//
// Both arguments may carry gradients: d/dlogQ = -p/N and
// d/dp = (log p + 1 - logQ)/N. An element with p = 0 contributes 0
// (0 log 0 = 0), and its gradient with respect to p is taken as 0 where
// PyTorch gives NaN: when p is a softmax that underflowed, the chain rule
// multiplies log p by dp/dlogits, which vanishes like p, and the product
// tends to 0, so a NaN would only poison training (TRADES differentiates
// through p). A negative p, not a probability, gives NaN.
func KLDiv(logQ, p *Var) *Var {
	tp := TapeOf(logQ, p)
	mustSame("KLDiv", logQ, p)
	s := logQ.Shape()
	if len(s) == 0 {
		panic("autograd.KLDiv: needs a batch axis, got shape []")
	}
	n, k := s[0], 0 // an empty batch gives 0/0 = NaN, as in PyTorch
	if n > 0 {
		k = logQ.Value.Len() / n
	}
	qd, pd := logQ.Data(), p.Data()
	perEx := tp.Scratch(n)
	parallelRange(n, n*k, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			l := 0.0
			for i, pv := range pd[r*k : (r+1)*k] {
				if pv != 0 {
					l += float64(pv) * (math.Log(float64(pv)) - float64(qd[r*k+i]))
				}
			}
			perEx[r] = float32(l)
		}
	})
	total := 0.0
	for _, l := range perEx {
		total += float64(l)
	}
	out := tp.ScratchTensor()
	out.Data()[0] = float32(total / float64(n))
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()[0] / float32(n)
		if logQ.NeedsGrad() {
			qg := tp.GradOf(logQ).Data()
			parallelRange(len(qg), len(qg), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					qg[i] -= g * pd[i]
				}
			})
		}
		if p.NeedsGrad() {
			pg := tp.GradOf(p).Data()
			parallelRange(len(pg), len(pg), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					if pv := pd[i]; pv != 0 {
						pg[i] += g * float32(math.Log(float64(pv))+1-float64(qd[i]))
					}
				}
			})
		}
	}, logQ, p)
}
