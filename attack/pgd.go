package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// PGDConfig configures projected gradient descent (Madry et al. 2018,
// "Towards Deep Learning Models Resistant to Adversarial Attacks", eq. 2):
// from a start inside the budget, Steps times: step by Alpha along the
// gradient's steepest ascent direction for the norm, project back onto the
// eps-ball around the image and onto [0,1].
type PGDConfig struct {
	// Norm is Linf (the default, "") or L2.
	Norm Norm
	// Eps is the budget in [0,1] pixel units (>= 0).
	Eps float64
	// Alpha is the step size in pixel units; 0 means 2.5*Eps/Steps, Madry
	// et al.'s rule, which lets a run cross the ball and back.
	Alpha float64
	// Steps is the number of gradient steps (>= 1).
	Steps int
	// Restarts is the number of runs from independent random starts (0
	// and 1 both mean one); an example counts as fooled if any run fools
	// it, else the run with the highest final loss is kept. Later runs
	// only attack the examples not yet fooled. More than one needs
	// RandomStart.
	Restarts int
	// RandomStart starts from a uniformly random point of the ball (see
	// randomStart) instead of the image itself.
	RandomStart bool
	// UnclippedStart leaves the random start unclipped to [0,1] (every
	// later iterate is clipped), as Wong et al. 2020's FGSM training draws
	// it: on pixels at 0 or 1, such as MNIST's background, clipping would
	// cancel half the start's noise, and weaker noise invites catastrophic
	// overfitting (de Jorge et al. 2022 study the effect).
	UnclippedStart bool
	// Start, if non-nil, is the first iterate (shape of the images; it is
	// projected onto the budget first): for parity tests with fixed starts
	// and for warm starts. It excludes RandomStart.
	Start *tensor.Tensor
	// Loss is the objective ascended; nil is the cross-entropy.
	Loss Objective
	// Targets, if non-nil, makes the attack targeted: example i is pushed
	// towards class Targets[i] and success means predicting it.
	Targets []int
	// EarlyStop stops moving an example once the model misclassifies it
	// (predicts the target, if targeted) and returns that iterate, as
	// robust-accuracy evaluations do (Wong et al. 2020's evaluation);
	// without it every example takes every step, as in Madry et al.'s
	// training and in PyTorch loops.
	EarlyStop bool
	// KeepMode attacks the model in the mode it is in (training regimes
	// that craft examples against batch statistics); by default the model
	// is put in evaluation mode for the attack.
	KeepMode bool
	// RNG supplies the random starts; nil means a generator seeded with
	// Seed.
	RNG  *rand.Rand
	Seed uint64
}

func (c *PGDConfig) check(x *tensor.Tensor) error {
	var err error
	if c.Norm, err = c.Norm.resolve(); err != nil {
		return err
	}
	if err := checkBudget("eps", c.Eps); err != nil {
		return err
	}
	if err := checkBudget("the step size alpha", c.Alpha); err != nil {
		return err
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("attack: PGD needs at least 1 step, got %d", c.Steps)
	case c.Restarts < 0:
		return fmt.Errorf("attack: restarts must be >= 0, got %d", c.Restarts)
	case c.Restarts > 1 && !c.RandomStart:
		return fmt.Errorf("attack: %d restarts need a random start (they would all repeat the same run)", c.Restarts)
	case c.UnclippedStart && !c.RandomStart:
		return fmt.Errorf("attack: an unclipped start needs a random start")
	case c.Start != nil && c.RandomStart:
		return fmt.Errorf("attack: a fixed start and a random start exclude each other")
	case c.Start != nil && (x == nil || !tensor.SameShape(c.Start.Shape(), x.Shape())):
		return fmt.Errorf("attack: the start has shape %s, the images %s", tensor.FormatShape(c.Start.Shape()), shapeOf(x))
	}
	return nil
}

func shapeOf(x *tensor.Tensor) string {
	if x == nil {
		return "nil"
	}
	return tensor.FormatShape(x.Shape())
}

// stepSize is Alpha, or Madry et al.'s 2.5*Eps/Steps.
func (c *PGDConfig) stepSize() float32 {
	if c.Alpha > 0 {
		return float32(c.Alpha)
	}
	return float32(2.5 * c.Eps / float64(c.Steps))
}

func (c *PGDConfig) rng() *rand.Rand { return seededRNG(c.RNG, c.Seed) }

