package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// SquareConfig configures the Square attack (Andriushchenko et al. 2020,
// "Square Attack: a query-efficient black-box adversarial attack via
// random search", Algorithms 1-3): a random search that sees only the
// model's scores, never a gradient. In Linf it starts from vertical stripes
// of +-eps and proposes, one query at a time, to set a random square of the
// image (of a side that shrinks on a fixed schedule) to a random corner of
// the budget per channel; in L2 it starts from a grid of the paper's
// nested-square patterns and proposes to move the perturbation's mass
// from one random square into another (Algorithm 3). It keeps a proposal
// if it lowers the margin (the cross-entropy of the target when
// targeted). Because it needs no
// gradient, it is the check on gradient masking: a model whose gradients
// hide adversarial examples from FGSM and PGD does not hide them from it.
type SquareConfig struct {
	// Norm is Linf (the default, "") or L2.
	Norm Norm
	// Eps is the budget in [0,1] pixel units (>= 0).
	Eps float64
	// Queries is the number of model evaluations per example, the first
	// (the stripes) included (>= 1; the paper's schedule is for 10,000,
	// and is rescaled to this budget as in the authors' code).
	Queries int
	// PInit is the fraction of the pixels the first squares cover, in
	// (0, 1]; 0 means 0.8, the value Croce & Hein's AutoAttack uses on
	// MNIST and CIFAR-10.
	PInit float64
	// FixedSchedule keeps the schedule of p at the iterations of a
	// 10,000-query run whatever Queries is, as AutoAttack runs Square
	// (resc_schedule=False); by default it is rescaled to Queries.
	FixedSchedule bool
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
	var err error
	if c.Norm, err = c.Norm.resolve(); err != nil {
		return err
	}
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
// authors' code rescales to shorter budgets unless fixed.
func squareP(pInit float64, it, n int, fixed bool) float64 {
	t := it
	if !fixed {
		t = int(float64(it) / float64(n) * 10000)
	}
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
	if c.Norm == L2 {
		for j := range act {
			squareStartL2(row(cur, j), row(xs, j), ch, h, w, eps, rng)
		}
	} else {
		squareStartLinf(cur, xs, ch, h, w, eps, rng)
	}
	n := len(act)
	f, fNew := make([]float64, n), make([]float64, n)
	pred, keep := make([]int, n), make([]bool, n)
	cand := tensor.New(xs.Shape()...)
	etas := map[int][]float64{}

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
		s := int(math.Round(math.Sqrt(squareP(c.PInit, it, c.Queries, c.FixedSchedule) * float64(h*w))))
		if c.Norm == L2 {
			// Odd, so that the nested squares have a centre, and at least 3.
			s = max(s, 3)
			if s%2 == 0 {
				s++
			}
			s = min(s, h, w)
		} else {
			s = max(min(s, min(h, w)-1), 1)
		}
		copy(cand.Data(), cur.Data())
		for j := range act {
			if c.Norm == L2 {
				proposeSquareL2(row(cand, j), row(cur, j), row(xs, j), ch, h, w, s, eps, rng, etas)
			} else {
				proposeSquare(row(cand, j), row(cur, j), row(xs, j), ch, h, w, s, eps, rng)
			}
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

// squareStartLinf writes the Linf start into cur: vertical stripes, each
// column of each channel of each image at x + eps or x - eps (Algorithm 2).
func squareStartLinf(cur, xs *tensor.Tensor, ch, h, w int, eps float32, rng *rand.Rand) {
	for j := 0; j < cur.Dim(0); j++ {
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

// squareEta returns the paper's L2 update pattern of side s (sec. 3.2,
// Fig. 2), row-major, of unit L2 norm: the top s/2 rows hold nested
// rectangles around their centre, the r-th ring from the centre weighted
// 1/(r+1)^2, the bottom rows the same pattern negated, so that the
// pattern sums to about zero and concentrates its mass near the centres.
func squareEta(s int) []float64 {
	eta := make([]float64, s*s)
	top := s / 2
	rectangles(eta[:top*s], top, s, 1)
	rectangles(eta[top*s:], s-top, s, -1)
	normalize64(eta)
	return eta
}

// rectangles adds into a (rows x cols, row-major) the nested rectangles
// centred at (rows/2, cols/2), ring r weighted sign/(r+1)^2, normalized to
// unit L2 norm.
func rectangles(a []float64, rows, cols int, sign float64) {
	if rows == 0 {
		return
	}
	cr, cc := rows/2, cols/2
	for r := 0; r <= max(cr, cc); r++ {
		wgt := sign / float64((r+1)*(r+1))
		for i := max(cr-r, 0); i < min(cr+r+1, rows); i++ {
			for j := max(cc-r, 0); j < min(cc+r+1, cols); j++ {
				a[i*cols+j] += wgt
			}
		}
	}
	normalize64(a)
}

// normalize64 scales v to unit L2 norm (leaves a zero vector alone).
func normalize64(v []float64) {
	var s float64
	for _, e := range v {
		s += e * e
	}
	if s == 0 {
		return
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
}

// etaAt is pattern eta of side s, transposed if tr, at (i, j).
func etaAt(eta []float64, s, i, j int, tr bool) float64 {
	if tr {
		i, j = j, i
	}
	return eta[i*s+j]
}

// squareStartL2 writes the L2 start into cur (one image; x is the clean
// one): the image tiled by windows of side h/5, each channel of each
// window the pattern of squareEta with a random sign (and orientation),
// the whole rescaled to L2 norm eps and clipped to [0,1] (Algorithm 3's
// initialization).
func squareStartL2(cur, x []float32, ch, h, w int, eps float32, rng *rand.Rand) {
	s := max(h/5, 1)
	off := (h - 5*s) / 2
	eta := squareEta(s)
	delta := make([]float64, len(cur))
	for vh := off; vh < h && vh < off+(h/s)*s; vh += s {
		for vw := off; vw < w && vw < off+(w/s)*s; vw += s {
			tr := rng.IntN(2) == 0
			for c := 0; c < ch; c++ {
				sg := 1.0
				if rng.IntN(2) == 0 {
					sg = -1
				}
				for i := 0; i < s && vh+i < h; i++ {
					for j := 0; j < s && vw+j < w; j++ {
						delta[(c*h+vh+i)*w+vw+j] += sg * etaAt(eta, s, i, j, tr)
					}
				}
			}
		}
	}
	placeL2(cur, x, delta, eps)
}

// placeL2 writes clip(x + eps*delta/||delta||_2, 0, 1) into cur.
func placeL2(cur, x []float32, delta []float64, eps float32) {
	var n float64
	for _, v := range delta {
		n += v * v
	}
	f := float64(eps) / (math.Sqrt(n) + 1e-12)
	for e, v := range delta {
		cur[e] = float32(min(max(float64(x[e])+f*v, 0), 1))
	}
}

// proposeSquareL2 is Algorithm 3's proposal: with delta = cur - x, pick two
// random s x s windows W1 and W2; per channel, replace delta on W1 by a
// random-signed eta pattern plus delta's own W1 part (normalized), scaled
// so that the channel's mass on W1 and W2 together, plus an equal share
// of the budget delta does not use yet, lands on W1; zero W2; rescale to
// L2 norm eps and clip to [0,1]. etas caches the patterns by side.
func proposeSquareL2(cand, cur, x []float32, ch, h, w, s int, eps float32, rng *rand.Rand, etas map[int][]float64) {
	eta, ok := etas[s]
	if !ok {
		eta = squareEta(s)
		etas[s] = eta
	}
	delta := make([]float64, len(cur))
	var total float64
	for e, v := range cur {
		delta[e] = float64(v) - float64(x[e])
		total += delta[e] * delta[e]
	}
	r1, c1 := rng.IntN(h-s+1), rng.IntN(w-s+1)
	r2, c2 := rng.IntN(h-s+1), rng.IntN(w-s+1)
	tr := rng.IntN(2) == 0
	in := func(r0, c0, i, j int) bool { return i >= r0 && i < r0+s && j >= c0 && j < c0+s }
	spare := math.Max(float64(eps)*float64(eps)-total, 0) / float64(ch)
	win := make([]float64, s*s)
	for c := 0; c < ch; c++ {
		plane := delta[c*h*w : (c+1)*h*w]
		var n1, n12 float64
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				v := plane[i*w+j]
				a, b := in(r1, c1, i, j), in(r2, c2, i, j)
				if a {
					n1 += v * v
				}
				if a || b {
					n12 += v * v
				}
			}
		}
		n1 = math.Sqrt(n1)
		sg := 1.0
		if rng.IntN(2) == 0 {
			sg = -1
		}
		var nw float64
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				v := sg*etaAt(eta, s, i, j, tr) + plane[(r1+i)*w+c1+j]/(n1+1e-12)
				win[i*s+j] = v
				nw += v * v
			}
		}
		scale := math.Sqrt(spare+n12) / (math.Sqrt(nw) + 1e-12)
		for i := r2; i < r2+s; i++ {
			for j := c2; j < c2+s; j++ {
				plane[i*w+j] = 0
			}
		}
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				plane[(r1+i)*w+c1+j] = win[i*s+j] * scale
			}
		}
	}
	placeL2(cand, x, delta, eps)
}
