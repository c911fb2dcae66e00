package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// SquareConfig configures the Linf Square attack (Andriushchenko et al.
// 2020, "Square Attack: a query-efficient black-box adversarial attack via
// random search", Algorithms 1 and 2): a random search that sees only the
// model's scores, never a gradient. It starts from vertical stripes of
// +-eps and proposes, one query at a time, to set a random square of the
// image (of a side that shrinks on a fixed schedule) to a random corner of
// the budget per channel, keeping the proposal if it lowers the margin
// (the cross-entropy of the target when targeted). Because it needs no
// gradient, it is the check on gradient masking: a model whose gradients
// hide adversarial examples from FGSM and PGD does not hide them from it.
type SquareConfig struct {
	// Eps is the Linf budget in [0,1] pixel units (>= 0).
	Eps float64
	// Queries is the number of model evaluations per example, the first
	// (the stripes) included (>= 1; the paper's schedule is for 10,000,
	// and is rescaled to this budget as in the authors' code).
	Queries int
	// PInit is the fraction of the pixels the first squares cover, in
	// (0, 1]; 0 means 0.8, the value Croce & Hein's AutoAttack uses on
	// MNIST and CIFAR-10.
	PInit float64
	// Targets, if non-nil, makes the attack targeted.
	Targets []int
	// KeepMode attacks the model in the mode it is in; by default in
	// evaluation mode.
	KeepMode bool
	// RNG supplies every draw; nil means a generator seeded with Seed.
	RNG  *rand.Rand
	Seed uint64
}

func (c *SquareConfig) check() error {
	if err := checkBudget("eps", c.Eps); err != nil {
		return err
	}
	if c.Queries < 1 {
		return fmt.Errorf("attack: the Square attack needs at least 1 query, got %d", c.Queries)
	}
	if c.PInit == 0 {
		c.PInit = 0.8
	}
	if !(c.PInit > 0 && c.PInit <= 1) {
		return fmt.Errorf("attack: the Square attack's initial fraction p must be in (0, 1], got %g", c.PInit)
	}
	return nil
}

func (c *SquareConfig) rng() *rand.Rand { return seededRNG(c.RNG, c.Seed) }

// Square returns adversarial versions of the images x [N,C,H,W] in [0,1]:
// for each example the first image found that fools the model, or else the
// one of lowest margin. x is not modified.
func Square(m nn.Module, x *tensor.Tensor, labels []int, c SquareConfig) (*tensor.Tensor, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	o, done, err := session(m, x, labels, c.Targets, squareObjective(c.Targets), c.KeepMode)
	if err != nil {
		return nil, err
	}
	defer done()
	res := newOutcome(x)
	c.run(o, x, allIndices(x.Dim(0)), c.rng(), res)
	return res.adv, nil
}

// squareObjective is what the Square attack ascends: minus the margin of
// the label untargeted, minus the target's cross-entropy targeted (sec. 3
// of the paper).
func squareObjective(targets []int) Objective {
	if targets != nil {
		return CrossEntropy()
	}
	return margin{}
}

// margin is max_{k != y} z_k - z_y, positive exactly when the model is
// wrong; the Square attack ascends it. Its gradient is given for
// completeness (the attack never asks for it).
type margin struct{}

func (margin) String() string { return "margin" }

func (margin) Loss(_ int, z []float32, y, _ int, grad []float32) float64 {
	other := -1
	for k, v := range z {
		grad[k] = 0
		if k != y && (other < 0 || v > z[other]) {
			other = k
		}
	}
	if other < 0 {
		return math.Inf(-1) // one class: nothing to confuse it with
	}
	grad[other], grad[y] = 1, -1
	return float64(z[other]) - float64(z[y])
}

// squareP is the fraction of pixels a square covers at query it of n: the
// initial p halves at fixed iterations of a 10,000-query run, which the
// authors' code rescales to shorter budgets.
func squareP(pInit float64, it, n int) float64 {
	t := int(float64(it) / float64(n) * 10000)
	halvings := 0
	for _, b := range []int{10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000} {
		if t > b {
			halvings++
		}
	}
	return pInit / float64(int(1)<<halvings)
}

