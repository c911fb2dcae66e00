package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// FABConfig configures the fast adaptive boundary attack (Croce & Hein
// 2020, "Minimally distorted adversarial examples with a fast adaptive
// boundary attack", ICML, Algorithm 1), in Linf and L2. FAB looks for the
// smallest perturbation that changes the decision: at every iterate it
// linearizes the model, projects both the iterate and the clean image onto
// the linearized decision boundary within the box [0,1] (eq. 5, the
// minimal-norm projection of fabProject), steps to a convex combination of
// the two projections, overshooting by Eta (eq. 8 with the bias towards
// the clean image of eq. 7, capped at AlphaMax), and after each success
// steps back towards the clean image by Beta (sec. 3.2). Untargeted, the
// boundary is that of the closest class under the linearization (eq. 6);
// with TargetClasses it is FAB-T, AutoAttack's targeted version, which
// linearizes only z_target - z_label and so needs one gradient per
// iteration instead of one per class.
type FABConfig struct {
	// Norm is Linf (the default, "") or L2.
	Norm Norm
	// Eps is the budget in [0,1] pixel units (> 0): an example counts as
	// fooled when FAB finds an adversarial image within Eps of it. Random
	// restarts start at distance Eps/2 from the image, as AutoAttack's
	// code draws them.
	Eps float64
	// Steps is the number of iterations (>= 1; 100 in AutoAttack).
	Steps int
	// Restarts is the number of runs (0 and 1 mean one): the first starts
	// from the image itself, later ones from random points; later runs
	// attack only the examples not yet fooled within Eps.
	Restarts int
	// TargetClasses, if positive, makes the attack FAB-T: a run towards
	// each of the TargetClasses classes the model scores highest after the
	// label on the clean image, in turn, on the examples not yet fooled
	// (at most K-1 for K classes). Success stays any misclassification.
	TargetClasses int
	// AlphaMax, Eta and Beta are the paper's bias cap, overshoot and
	// backward step; 0 means AutoAttack's 0.1, 1.05 and 0.9.
	AlphaMax, Eta, Beta float64
	// KeepMode attacks the model in the mode it is in; by default in
	// evaluation mode.
	KeepMode bool
	// RNG supplies the random restarts; nil means a generator seeded with
	// Seed.
	RNG  *rand.Rand
	Seed uint64
}

// AutoAttack's FAB constants (its fab_base.py defaults, the paper's
// sec. 4 settings).
const (
	fabAlphaMax = 0.1
	fabEta      = 1.05
	fabBeta     = 0.9
)

func (c *FABConfig) check() error {
	var err error
	if c.Norm, err = c.Norm.resolve(); err != nil {
		return err
	}
	if err := checkBudget("eps", c.Eps); err != nil {
		return err
	}
	if c.AlphaMax == 0 {
		c.AlphaMax = fabAlphaMax
	}
	if c.Eta == 0 {
		c.Eta = fabEta
	}
	if c.Beta == 0 {
		c.Beta = fabBeta
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("attack: FAB needs at least 1 iteration, got %d", c.Steps)
	case c.Restarts < 0:
		return fmt.Errorf("attack: restarts must be >= 0, got %d", c.Restarts)
	case c.TargetClasses < 0:
		return fmt.Errorf("attack: FAB's number of target classes must be >= 0, got %d", c.TargetClasses)
	case !(c.AlphaMax > 0 && c.AlphaMax <= 1):
		return fmt.Errorf("attack: FAB's alpha_max must be in (0, 1], got %g", c.AlphaMax)
	case !(c.Eta >= 1) || math.IsInf(c.Eta, 0):
		return fmt.Errorf("attack: FAB's overshoot eta must be a finite number >= 1, got %g", c.Eta)
	case !(c.Beta > 0 && c.Beta < 1):
		return fmt.Errorf("attack: FAB's backward step beta must be in (0, 1), got %g", c.Beta)
	}
	return nil
}

func (c *FABConfig) rng() *rand.Rand { return seededRNG(c.RNG, c.Seed) }

// FAB returns, for each image of x [N,C,H,W] in [0,1], the adversarial
// image of smallest perturbation (in Norm) that the attack found within
// Eps, or the clean image where it found none. x is not modified.
func FAB(m nn.Module, x *tensor.Tensor, labels []int, c FABConfig) (*tensor.Tensor, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	o, done, err := session(m, x, labels, nil, nil, c.KeepMode)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := checkTargetClasses("FAB-T", c.TargetClasses, o.k); err != nil {
		return nil, err
	}
	res := newOutcome(x)
	c.run(o, x, allIndices(x.Dim(0)), c.rng(), res, false)
	return res.adv, nil
}

