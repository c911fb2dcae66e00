package train

import (
	"fmt"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
)

// fgsmRS is FGSM adversarial training with a random start (Wong et al.
// 2020, "Fast is better than free: revisiting adversarial training",
// Algorithm 3): each batch is perturbed by one signed gradient step of size
// Alpha (default 1.25 Eps, their choice) from a uniformly random point of
// the eps-ball, projected back, and the model is trained on the result. As
// in their code, the attack runs the model in training mode and the random
// start is not clipped to [0,1] (the result is): on MNIST, whose background
// is 0, a clipped start loses half its noise and training overfits
// catastrophically within a few epochs (PGD accuracy about 0 while FGSM
// accuracy is 88%, seen here on Madry et al.'s CNN at eps 0.3).
//
// FGSM training can collapse: within an epoch the model learns to defeat
// the single step while its PGD accuracy falls to about 0 ("catastrophic
// overfitting", sec. 5). With CheckOverfit the regime measures PGD accuracy
// on a held-out batch after every epoch, as Wong et al.'s early stopping
// does, and when it falls by more than overfitDrop from the previous
// epoch's the loop rolls back to that epoch's model and stops.
type fgsmRS struct {
	norm         attack.Norm
	eps, alpha   float64
	checkOverfit bool
}

// The catastrophic-overfitting detector: PGD with overfitSteps steps of
// eps/4 (Wong et al.'s CIFAR check uses 5 steps of 2/255 at 8/255, a step
// of eps/4), and the drop of held-out PGD accuracy that counts as collapse
// (their threshold, 0.2).
const (
	overfitSteps = 10
	overfitDrop  = 0.2
	// HeldPGDAccuracy is the metric the detector adds to every epoch.
	HeldPGDAccuracy = "held_pgd_accuracy"
)

func newFGSMRS(c RegimeConfig) (Regime, error) {
	norm, err := checkAttackSettings("fgsm-rs", c)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Steps != 0:
		return nil, fmt.Errorf("fgsm-rs training takes one step; --steps is not used (got %d)", c.Steps)
	case c.Beta != 0:
		return nil, fmt.Errorf("fgsm-rs training takes no --beta (that is TRADES's)")
	}
	r := &fgsmRS{norm: norm, eps: c.Eps, alpha: c.Alpha, checkOverfit: c.CheckOverfit}
	if r.alpha == 0 {
		r.alpha = 1.25 * c.Eps
	}
	return r, nil
}

func (r *fgsmRS) Loss(s *Step) (*autograd.Var, *autograd.Var, error) {
	adv, err := attack.PGD(s.Model, s.Batch.Images, s.Batch.Labels, attack.PGDConfig{
		Norm: r.norm, Eps: r.eps, Alpha: r.alpha, Steps: 1, RandomStart: true, UnclippedStart: true, KeepMode: true, RNG: s.RNG,
	})
	if err != nil {
		return nil, nil, err
	}
	loss, logits := CrossEntropyLoss(s, adv)
	return loss, logits, nil
}

// AfterEpoch implements EpochHook: the catastrophic-overfitting detector.
func (r *fgsmRS) AfterEpoch(e *EpochEnd) (Verdict, error) {
	if !r.checkOverfit {
		return Verdict{}, nil
	}
	h := e.Held
	adv, err := attack.PGD(e.Model, h.Images, h.Labels, attack.PGDConfig{
		Norm: r.norm, Eps: r.eps, Alpha: r.eps / 4, Steps: overfitSteps, RandomStart: true, RNG: e.RNG,
	})
	if err != nil {
		return Verdict{}, err
	}
	tp := autograd.NewTape()
	acc := float64(countCorrect(nn.Call(e.Model, tp.Input(adv)), h.Labels)) / float64(len(h.Labels))
	v := Verdict{Metrics: map[string]float64{HeldPGDAccuracy: acc}}
	if k := len(e.History); k > 0 {
		if prev, ok := e.History[k-1].Extra[HeldPGDAccuracy]; ok && acc < prev-overfitDrop {
			v.Rollback = true
			v.Message = fmt.Sprintf("catastrophic overfitting: PGD-%d accuracy on the held-out batch fell from %.3f to %.3f in epoch %d (more than %.1f)",
				overfitSteps, prev, acc, e.Epoch+1, overfitDrop)
		}
	}
	return v, nil
}

func init() { RegisterRegime("fgsm-rs", newFGSMRS) }