// PGD returns adversarial versions of the images x [N,C,H,W] in [0,1] for
// their labels. x is not modified.
func PGD(m nn.Module, x *tensor.Tensor, labels []int, c PGDConfig) (*tensor.Tensor, error) {
	if err := c.check(x); err != nil {
		return nil, err
	}
	o, done, err := session(m, x, labels, c.Targets, c.Loss, c.KeepMode)
	if err != nil {
		return nil, err
	}
	defer done()
	res := newOutcome(x)
	c.run(o, x, allIndices(x.Dim(0)), c.rng(), res, false)
	return res.adv, nil
}

// outcome is what an attack found for each example of a batch.
type outcome struct {
	// adv holds the adversarial images [N,C,H,W], initially the clean ones.
	adv *tensor.Tensor
	// fooled marks the examples the attack succeeded on.
	fooled []bool
	// pred and loss are the prediction and the objective at adv[i]
	// (-1 and -Inf where the attack did not evaluate its final iterate).
	pred []int
	loss []float64
}

func newOutcome(x *tensor.Tensor) *outcome {
	n := x.Dim(0)
	r := &outcome{adv: x.Clone(), fooled: make([]bool, n), pred: make([]int, n), loss: make([]float64, n)}
	for i := range r.pred {
		r.pred[i], r.loss[i] = -1, math.Inf(-1)
	}
	return r
}

// record keeps image a for example i if it fooled the model or if it has
// a higher loss than what was kept, unless the example is fooled already.
func (r *outcome) record(i int, a []float32, pred int, loss float64, fooled bool) {
	if r.fooled[i] || (!fooled && !(loss > r.loss[i])) {
		return
	}
	copy(row(r.adv, i), a)
	r.fooled[i], r.pred[i], r.loss[i] = fooled, pred, loss
}

// unfooled returns the examples of todo the attack has not fooled yet.
func (r *outcome) unfooled(todo []int) []int {
	var act []int
	for _, i := range todo {
		if !r.fooled[i] {
			act = append(act, i)
		}
	}
	return act
}

// seededRNG is r, or a generator seeded with seed where r is nil: the
// attacks' RNG and Seed options.
func seededRNG(r *rand.Rand, seed uint64) *rand.Rand {
	if r != nil {
		return r
	}
	return tensor.NewRNG(seed)
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// run attacks examples todo of the batch x (indices), writing into res.
// With final (or several restarts) the last iterate is evaluated, so that
// res says which examples were fooled and with what prediction.
func (c *PGDConfig) run(o *oracle, x *tensor.Tensor, todo []int, rng *rand.Rand, res *outcome, final bool) {
	restarts := max(c.Restarts, 1)
	eps, alpha := float32(c.Eps), c.stepSize()
	for r := 0; r < restarts; r++ {
		act := res.unfooled(todo)
		if len(act) == 0 {
			return
		}
		xs := rowsOf(x, act)
		var adv *tensor.Tensor
		switch {
		case c.Start != nil:
			adv = rowsOf(c.Start, act)
			project(c.Norm, adv, xs, eps)
		case c.RandomStart:
			adv = tensor.New(xs.Shape()...)
			randomStart(c.Norm, adv, xs, eps, rng, !c.UnclippedStart)
		default:
			adv = xs.Clone()
		}
		grad := tensor.New(xs.Shape()...)
		loss, pred, keep := make([]float64, len(act)), make([]int, len(act)), make([]bool, len(act))
		for s := 0; s < c.Steps && len(act) > 0 && !o.cancelled(); s++ {
			o.eval(adv, act, grad, loss, pred)
			// An unclipped start is no valid image: it cannot count as a
			// success.
			if c.EarlyStop && !(s == 0 && c.UnclippedStart) {
				n := len(act)
				for j, i := range act {
					keep[j] = !o.success(i, pred[j])
					if !keep[j] {
						res.record(i, row(adv, j), pred[j], loss[j], true)
					}
				}
				if act = compact(keep[:n], act, &xs, &adv, &grad); len(act) == 0 {
					break
				}
			}
			ascend(c.Norm, adv, grad, alpha)
			project(c.Norm, adv, xs, eps)
		}
		if len(act) == 0 {
			continue
		}
		if final || restarts > 1 {
			loss, pred = loss[:len(act)], pred[:len(act)]
			o.eval(adv, act, nil, loss, pred)
			for j, i := range act {
				res.record(i, row(adv, j), pred[j], loss[j], o.success(i, pred[j]))
			}
			continue
		}
		for j, i := range act {
			copy(row(res.adv, i), row(adv, j))
		}
	}
}
