package train

import (
	"fmt"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/autograd"
)

// pgdRegime is PGD adversarial training (Madry et al. 2018, "Towards Deep
// Learning Models Resistant to Adversarial Attacks", eq. 2.1): every batch
// is replaced by its PGD adversarial examples (a random start in the
// eps-ball, Steps steps of size Alpha) and the model is trained on those.
// The attack sees the model in evaluation mode, as in MadryLab's
// robustness library, so it neither updates nor uses batch statistics.
type pgdRegime struct {
	norm       attack.Norm
	eps, alpha float64
	steps      int
}

// checkAttackSettings reports the attack settings of regime name that are
// missing or out of range: eps > 0, alpha >= 0, a known norm.
func checkAttackSettings(name string, c RegimeConfig) (attack.Norm, error) {
	switch {
	case !(c.Eps > 0 && c.Eps <= 1):
		return "", fmt.Errorf("%s training needs --eps in (0, 1] (pixel units, e.g. 8/255), got %g", name, c.Eps)
	case !(c.Alpha >= 0):
		return "", fmt.Errorf("the step size --alpha must be >= 0, got %g", c.Alpha)
	case c.Noise != "" || len(c.Severities) > 0 || c.CleanFraction != 0:
		return "", fmt.Errorf("%s training takes no noise settings", name)
	}
	switch n := attack.Norm(c.Norm); n {
	case "", attack.Linf:
		return attack.Linf, nil
	case attack.L2:
		return attack.L2, nil
	}
	return "", fmt.Errorf("unknown --norm %q (linf or l2)", c.Norm)
}

func newPGDRegime(c RegimeConfig) (Regime, error) {
	norm, err := checkAttackSettings("pgd", c)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Steps < 1:
		return nil, fmt.Errorf("pgd training needs --steps >= 1 (Madry et al.: 7 on CIFAR-10, 40 on MNIST), got %d", c.Steps)
	case c.Beta != 0:
		return nil, fmt.Errorf("pgd training takes no --beta (that is TRADES's)")
	case c.CheckOverfit:
		return nil, fmt.Errorf("--check-overfit is for fgsm-rs training")
	}
	return &pgdRegime{norm: norm, eps: c.Eps, alpha: c.Alpha, steps: c.Steps}, nil
}

func (r *pgdRegime) Loss(s *Step) (*autograd.Var, *autograd.Var, error) {
	adv, err := attack.PGD(s.Model, s.Batch.Images, s.Batch.Labels, attack.PGDConfig{
		Norm: r.norm, Eps: r.eps, Alpha: r.alpha, Steps: r.steps, RandomStart: true, RNG: s.RNG,
	})
	if err != nil {
		return nil, nil, err
	}
	loss, logits := CrossEntropyLoss(s, adv)
	return loss, logits, nil
}

func init() { RegisterRegime("pgd", newPGDRegime) }