// checkTargetClasses reports a number of target classes that a model of k
// classes does not have.
func checkTargetClasses(attack string, n, k int) error {
	if n > k-1 {
		return fmt.Errorf("attack: %s with %d target classes needs at least %d classes, the model has %d (so at most %d target classes)", attack, n, n+1, k, k-1)
	}
	return nil
}

// classRanks returns, for each example of idx, the classes other than its
// label sorted by the model's logits on the clean image x (rows idx),
// highest first (ties: the lower class first): the targets of APGD-T and
// FAB-T, in order.
func classRanks(o *oracle, x *tensor.Tensor, idx []int) [][]int {
	saved := o.obj
	o.obj = CrossEntropy()
	o.eval(rowsOf(x, idx), idx, nil, nil, nil)
	o.obj = saved
	out := make([][]int, len(idx))
	for j, i := range idx {
		z := o.logits[j*o.k : (j+1)*o.k]
		r := make([]int, 0, o.k-1)
		for c := 0; c < o.k; c++ {
			if c != o.labels[i] {
				r = append(r, c)
			}
		}
		// Insertion sort: K is small, and it is stable.
		for a := 1; a < len(r); a++ {
			for b := a; b > 0 && z[r[b]] > z[r[b-1]]; b-- {
				r[b], r[b-1] = r[b-1], r[b]
			}
		}
		out[j] = r
	}
	return out
}

// run attacks examples todo of the batch x: res ends up with each fooled
// example's smallest adversarial image within Eps (and its prediction);
// an unfooled example is left as it is (the caller settles it). With stop,
// as in evaluations, an example leaves the attack at its first adversarial
// image within Eps.
func (c *FABConfig) run(o *oracle, x *tensor.Tensor, todo []int, rng *rand.Rand, res *outcome, stop bool) {
	if c.TargetClasses == 0 {
		for r := 0; r < max(c.Restarts, 1); r++ {
			act := res.unfooled(todo)
			if len(act) == 0 {
				return
			}
			c.once(o, x, act, nil, r > 0, rng, res, stop)
		}
		return
	}
	act := res.unfooled(todo)
	if len(act) == 0 {
		return
	}
	ranks := map[int][]int{}
	for j, r := range classRanks(o, x, act) {
		ranks[act[j]] = r
	}
	savedTargets, savedMis, savedObj := o.targets, o.misclassify, o.obj
	defer func() { o.targets, o.misclassify, o.obj = savedTargets, savedMis, savedObj }()
	targets := make([]int, len(o.labels))
	o.targets, o.misclassify, o.obj = targets, true, logitGap{}
	for rank := 1; rank <= c.TargetClasses; rank++ {
		for r := 0; r < max(c.Restarts, 1); r++ {
			act := res.unfooled(todo)
			if len(act) == 0 {
				return
			}
			for _, i := range act {
				targets[i] = ranks[i][rank-1]
			}
			c.once(o, x, act, targets, r > 0, rng, res, stop)
		}
	}
}

// logitGap is z_t - z_y, the linearized decision function of FAB-T: the
// target beats the label where it is positive.
type logitGap struct{}

func (logitGap) String() string { return "logit-gap" }

func (logitGap) Loss(_ int, z []float32, y, t int, grad []float32) float64 {
	for k := range grad {
		grad[k] = 0
	}
	grad[t], grad[y] = 1, -1
	return float64(z[t]) - float64(z[y])
}

// fabNorm is the attack's norm of v.
func fabNorm(norm Norm, v []float64) float64 {
	var s float64
	for _, e := range v {
		if norm == Linf {
			s = math.Max(s, math.Abs(e))
		} else {
			s += e * e
		}
	}
	if norm == L2 {
		s = math.Sqrt(s)
	}
	return s
}

