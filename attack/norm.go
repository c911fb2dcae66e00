package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/tensor"
)

// Norm names the norm that bounds a perturbation (the threat model).
type Norm string

// The threat models.
const (
	// Linf bounds every pixel's change by eps.
	Linf Norm = "linf"
	// L2 bounds the Euclidean length of each image's change by eps.
	L2 Norm = "l2"
)

// resolve returns the norm with "" meaning Linf, or an error for another.
func (n Norm) resolve() (Norm, error) {
	switch n {
	case "", Linf:
		return Linf, nil
	case L2:
		return L2, nil
	}
	return "", fmt.Errorf("attack: unknown norm %q (linf or l2)", string(n))
}

// sign is the sign of v, 0 for 0 (and for NaN: no step rather than a NaN
// image).
func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// ascend moves adv by alpha along the steepest ascent direction of the
// norm for gradient grad: alpha*sign(grad) for Linf (Goodfellow et al. 2015,
// eq. 3; Madry et al. 2018, eq. 2), alpha*grad/||grad||_2 per image for L2.
// An image with a zero gradient does not move.
func ascend(norm Norm, adv, grad *tensor.Tensor, alpha float32) {
	a, g := adv.Data(), grad.Data()
	if norm == Linf {
		for j, v := range g {
			a[j] += alpha * sign(v)
		}
		return
	}
	for i := 0; i < adv.Dim(0); i++ {
		ai, gi := row(adv, i), row(grad, i)
		n := l2(gi)
		if n == 0 {
			continue
		}
		s := float32(float64(alpha) / (n + 1e-10))
		for j, v := range gi {
			ai[j] += s * v
		}
	}
}

// project maps adv onto the eps-ball of the norm around x, then onto the
// image box [0,1]. For Linf this is exactly the projection onto the
// intersection, computed as PyTorch implementations do it in float32:
// min(max(adv, x-eps), x+eps), then clamp to [0,1]. For L2 the ball
// projection rescales the perturbation to length eps if it is longer, then
// the box clips, as Madry et al.'s and torchattacks' L2 PGD do.
func project(norm Norm, adv, x *tensor.Tensor, eps float32) {
	a, xd := adv.Data(), x.Data()
	if norm == Linf {
		for j, v := range a {
			lo, hi := xd[j]-eps, xd[j]+eps
			v = min(max(v, lo), hi)
			a[j] = min(max(v, 0), 1)
		}
		return
	}
	for i := 0; i < adv.Dim(0); i++ {
		ai, xi := row(adv, i), row(x, i)
		var s float64
		for j, v := range ai {
			d := float64(v - xi[j])
			s += d * d
		}
		f := float32(1)
		if n := math.Sqrt(s); n > float64(eps) {
			f = float32(float64(eps) / n)
		}
		for j, v := range ai {
			ai[j] = min(max(xi[j]+(v-xi[j])*f, 0), 1)
		}
	}
}

// randomStart writes into adv a uniformly random point of the eps-ball
// around x: for Linf x + U(-eps, eps) per pixel (Madry et al. 2018, sec. 5,
// as their mnist_challenge draws it), for L2 x plus a Gaussian direction
// scaled to length eps U^(1/d), U uniform in [0,1) and d the number of
// elements of an example, the radius of a uniform point of the d-ball (its
// volume within radius r grows as r^d); clipped to [0,1] if clip. In the
// dimensions of images U^(1/d) is close to 1: uniform in the ball is almost
// on its sphere. The draws come from rng in element order.
func randomStart(norm Norm, adv, x *tensor.Tensor, eps float32, rng *rand.Rand, clip bool) {
	lo, hi := float32(0), float32(1)
	if !clip {
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	a, xd := adv.Data(), x.Data()
	if norm == Linf {
		for j := range a {
			a[j] = min(max(xd[j]+(2*rng.Float32()-1)*eps, lo), hi)
		}
		return
	}
	for i := 0; i < adv.Dim(0); i++ {
		ai, xi := row(adv, i), row(x, i)
		for j := range ai {
			ai[j] = float32(rng.NormFloat64())
		}
		n := l2(ai)
		f := float32(0)
		if n > 0 {
			f = float32(math.Pow(rng.Float64(), 1/float64(len(ai))) * float64(eps) / n)
		}
		for j, v := range ai {
			ai[j] = min(max(xi[j]+f*v, lo), hi)
		}
	}
}

// l2 is the Euclidean norm of v, accumulated in float64.
func l2(v []float32) float64 {
	var s float64
	for _, e := range v {
		s += float64(e) * float64(e)
	}
	return math.Sqrt(s)
}

// linf is the largest absolute value of v.
func linf(v []float32) float64 {
	var m float64
	for _, e := range v {
		m = math.Max(m, math.Abs(float64(e)))
	}
	return m
}
