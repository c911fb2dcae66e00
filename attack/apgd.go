package attack

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// APGDConfig configures Auto-PGD (Croce & Hein 2020, "Reliable evaluation
// of adversarial robustness with an ensemble of diverse parameter-free
// attacks", Algorithm 1): PGD with momentum 0.75 whose step size starts at
// 2*eps and halves at checkpoints where the loss stopped rising, restarting
// from the best point found. It needs no step size, only a budget of
// iterations. With Loss DLR() it is APGD-DLR, with the cross-entropy
// APGD-CE; with TargetClasses it is AutoAttack's APGD-T.
type APGDConfig struct {
	// Norm is Linf (the default, "") or L2.
	Norm Norm
	// Eps is the budget in [0,1] pixel units (>= 0).
	Eps float64
	// Steps is the number of iterations N_iter (>= 1; 100 in the paper).
	Steps int
	// Restarts is the number of runs from random starts (0 and 1 mean
	// one); later runs attack only the examples not yet fooled.
	Restarts int
	// Loss is the objective; nil is the cross-entropy.
	Loss Objective
	// Targets, if non-nil, makes the attack targeted: success means
	// predicting Targets[i].
	Targets []int
	// TargetClasses, if positive, makes the attack APGD-T, the targeted
	// APGD of AutoAttack (Croce & Hein 2020, sec. 4): a run towards each
	// of the TargetClasses classes that the model scores highest after the
	// label on the clean image, in turn, each on the examples not yet
	// misclassified, with the targeted DLR loss (eq. 8; Loss nil) or the
	// targeted version of Loss. The target steers the loss only: success
	// is any misclassification. At most K-1 for K classes; it excludes
	// Targets. Restarts apply per target class.
	TargetClasses int
	// KeepMode attacks the model in the mode it is in; by default in
	// evaluation mode.
	KeepMode bool
	// RNG supplies the random starts; nil means a generator seeded with
	// Seed.
	RNG  *rand.Rand
	Seed uint64
}

// The constants of Croce & Hein 2020, sec. 3.
const (
	apgdMomentum = 0.75 // alpha of Algorithm 1
	apgdRho      = 0.75 // rho of Condition 1
)

func (c *APGDConfig) check() error {
	var err error
	if c.Norm, err = c.Norm.resolve(); err != nil {
		return err
	}
	if err := checkBudget("eps", c.Eps); err != nil {
		return err
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("attack: APGD needs at least 1 iteration, got %d", c.Steps)
	case c.Restarts < 0:
		return fmt.Errorf("attack: restarts must be >= 0, got %d", c.Restarts)
	case c.TargetClasses < 0:
		return fmt.Errorf("attack: APGD-T's number of target classes must be >= 0, got %d", c.TargetClasses)
	case c.TargetClasses > 0 && c.Targets != nil:
		return fmt.Errorf("attack: APGD-T picks its own targets: give TargetClasses or Targets, not both")
	}
	return nil
}

func (c *APGDConfig) rng() *rand.Rand { return seededRNG(c.RNG, c.Seed) }

// APGD returns adversarial versions of the images x [N,C,H,W] in [0,1]:
// for each example the first iterate that fooled the model, or else the
// iterate of highest loss. x is not modified.
func APGD(m nn.Module, x *tensor.Tensor, labels []int, c APGDConfig) (*tensor.Tensor, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	loss := c.Loss
	if c.TargetClasses > 0 && loss == nil {
		loss = DLR()
	}
	o, done, err := session(m, x, labels, c.Targets, loss, c.KeepMode)
	if err != nil {
		return nil, err
	}
	defer done()
	if c.TargetClasses > 0 {
		if err := checkTargetClasses("APGD-T", c.TargetClasses, o.k); err != nil {
			return nil, err
		}
		if err := checkObjective(loss, o.k, true, x.Dim(0)); err != nil {
			return nil, fmt.Errorf("attack: APGD-T: %w", err)
		}
	}
	res := newOutcome(x)
	c.run(o, x, allIndices(x.Dim(0)), c.rng(), res)
	return res.adv, nil
}

