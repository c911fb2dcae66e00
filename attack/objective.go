package attack

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/tensor"
)

// Objective is the function of the logits that a gradient attack ascends.
// Attacks compute its gradient with respect to the logits here and let
// autograd carry it back to the image, so any loss of the logits costs one
// backward pass through the model.
type Objective interface {
	// Loss returns the loss of one example whose logits are z (K values),
	// with true label y and target class t (-1 when untargeted), and
	// writes its gradient with respect to z into grad (K values,
	// overwritten). i is the example's index in the attacked batch.
	Loss(i int, z []float32, y, t int, grad []float32) float64
	// String names the objective in reports ("ce", "dlr", ...).
	String() string
}

// CrossEntropy is the objective of FGSM and PGD (and APGD-CE): the
// cross-entropy of the true label, ascended; with a target, minus the
// cross-entropy of the target, so the attack descends towards it.
func CrossEntropy() Objective { return crossEntropy{} }

type crossEntropy struct{}

func (crossEntropy) String() string { return "ce" }

func (crossEntropy) Loss(_ int, z []float32, y, t int, grad []float32) float64 {
	lse := softmaxInto(z, grad) // grad holds softmax(z) for now
	if t < 0 {
		grad[y]--
		return lse - float64(z[y])
	}
	for k := range grad {
		grad[k] = -grad[k]
	}
	grad[t]++
	return float64(z[t]) - lse
}

// softmaxInto writes softmax(z) to p (computed in float64, shifted by the
// maximum so nothing overflows) and returns log sum exp(z).
func softmaxInto(z []float32, p []float32) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	for k, v := range z {
		p[k] = float32(math.Exp(float64(v)-m) / s)
	}
	return m + math.Log(s)
}

// DLR is the Difference of Logits Ratio of Croce & Hein 2020 (eq. 6):
//
//	DLR(z, y) = -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3)
//
// with z_pi1 >= z_pi2 >= ... the sorted logits: invariant to shifting and
// rescaling the logits, so a model cannot hide behind saturated softmax
// probabilities. With a target t it is their targeted version (eq. 8),
// -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4)/2). Untargeted it needs at least
// 3 classes, targeted 4; a constant 1e-12 in the denominator, as in the
// paper's code, keeps a tie finite.
func DLR() Objective { return dlr{} }

type dlr struct{}

func (dlr) String() string { return "dlr" }

func (dlr) Loss(_ int, z []float32, y, t int, grad []float32) float64 {
	p1, p3, p4 := sortedTop4(z)
	for k := range grad {
		grad[k] = 0
	}
	if t < 0 {
		other := -1 // the largest logit but the label's
		for k, v := range z {
			if k != y && (other < 0 || v > z[other]) {
				other = k
			}
		}
		a := float64(z[y]) - float64(z[other])
		d := float64(z[p1]) - float64(z[p3]) + 1e-12
		grad[y] += float32(-1 / d)
		grad[other] += float32(1 / d)
		grad[p1] += float32(a / (d * d))
		grad[p3] -= float32(a / (d * d))
		return -a / d
	}
	a := float64(z[y]) - float64(z[t])
	d := float64(z[p1]) - (float64(z[p3])+float64(z[p4]))/2 + 1e-12
	grad[y] += float32(-1 / d)
	grad[t] += float32(1 / d)
	grad[p1] += float32(a / (d * d))
	grad[p3] -= float32(a / (2 * d * d))
	grad[p4] -= float32(a / (2 * d * d))
	return -a / d
}

// sortedTop4 returns the indices of the largest, third and fourth largest
// logits (ties broken by the lower index); p4 is -1 with fewer than 4.
func sortedTop4(z []float32) (p1, p3, p4 int) {
	top := [4]int{-1, -1, -1, -1}
	for k, v := range z {
		for j := range top {
			if top[j] < 0 || v > z[top[j]] {
				copy(top[j+1:], top[j:3])
				top[j] = k
				break
			}
		}
	}
	return top[0], top[2], top[3]
}

// KL is the robustness objective of TRADES (Zhang et al. 2019, eq. 5):
// KL(p_i || softmax(z)), the divergence of the model's prediction on the
// attacked image from p_i, row i of p [N,K] (the prediction on the clean
// image). Labels and targets are ignored.
func KL(p *tensor.Tensor) Objective { return kl{p} }

type kl struct{ p *tensor.Tensor }

func (kl) String() string { return "kl" }

func (o kl) Loss(i int, z []float32, _, _ int, grad []float32) float64 {
	k := len(z)
	p := o.p.Data()[i*k : (i+1)*k]
	lse := softmaxInto(z, grad) // grad holds q = softmax(z)
	l := 0.0
	for c, pc := range p {
		if pc > 0 {
			l += float64(pc) * (math.Log(float64(pc)) - (float64(z[c]) - lse))
		}
		grad[c] -= pc // d/dz KL(p || softmax(z)) = q - p
	}
	return l
}

// checkObjective reports whether obj can run on k classes with or without
// targets, before any work is done.
func checkObjective(obj Objective, k int, targeted bool, batch int) error {
	switch o := obj.(type) {
	case dlr:
		need := 3
		if targeted {
			need = 4
		}
		if k < need {
			return fmt.Errorf("the DLR loss needs at least %d classes, the model has %d", need, k)
		}
	case kl:
		if s := o.p.Shape(); len(s) != 2 || s[0] != batch || s[1] != k {
			return fmt.Errorf("the KL objective's reference probabilities are %s, want [%d %d]", tensor.FormatShape(s), batch, k)
		}
	}
	return nil
}
