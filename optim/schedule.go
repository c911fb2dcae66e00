package optim

import (
	"fmt"
	"math"
	"slices"
)

// Schedule gives the learning rate of one training step: epoch counts from
// 0, step is the step's index within the epoch and stepsPerEpoch (> 0) the
// number of steps in an epoch.
type Schedule func(epoch, step, stepsPerEpoch int) float64

// ScheduleConfig describes a schedule; it is what a training regime records
// in a model file and what the command line builds. Build checks it.
type ScheduleConfig struct {
	// Kind is one of:
	//   "constant"  LR throughout;
	//   "step"      LR * Gamma^floor(epoch / StepSize) (PyTorch's StepLR);
	//   "multistep" LR * Gamma^(milestones passed) (MultiStepLR);
	//   "cosine"    from LR down to MinLR along a half cosine over Epochs,
	//               per step (Loshchilov & Hutter 2017, SGDR eq. 5, without
	//               restarts);
	//   "cyclic"    linearly from MinLR up to LR at Peak * Epochs and back to
	//               MinLR at Epochs, per step: the one-cycle schedule of
	//               Wong et al. 2020's fast adversarial training.
	Kind string `json:"kind"`
	// LR is the base (or peak) learning rate.
	LR float64 `json:"lr"`
	// MinLR is where cosine ends and cyclic starts and ends (default 0).
	MinLR float64 `json:"min_lr,omitempty"`
	// Epochs is the length of a cosine or cyclic schedule.
	Epochs int `json:"epochs,omitempty"`
	// StepSize is the step schedule's period in epochs.
	StepSize int `json:"step_size,omitempty"`
	// Milestones are the epochs at which multistep multiplies by Gamma,
	// increasing.
	Milestones []int `json:"milestones,omitempty"`
	// Gamma is the step and multistep factor, in (0, 1] (0.1 usually).
	Gamma float64 `json:"gamma,omitempty"`
	// Peak is where cyclic peaks, as a fraction of Epochs in (0, 1)
	// (default 0.5; Wong et al.'s MNIST runs use 0.4).
	Peak float64 `json:"peak,omitempty"`
	// WarmupEpochs, if positive, scales the rate of the k-th step (from 0)
	// of the first WarmupEpochs epochs by (k+1)/W, W being the warm-up's
	// number of steps, a linear ramp (Goyal et al. 2017, sec. 2.2); a
	// cosine then decays over the epochs after the warm-up.
	WarmupEpochs float64 `json:"warmup_epochs,omitempty"`
}

// Kinds lists the schedule kinds.
func Kinds() []string { return []string{"constant", "step", "multistep", "cosine", "cyclic"} }

// Build returns the schedule c describes, or an error naming the field
// that is wrong.
func (c ScheduleConfig) Build() (Schedule, error) {
	bad := func(format string, args ...any) (Schedule, error) {
		return nil, fmt.Errorf("optim: %s schedule: "+format, append([]any{c.Kind}, args...)...)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !slices.Contains(Kinds(), c.Kind):
		return nil, fmt.Errorf("optim: unknown schedule %q (known: %v)", c.Kind, Kinds())
	case !(c.LR > 0) || !finite(c.LR):
		return bad("learning rate %g is not positive", c.LR)
	case !(c.MinLR >= 0 && c.MinLR <= c.LR):
		return bad("min_lr %g outside [0, lr = %g]", c.MinLR, c.LR)
	case !(c.WarmupEpochs >= 0) || !finite(c.WarmupEpochs):
		return bad("warm-up %g epochs is negative", c.WarmupEpochs)
	}
	var s Schedule
	switch c.Kind {
	case "constant":
		s = func(int, int, int) float64 { return c.LR }
	case "step":
		if c.StepSize < 1 {
			return bad("step_size %d is not a positive number of epochs", c.StepSize)
		}
		if !(c.Gamma > 0 && c.Gamma <= 1) {
			return bad("gamma %g outside (0, 1]", c.Gamma)
		}
		s = func(epoch, _, _ int) float64 { return c.LR * math.Pow(c.Gamma, float64(epoch/c.StepSize)) }
	case "multistep":
		increasing := len(c.Milestones) > 0 && c.Milestones[0] >= 1
		for i := 1; i < len(c.Milestones); i++ {
			increasing = increasing && c.Milestones[i] > c.Milestones[i-1]
		}
		if !increasing {
			return bad("milestones %v are not increasing positive epochs", c.Milestones)
		}
		if !(c.Gamma > 0 && c.Gamma <= 1) {
			return bad("gamma %g outside (0, 1]", c.Gamma)
		}
		milestones := slices.Clone(c.Milestones)
		s = func(epoch, _, _ int) float64 {
			passed, _ := slices.BinarySearch(milestones, epoch+1)
			return c.LR * math.Pow(c.Gamma, float64(passed))
		}
	case "cosine":
		if c.Epochs < 1 || c.WarmupEpochs >= float64(c.Epochs) {
			return bad("%d epochs (with %g of warm-up)", c.Epochs, c.WarmupEpochs)
		}
		span := float64(c.Epochs) - c.WarmupEpochs
		s = func(epoch, step, spe int) float64 {
			u := (float64(epoch) + float64(step)/float64(spe) - c.WarmupEpochs) / span
			u = min(max(u, 0), 1)
			return c.MinLR + (c.LR-c.MinLR)*(1+math.Cos(math.Pi*u))/2
		}
	case "cyclic":
		peak := c.Peak
		if peak == 0 {
			peak = 0.5
		}
		if c.Epochs < 1 {
			return bad("%d epochs", c.Epochs)
		}
		if !(peak > 0 && peak < 1) {
			return bad("peak %g outside (0, 1)", peak)
		}
		top := peak * float64(c.Epochs)
		s = func(epoch, step, spe int) float64 {
			// Wong et al. evaluate the schedule at the end of the step
			// (epoch + (i+1)/len(loader)), so the first step's rate is
			// not MinLR.
			t := float64(epoch) + float64(step+1)/float64(spe)
			if t <= top {
				return c.MinLR + (c.LR-c.MinLR)*t/top
			}
			return c.MinLR + (c.LR-c.MinLR)*max(float64(c.Epochs)-t, 0)/(float64(c.Epochs)-top)
		}
	}
	if c.WarmupEpochs == 0 {
		return s, nil
	}
	base := s
	return func(epoch, step, spe int) float64 {
		steps := math.Ceil(c.WarmupEpochs * float64(spe))
		if k := float64(epoch*spe + step); k < steps {
			return base(epoch, step, spe) * (k + 1) / steps
		}
		return base(epoch, step, spe)
	}, nil
}
