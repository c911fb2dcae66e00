package train

import (
	"fmt"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// trades is TRADES (Zhang et al. 2019, "Theoretically Principled
// Trade-off between Robustness and Accuracy", eq. 5 and Algorithm 1): the
// loss is the clean cross-entropy plus Beta times KL(f(x) || f(x')), where
// x' maximizes that divergence within the eps-ball, found by PGD (Steps
// steps of Alpha) from x plus Gaussian noise of standard deviation 0.001.
// As in the authors' code the attack runs the model in evaluation mode,
// and the training loss differentiates through both predictions.
type trades struct {
	norm       attack.Norm
	eps, alpha float64
	steps      int
	beta       float64
}

// tradesStartStd is the standard deviation of TRADES's start noise.
const tradesStartStd = 0.001

func newTRADES(c RegimeConfig) (Regime, error) {
	norm, err := checkAttackSettings("trades", c)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Steps < 1:
		return nil, fmt.Errorf("trades training needs --steps >= 1 (Zhang et al.: 10 on CIFAR-10, 40 on MNIST), got %d", c.Steps)
	case !(c.Beta > 0):
		return nil, fmt.Errorf("trades training needs --beta > 0 (Zhang et al.: 6 on CIFAR-10, 1 on MNIST), got %g", c.Beta)
	case c.CheckOverfit:
		return nil, fmt.Errorf("--check-overfit is for fgsm-rs training")
	}
	return &trades{norm: norm, eps: c.Eps, alpha: c.Alpha, steps: c.Steps, beta: c.Beta}, nil
}

func (r *trades) Loss(s *Step) (*autograd.Var, *autograd.Var, error) {
	x, m := s.Batch.Images, s.Model
	// The clean prediction, in evaluation mode, is the attack's reference.
	nn.SetTraining(m, false)
	ref := autograd.Softmax(nn.Call(m, s.Tape.Input(x))).Value.Clone()
	nn.SetTraining(m, true)
	start := tensor.New(x.Shape()...)
	for j, v := range x.Data() {
		start.Data()[j] = v + float32(tradesStartStd*s.RNG.NormFloat64())
	}
	adv, err := attack.PGD(m, x, s.Batch.Labels, attack.PGDConfig{
		Norm: r.norm, Eps: r.eps, Alpha: r.alpha, Steps: r.steps, Start: start, Loss: attack.KL(ref),
	})
	if err != nil {
		return nil, nil, err
	}
	natural, logits := CrossEntropyLoss(s, x)
	advLogits := nn.Call(m, s.Tape.Input(adv))
	robust := autograd.KLDiv(autograd.LogSoftmax(advLogits), autograd.Softmax(logits))
	return autograd.Add(natural, autograd.Scale(robust, float32(r.beta))), logits, nil
}

func init() { RegisterRegime("trades", newTRADES) }