// apgdCheckpoints returns the iterations w_1 < w_2 < ... < N_iter at
// which APGD may halve its step size: w_j = ceil(p_j N_iter) with p_0 = 0,
// p_1 = 0.22 and p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) (sec. 3.2);
// duplicates, which short runs produce, are dropped.
func apgdCheckpoints(nIter int) []int {
	// In hundredths, so that 0.41*100 is 41 and not 41.000000000000004.
	var w []int
	prev, p := 0, 22
	for p <= 100 {
		k := (p*nIter + 99) / 100
		if len(w) == 0 || k > w[len(w)-1] {
			w = append(w, k)
		}
		prev, p = p, p+max(p-prev-3, 6)
	}
	return w
}

// run attacks examples todo of the batch x. Every iterate is evaluated, so
// res ends up with each example's first fooling iterate (the attack then
// stops on that example) or its highest-loss iterate.
func (c *APGDConfig) run(o *oracle, x *tensor.Tensor, todo []int, rng *rand.Rand, res *outcome) {
	checkpoints := apgdCheckpoints(c.Steps)
	if c.TargetClasses == 0 {
		for r := 0; r < max(c.Restarts, 1); r++ {
			act := res.unfooled(todo)
			if len(act) == 0 {
				return
			}
			c.once(o, x, act, rng, res, checkpoints)
		}
		return
	}
	// APGD-T: the targets are the other classes in the order of the
	// clean image's logits (AutoAttack's APGDAttack_targeted takes the
	// 2nd, 3rd, ... highest of examples it classifies correctly).
	act := res.unfooled(todo)
	if len(act) == 0 {
		return
	}
	ranks := map[int][]int{}
	for j, r := range classRanks(o, x, act) {
		ranks[act[j]] = r
	}
	savedTargets, savedMis := o.targets, o.misclassify
	defer func() { o.targets, o.misclassify = savedTargets, savedMis }()
	targets := make([]int, len(o.labels))
	o.targets, o.misclassify = targets, true
	for rank := 1; rank <= c.TargetClasses; rank++ {
		for r := 0; r < max(c.Restarts, 1); r++ {
			act := res.unfooled(todo)
			if len(act) == 0 {
				return
			}
			for _, i := range act {
				targets[i] = ranks[i][rank-1]
			}
			c.once(o, x, act, rng, res, checkpoints)
		}
	}
}

// once is one run of Algorithm 1 on examples act.
func (c *APGDConfig) once(o *oracle, x *tensor.Tensor, act []int, rng *rand.Rand, res *outcome, checkpoints []int) {
	eps := float32(c.Eps)
	n := len(act)
	xs := rowsOf(x, act)
	cur := tensor.New(xs.Shape()...)
	apgdStart(c.Norm, cur, xs, eps, rng)
	prev := cur.Clone() // x^(k-1)
	best := cur.Clone() // x_max, and its gradient
	grad, bestGrad := tensor.New(xs.Shape()...), tensor.New(xs.Shape()...)
	z := tensor.New(xs.Shape()...)
	st := &apgdState{
		eta: make([]float32, n), f: make([]float64, n), fmax: make([]float64, n),
		fmaxAtCheck: make([]float64, n), rises: make([]int, n), reduced: make([]bool, n),
	}
	for j := range st.eta {
		st.eta[j] = 2 * eps
	}
	pred, keep := make([]int, n), make([]bool, n)

	// evaluate x^(k) = cur: loss, gradient (not needed at the last
	// iterate), success; drops the examples it fools and reports whether
	// any are left.
	evaluate := func(k int) bool {
		m := len(act)
		f := st.f[:m]
		fPrev := append([]float64(nil), f...)
		g := grad
		if k == c.Steps {
			g = nil
		}
		o.eval(cur, act, g, f, pred[:m])
		for j, i := range act {
			keep[j] = !o.success(i, pred[j])
			if !keep[j] {
				res.record(i, row(cur, j), pred[j], f[j], true)
				continue
			}
			if k > 0 && f[j] > fPrev[j] {
				st.rises[j]++
			}
			if k == 0 || f[j] > st.fmax[j] {
				st.fmax[j] = f[j]
				copy(row(best, j), row(cur, j))
				copy(row(bestGrad, j), row(grad, j))
			}
			if k == 0 {
				st.fmaxAtCheck[j] = f[j]
			}
		}
		act = st.compact(keep[:m], act, &xs, &cur, &prev, &best, &grad, &bestGrad, &z)
		return len(act) > 0
	}

	if !evaluate(0) {
		return
	}
	lastCheck := 0
	for k := 0; k < c.Steps && !o.cancelled(); k++ {
		// z = P(x^(k) + eta * direction(grad)); x^(k+1) = P(x^(k) +
		// a(z - x^(k)) + (1-a)(x^(k) - x^(k-1))), with a = 1 on the first
		// step (no momentum yet).
		copy(z.Data(), cur.Data())
		for j := range act {
			ascendRow(c.Norm, row(z, j), row(grad, j), st.eta[j])
		}
		project(c.Norm, z, xs, eps)
		a := float32(apgdMomentum)
		if k == 0 {
			a = 1
		}
		zd, cd, pd := z.Data(), cur.Data(), prev.Data()
		for e := range cd {
			next := cd[e] + a*(zd[e]-cd[e]) + (1-a)*(cd[e]-pd[e])
			pd[e] = cd[e]
			cd[e] = next
		}
		project(c.Norm, cur, xs, eps)
		if !evaluate(k + 1) {
			return
		}
		// At checkpoint w_j: halve the step size of an example whose loss
		// rose in fewer than rho of the steps since w_{j-1} (Condition 1),
		// or whose step size and best loss both stayed the same since then
		// (Condition 2); it restarts from its best point.
		if len(checkpoints) > 0 && k+1 == checkpoints[0] {
			span := k + 1 - lastCheck
			for j := range act {
				cond1 := float64(st.rises[j]) < apgdRho*float64(span)
				cond2 := !st.reduced[j] && st.fmax[j] == st.fmaxAtCheck[j]
				st.reduced[j] = cond1 || cond2
				if st.reduced[j] {
					st.eta[j] /= 2
					copy(row(cur, j), row(best, j))
					copy(row(grad, j), row(bestGrad, j))
					st.f[j] = st.fmax[j]
				}
				st.rises[j] = 0
				st.fmaxAtCheck[j] = st.fmax[j]
			}
			lastCheck, checkpoints = k+1, checkpoints[1:]
		}
	}
	for j, i := range act {
		res.record(i, row(best, j), -1, st.fmax[j], false)
	}
}