// once is one run of Algorithm 1 on examples act, towards targets[i] if
// targets is non-nil (FAB-T), from a random start if random.
func (c *FABConfig) once(o *oracle, x *tensor.Tensor, act []int, targets []int, random bool, rng *rand.Rand, res *outcome, stop bool) {
	eps := float32(c.Eps)
	d := rowLen(x)
	xs := rowsOf(x, act)
	cur := xs.Clone()
	if random {
		// AutoAttack's restarts of FAB: a random point at distance eps/2.
		apgdStart(c.Norm, cur, xs, eps/2, rng)
	}
	nf := 1 // hyperplanes per example: one targeted, K untargeted
	if targets == nil {
		nf = o.k
	}
	n := len(act)
	f := make([]float64, n*nf)
	g := make([]float32, n*nf*d)
	pred := make([]int, n)
	best := make([]float64, n) // smallest adversarial perturbation found
	for j := range best {
		best[j] = math.Inf(1)
	}
	// linearize fills f, g and pred for rows rows of img (indices into
	// act), computing them on the gathered rows only.
	linearize := func(img *tensor.Tensor, rows []int, withGrad bool) {
		sub, idx := img, act
		if len(rows) != len(act) {
			sub, idx = rowsOf(img, rows), make([]int, len(rows))
			for r, j := range rows {
				idx[r] = act[j]
			}
		}
		m := len(rows)
		sf, sg, sp := make([]float64, m*nf), []float32(nil), make([]int, m)
		if withGrad {
			sg = make([]float32, m*nf*d)
		}
		if targets == nil {
			o.boundaries(sub, idx, sf, sg, sp)
		} else {
			var gt *tensor.Tensor
			if withGrad {
				gt = tensor.FromSlice(sg, sub.Shape()...)
			}
			o.eval(sub, idx, gt, sf, sp)
		}
		for r, j := range rows {
			copy(f[j*nf:(j+1)*nf], sf[r*nf:(r+1)*nf])
			if withGrad {
				copy(g[j*nf*d:(j+1)*nf*d], sg[r*nf*d:(r+1)*nf*d])
			}
			pred[j] = sp[r]
		}
	}
	linearize(cur, allIndices(n), true)

	next := tensor.New(xs.Shape()...)
	w := make([]float32, d)
	d1, d2 := make([]float32, d), make([]float32, d)
	diff := make([]float64, d)
	var ps projScratch
	keep := make([]bool, n)
	for it := 0; it < c.Steps && len(act) > 0 && !o.cancelled(); it++ {
		for j, i := range act {
			cj, xj := row(cur, j), row(xs, j)
			// The boundary to aim at: the target's, or the closest one
			// under the linearization, |f_k| / ||grad f_k||_q with q the
			// dual norm (eq. 6).
			k := 0
			if targets == nil {
				bestDist := math.Inf(1)
				for kk := 0; kk < nf; kk++ {
					if kk == o.labels[i] {
						continue
					}
					gk := g[(j*nf+kk)*d : (j*nf+kk+1)*d]
					dual := 0.0
					if c.Norm == Linf {
						for _, v := range gk {
							dual += math.Abs(float64(v))
						}
					} else {
						dual = l2(gk)
					}
					if dist := math.Abs(f[j*nf+kk]) / (dual + 1e-12); dist < bestDist {
						bestDist, k = dist, kk
					}
				}
			}
			copy(w, g[(j*nf+k)*d:(j*nf+k+1)*d])
			// The linearized boundary f + w.(z - cur) = 0 is w.z = b.
			b := -f[j*nf+k]
			for e, v := range w {
				b += float64(v) * float64(cj[e])
			}
			fabProject(c.Norm, cj, w, b, d1, &ps)
			fabProject(c.Norm, xj, w, b, d2, &ps)
			for e := range diff {
				diff[e] = float64(d1[e])
			}
			a1 := math.Max(fabNorm(c.Norm, diff), 1e-8)
			for e := range diff {
				diff[e] = float64(d2[e])
			}
			a2 := math.Max(fabNorm(c.Norm, diff), 1e-8)
			alpha := math.Min(math.Max(a1/(a1+a2), 0), c.AlphaMax)
			nj := row(next, j)
			for e := range nj {
				v := (1-alpha)*(float64(cj[e])+c.Eta*float64(d1[e])) + alpha*(float64(xj[e])+c.Eta*float64(d2[e]))
				nj[e] = float32(min(max(v, 0), 1))
			}
		}
		last := it == c.Steps-1
		linearize(next, allIndices(len(act)), !last)
		var back []int
		for j, i := range act {
			keep[j] = true
			if pred[j] == o.labels[i] {
				continue
			}
			nj, xj := row(next, j), row(xs, j)
			for e := range diff {
				diff[e] = float64(nj[e]) - float64(xj[e])
			}
			if nrm := fabNorm(c.Norm, diff); nrm < best[j] {
				best[j] = nrm
				if nrm <= c.Eps {
					copy(row(res.adv, i), nj)
					res.fooled[i], res.pred[i], res.loss[i] = true, pred[j], -nrm
					if stop {
						keep[j] = false
						continue
					}
				}
			}
			// The backward step towards the clean image (sec. 3.2).
			for e := range nj {
				nj[e] = xj[e] + float32(c.Beta)*(nj[e]-xj[e])
			}
			back = append(back, j)
		}
		if len(back) > 0 && !last {
			linearize(next, back, true)
		}
		cur, next = next, cur
		act = fabCompact(keep[:len(act)], act, nf, d, &f, &g, pred, best, &xs, &cur, &next)
	}
}

