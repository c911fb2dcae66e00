package attack

import (
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// FGSMConfig configures the fast gradient sign method (Goodfellow et al.
// 2015, "Explaining and Harnessing Adversarial Examples", eq. 3):
// x + eps*sign(grad_x loss), clipped to [0,1]; for L2 the fast gradient
// method x + eps*grad/||grad||_2.
type FGSMConfig struct {
	// Norm is Linf (the default, "") or L2.
	Norm Norm
	// Eps is the budget in [0,1] pixel units (>= 0).
	Eps float64
	// Loss is the objective ascended; nil is the cross-entropy.
	Loss Objective
	// Targets, if non-nil, steps towards class Targets[i] (descending its
	// cross-entropy) instead of away from the label.
	Targets []int
	// KeepMode attacks the model in the mode it is in; by default in
	// evaluation mode.
	KeepMode bool
}

// pgd is FGSM as the one-step PGD it is: step eps from the image itself.
func (c FGSMConfig) pgd() PGDConfig {
	return PGDConfig{Norm: c.Norm, Eps: c.Eps, Alpha: c.Eps, Steps: 1, Loss: c.Loss, Targets: c.Targets, KeepMode: c.KeepMode}
}

// FGSM returns adversarial versions of the images x [N,C,H,W] in [0,1] for
// their labels. x is not modified.
func FGSM(m nn.Module, x *tensor.Tensor, labels []int, c FGSMConfig) (*tensor.Tensor, error) {
	return PGD(m, x, labels, c.pgd())
}