// apgdState is APGD's per-example bookkeeping, indexed like the active
// examples.
type apgdState struct {
	eta         []float32 // step size
	f           []float64 // loss at the current iterate
	fmax        []float64 // best loss so far
	fmaxAtCheck []float64 // best loss at the last checkpoint
	rises       []int     // steps since the last checkpoint that raised the loss
	reduced     []bool    // whether the step size was halved at the last checkpoint
}

// compact drops the per-example state of examples not kept, with the
// tensors' rows, and returns the filtered indices.
func (s *apgdState) compact(keep []bool, act []int, ts ...**tensor.Tensor) []int {
	p := 0
	for j, k := range keep {
		if k {
			s.eta[p], s.f[p], s.fmax[p] = s.eta[j], s.f[j], s.fmax[j]
			s.fmaxAtCheck[p], s.rises[p], s.reduced[p] = s.fmaxAtCheck[j], s.rises[j], s.reduced[j]
			p++
		}
	}
	return compact(keep, act, ts...)
}

// ascendRow steps one image a along gradient g by eta for the norm.
func ascendRow(norm Norm, a, g []float32, eta float32) {
	if norm == Linf {
		for e, v := range g {
			a[e] += eta * sign(v)
		}
		return
	}
	n := l2(g)
	if n == 0 {
		return
	}
	s := float32(float64(eta) / (n + 1e-12))
	for e, v := range g {
		a[e] += s * v
	}
}

// apgdStart is the random start of Croce & Hein's implementation: a random
// perturbation scaled to norm exactly eps (uniform entries rescaled to Linf
// norm eps, or a Gaussian direction of L2 length eps), clipped to [0,1].
func apgdStart(norm Norm, adv, x *tensor.Tensor, eps float32, rng *rand.Rand) {
	for i := 0; i < adv.Dim(0); i++ {
		ai, xi := row(adv, i), row(x, i)
		var n float64
		for e := range ai {
			if norm == Linf {
				ai[e] = 2*rng.Float32() - 1
			} else {
				ai[e] = float32(rng.NormFloat64())
			}
		}
		if norm == Linf {
			n = linf(ai)
		} else {
			n = l2(ai)
		}
		f := float32(0)
		if n > 0 {
			f = float32(float64(eps) / n)
		}
		for e, v := range ai {
			ai[e] = min(max(xi[e]+f*v, 0), 1)
		}
	}
}