// fabCompact drops the examples not kept from FAB's state, like compact.
func fabCompact(keep []bool, act []int, nf, d int, f *[]float64, g *[]float32, pred []int, best []float64, ts ...**tensor.Tensor) []int {
	p := 0
	for j, k := range keep {
		if !k {
			continue
		}
		if p != j {
			copy((*f)[p*nf:(p+1)*nf], (*f)[j*nf:(j+1)*nf])
			copy((*g)[p*nf*d:(p+1)*nf*d], (*g)[j*nf*d:(j+1)*nf*d])
			pred[p], best[p] = pred[j], best[j]
		}
		p++
	}
	*f, *g = (*f)[:p*nf], (*g)[:p*nf*d]
	return compact(keep, act, ts...)
}

// projScratch holds fabProject's work arrays between calls.
type projScratch struct {
	k, beta []float64
	idx     []int
}

// fabProject writes into d the perturbation of smallest norm (Linf or L2)
// that moves the point t onto the hyperplane w.z = b while t+d stays in
// the box [0,1]^D: the projection of FAB's eq. (5). Coordinates with
// w_i = 0 do not move. Where the box does not reach the hyperplane, d
// moves every other coordinate as far towards it as the box allows (the
// limit of the solution as the budget grows).
//
// The solution, derived from the problem's optimality conditions: with
// r = b - w.t (say r > 0; else every sign flips), coordinate i moves in
// the direction s_i = sign(w_i r) by at most its room c_i in the box
// (1 - t_i or t_i). At Linf radius lambda the most that w.d can gain is
// sum_i |w_i| min(lambda, c_i); in L2 the optimal d is d_i = s_i
// min(a |w_i|, c_i) for a multiplier a, gaining sum_i w_i^2 min(a,
// c_i/|w_i|). Both are G(s) = sum_i k_i min(s, beta_i), continuous, concave
// and non-decreasing, and the answer is the smallest s with G(s) = |r|.
// It is found by an active-set iteration in the manner of Michelot's
// (1986) simplex projection: assume no coordinate is saturated, solve the
// linear equation for s, saturate every coordinate with beta_i <= s, and
// repeat. Each s is a lower bound of the answer (G(s) <= s sum k_i over the
// unsaturated), so what is saturated stays saturated, and the iteration
// ends, in a few rounds in practice, on the exact breakpoint segment.
func fabProject(norm Norm, t, w []float32, b float64, d []float32, ps *projScratch) {
	r := b
	for i, v := range w {
		r -= float64(v) * float64(t[i])
	}
	clear(d)
	if r == 0 || math.IsNaN(r) {
		return
	}
	ps.k, ps.beta, ps.idx = ps.k[:0], ps.beta[:0], ps.idx[:0]
	up := r > 0
	for i, v := range w {
		if v == 0 {
			continue
		}
		room := float64(t[i]) // moving down
		if (v > 0) == up {
			room = 1 - float64(t[i])
		}
		room = math.Max(room, 0)
		a := math.Abs(float64(v))
		if norm == Linf {
			ps.k, ps.beta = append(ps.k, a), append(ps.beta, room)
		} else {
			ps.k, ps.beta = append(ps.k, a*a), append(ps.beta, room/a)
		}
		ps.idx = append(ps.idx, i)
	}
	target := math.Abs(r)
	// Active coordinates are ps.idx[:na] (their k and beta alike).
	na := len(ps.idx)
	var fixed, kSum float64
	for _, k := range ps.k {
		kSum += k
	}
	s := math.Inf(1)
	for na > 0 {
		s = (target - fixed) / kSum
		p := 0
		for q := 0; q < na; q++ {
			if ps.beta[q] <= s {
				fixed += ps.k[q] * ps.beta[q]
				kSum -= ps.k[q]
				continue
			}
			ps.k[p], ps.beta[p], ps.idx[p] = ps.k[q], ps.beta[q], ps.idx[q]
			p++
		}
		if p == na {
			break
		}
		na = p
		if na == 0 {
			s = math.Inf(1) // every coordinate saturated: the box falls short
		} else {
			// Rounding can leave kSum a hair from the exact sum; recompute.
			kSum = 0
			for _, k := range ps.k[:na] {
				kSum += k
			}
		}
	}
	for i, v := range w {
		if v == 0 {
			continue
		}
		room := float64(t[i])
		dir := -1.0
		if (v > 0) == up {
			room, dir = 1-float64(t[i]), 1
		}
		room = math.Max(room, 0)
		step := s
		if norm == L2 {
			step = s * math.Abs(float64(v))
		}
		d[i] = float32(dir * math.Min(step, room))
	}
}