// run attacks examples todo of the batch x, writing into res.
func (c *SquareConfig) run(o *oracle, x *tensor.Tensor, todo []int, rng *rand.Rand, res *outcome) {
	act := res.unfooled(todo)
	if len(act) == 0 {
		return
	}
	eps := float32(c.Eps)
	ch, h, w := x.Dim(1), x.Dim(2), x.Dim(3)
	xs := rowsOf(x, act)
	cur := tensor.New(xs.Shape()...)
	// Vertical stripes: each column of each channel gets +eps or -eps.
	for j := range act {
		cj, xj := row(cur, j), row(xs, j)
		for c0 := 0; c0 < ch; c0++ {
			for col := 0; col < w; col++ {
				v := eps
				if rng.IntN(2) == 0 {
					v = -eps
				}
				for r := 0; r < h; r++ {
					e := (c0*h+r)*w + col
					cj[e] = min(max(xj[e]+v, 0), 1)
				}
			}
		}
	}
	n := len(act)
	f, fNew := make([]float64, n), make([]float64, n)
	pred, keep := make([]int, n), make([]bool, n)
	cand := tensor.New(xs.Shape()...)

	// drop records the examples whose image img fooled the model and
	// removes them from the active set.
	drop := func(img *tensor.Tensor, loss []float64) {
		m := len(act)
		for j, i := range act {
			keep[j] = !o.success(i, pred[j])
			if !keep[j] {
				res.record(i, row(img, j), pred[j], loss[j], true)
			}
		}
		p := 0
		for j := 0; j < m; j++ {
			if keep[j] {
				f[p] = f[j]
				p++
			}
		}
		act = compact(keep[:m], act, &xs, &cur, &cand)
	}

	o.eval(cur, act, nil, f[:n], pred[:n])
	drop(cur, f)
	for it := 1; it < c.Queries && len(act) > 0 && !o.cancelled(); it++ {
		s := int(math.Round(math.Sqrt(squareP(c.PInit, it, c.Queries) * float64(h*w))))
		s = max(min(s, min(h, w)-1), 1)
		copy(cand.Data(), cur.Data())
		for j := range act {
			proposeSquare(row(cand, j), row(cur, j), row(xs, j), ch, h, w, s, eps, rng)
		}
		m := len(act)
		o.eval(cand, act, nil, fNew[:m], pred[:m])
		for j := 0; j < m; j++ {
			if fNew[j] > f[j] {
				f[j] = fNew[j]
				copy(row(cur, j), row(cand, j))
			}
		}
		drop(cand, fNew)
	}
	for j, i := range act {
		res.record(i, row(cur, j), -1, f[j], false)
	}
}

// proposeSquare sets a random s x s window of cand (a copy of cur, the
// current image; x is the clean one) to x + v_c per channel c, v_c drawn
// from {-eps, +eps}, clipped to [0,1]. Draws that would leave the window
// as it is are redrawn (a few times at most: near 0 and 1 the clipping can
// make every draw a no-op), as the authors do, so queries are not wasted.
func proposeSquare(cand, cur, x []float32, ch, h, w, s int, eps float32, rng *rand.Rand) {
	r0, c0 := rng.IntN(h-s+1), rng.IntN(w-s+1)
	var v [4]float32
	vals := v[:0]
	if ch > len(v) {
		vals = make([]float32, 0, ch)
	}
	vals = vals[:ch]
	for try := 0; try < 10; try++ {
		for c := range vals {
			vals[c] = eps
			if rng.IntN(2) == 0 {
				vals[c] = -eps
			}
		}
		changed := false
		for c := 0; c < ch && !changed; c++ {
			for r := r0; r < r0+s && !changed; r++ {
				for q := c0; q < c0+s; q++ {
					e := (c*h+r)*w + q
					if min(max(x[e]+vals[c], 0), 1) != cur[e] {
						changed = true
						break
					}
				}
			}
		}
		if changed {
			break
		}
	}
	for c := 0; c < ch; c++ {
		for r := r0; r < r0+s; r++ {
			for q := c0; q < c0+s; q++ {
				e := (c*h+r)*w + q
				cand[e] = min(max(x[e]+vals[c], 0), 1)
			}
		}
	}
}
