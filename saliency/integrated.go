package saliency

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Rule is a quadrature rule for the path integral of IntegratedGradients,
// with Captum's names.
type Rule int

const (
	// GaussLegendre evaluates at the n Gauss-Legendre nodes of [0,1]:
	// exact for polynomials of degree 2n-1 (Captum's default).
	GaussLegendre Rule = iota
	// RiemannRight evaluates at k/n, k = 1..n (Sundararajan et al. 2017,
	// eq. 3).
	RiemannRight
	// RiemannLeft evaluates at k/n, k = 0..n-1.
	RiemannLeft
	// RiemannMiddle evaluates at (k+1/2)/n.
	RiemannMiddle
	// RiemannTrapezoid evaluates at k/(n-1), k = 0..n-1, the ends weighted
	// by half.
	RiemannTrapezoid
)

var ruleNames = []string{"gausslegendre", "riemann-right", "riemann-left", "riemann-middle", "riemann-trapezoid"}

// String returns the rule's name as ParseRule reads it.
func (r Rule) String() string {
	if r >= 0 && int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// ParseRule reads a rule name (case, "-" and "_" ignored).
func ParseRule(s string) (Rule, error) {
	k := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	for i, name := range ruleNames {
		if k == strings.ReplaceAll(name, "-", "") {
			return Rule(i), nil
		}
	}
	return 0, fmt.Errorf("saliency: unknown integration rule %q (known: %s)", s, strings.Join(ruleNames, ", "))
}

// Points returns the rule's n evaluation points alpha in [0,1] and their
// weights, which sum to 1: the integral of f over [0,1] is approximated by
// sum_k weights[k] f(alphas[k]).
func (r Rule) Points(n int) (alphas, weights []float64, err error) {
	if n < 1 || (r == RiemannTrapezoid && n < 2) {
		return nil, nil, fmt.Errorf("saliency: %d steps are too few for rule %v", n, r)
	}
	alphas, weights = make([]float64, n), make([]float64, n)
	switch r {
	case GaussLegendre:
		gaussLegendre(alphas, weights)
	case RiemannRight, RiemannLeft, RiemannMiddle:
		shift := map[Rule]float64{RiemannRight: 1, RiemannLeft: 0, RiemannMiddle: 0.5}[r]
		for k := range alphas {
			alphas[k] = (float64(k) + shift) / float64(n)
			weights[k] = 1 / float64(n)
		}
	case RiemannTrapezoid:
		for k := range alphas {
			alphas[k] = float64(k) / float64(n-1)
			weights[k] = 1 / float64(n-1)
		}
		weights[0] /= 2
		weights[n-1] /= 2
	default:
		return nil, nil, fmt.Errorf("saliency: unknown integration rule %v", r)
	}
	return alphas, weights, nil
}

// gaussLegendre fills the nodes and weights of the n-point Gauss-Legendre
// rule, mapped from [-1,1] to [0,1]. The nodes are the roots of the
// Legendre polynomial P_n, found by Newton's method from Tricomi's
// approximation cos(pi (k - 1/4) / (n + 1/2)), with P_n and its derivative
// from the three-term recurrence; the weights are 2 / ((1 - x^2) P_n'(x)^2)
// (Abramowitz & Stegun 25.4.29).
func gaussLegendre(alphas, weights []float64) {
	n := len(alphas)
	for k := 0; k < (n+1)/2; k++ {
		x := math.Cos(math.Pi * (float64(k) + 0.75) / (float64(n) + 0.5))
		for iter := 0; iter < 100; iter++ {
			p, dp := legendre(n, x)
			dx := p / dp
			x -= dx
			if math.Abs(dx) < 1e-15 {
				break
			}
		}
		_, dp := legendre(n, x)
		w := 2 / ((1 - x*x) * dp * dp)
		// The node x of [-1,1] and its mirror -x, as ascending alphas.
		alphas[k], weights[k] = (1-x)/2, w/2
		alphas[n-1-k], weights[n-1-k] = (1+x)/2, w/2
	}
}

// legendre returns P_n(x) and P_n'(x) for |x| < 1, from the recurrence
// j P_j = (2j-1) x P_{j-1} - (j-1) P_{j-2} and P_n' = n (x P_n - P_{n-1}) /
// (x^2 - 1).
func legendre(n int, x float64) (p, dp float64) {
	prev, p := 1.0, x
	for j := 2; j <= n; j++ {
		prev, p = p, ((2*float64(j)-1)*x*p-(float64(j)-1)*prev)/float64(j)
	}
	return p, float64(n) * (x*p - prev) / (x*x - 1)
}

// IGResult is what IntegratedGradients found, with the numbers needed to
// judge its approximation.
type IGResult struct {
	// Attributions is [N,C,H,W]: (x - x') times the integrated gradient.
	Attributions *tensor.Tensor
	// Scores and BaselineScores are the target logit at each image and at
	// its baseline, f(x) and f(x').
	Scores, BaselineScores []float64
	// Sums is the sum of each image's attributions, which completeness
	// (Sundararajan et al. 2017, Proposition 1) says equals f(x) - f(x').
	Sums []float64
}

// CompletenessErrors returns |sum of attributions - (f(x) - f(x'))| for
// each image: how far the finite sum is from the integral.
func (r *IGResult) CompletenessErrors() []float64 {
	out := make([]float64, len(r.Sums))
	for i := range out {
		out[i] = math.Abs(r.Sums[i] - (r.Scores[i] - r.BaselineScores[i]))
	}
	return out
}

// RelativeCompletenessErrors returns each completeness error divided by
// |f(x) - f(x')| (Inf or NaN where the image and its baseline score alike).
func (r *IGResult) RelativeCompletenessErrors() []float64 {
	out := r.CompletenessErrors()
	for i := range out {
		out[i] /= math.Abs(r.Scores[i] - r.BaselineScores[i])
	}
	return out
}

// ComputeIG runs IntegratedGradients (Sundararajan et al. 2017, eq. 3 with
// the quadrature rule o.Rule over o.Steps points) from o.Baseline and
// returns the attributions with the scores that check completeness.
func ComputeIG(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, o Options) (*IGResult, error) {
	if err := checkImages(images, targets); err != nil {
		return nil, err
	}
	o = o.withDefaults(images.Dim(3))
	if err := checkBlur(o.BlurSigma, images.Dim(2), images.Dim(3)); err != nil {
		return nil, err
	}
	alphas, weights, err := o.Rule.Points(o.Steps)
	if err != nil {
		return nil, err
	}
	n, c, h, w := images.Dim(0), images.Dim(1), images.Dim(2), images.Dim(3)
	chw := c * h * w
	x := images.Data()
	base := make([]float32, n*chw)
	for i := 0; i < n; i++ {
		if err := baselineImage(o.Baseline, base[i*chw:(i+1)*chw], x[i*chw:(i+1)*chw], c, h, w, o.BlurSigma, o.Seed, i); err != nil {
			return nil, err
		}
	}
	defer nn.EvalMode(model)()
	res := &IGResult{Scores: make([]float64, n), BaselineScores: make([]float64, n), Sums: make([]float64, n)}
	ends := newEngine(ctx, model, images, o, 2)
	ends.progress = nil
	err = ends.run(2*n, false, func(r int, dst []float32) int {
		src := x
		if r%2 == 1 {
			src = base
		}
		i := r / 2
		copy(dst, src[i*chw:(i+1)*chw])
		return -1
	}, func(r int, row rowResult) {
		i := r / 2
		if targets[i] >= len(row.logits) {
			return // reported by the gradient pass, which checks targets
		}
		if r%2 == 0 {
			res.Scores[i] = float64(row.logits[targets[i]])
		} else {
			res.BaselineScores[i] = float64(row.logits[targets[i]])
		}
	})
	if err != nil {
		return nil, err
	}
	acc := make([]float64, n*chw)
	steps := len(alphas)
	e := newEngine(ctx, model, images, o, steps)
	err = e.run(n*steps, true, func(r int, dst []float32) int {
		i, a := r/steps, float32(alphas[r%steps])
		xi, bi := x[i*chw:(i+1)*chw], base[i*chw:(i+1)*chw]
		for j := range dst {
			dst[j] = bi[j] + a*(xi[j]-bi[j])
		}
		return targets[i]
	}, func(r int, row rowResult) {
		i, wk := r/steps, weights[r%steps]
		a := acc[i*chw : (i+1)*chw]
		for j, g := range row.grad {
			a[j] += wk * float64(g)
		}
	})
	if err != nil {
		return nil, err
	}
	attr := tensor.New(images.Shape()...)
	d := attr.Data()
	for i := 0; i < n; i++ {
		var sum float64
		for j := i * chw; j < (i+1)*chw; j++ {
			v := (float64(x[j]) - float64(base[j])) * acc[j]
			d[j] = float32(v)
			sum += v
		}
		res.Sums[i] = sum
	}
	res.Attributions = attr
	return res, nil
}
