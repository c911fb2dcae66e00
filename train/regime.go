package train

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Regime computes the training loss of a batch. The loop records the
// regime's forward passes on Step.Tape, calls Backward on the loss it
// returns and steps the optimizer.
type Regime interface {
	// Loss returns the batch's loss and the logits that training accuracy is
	// counted on (the logits of what the model was trained on: clean,
	// noisy or adversarial images).
	Loss(s *Step) (loss, logits *autograd.Var, err error)
}

// EpochHook is implemented by regimes that check the model after every
// epoch (FGSM training's catastrophic-overfitting detector).
type EpochHook interface {
	// AfterEpoch runs after an epoch's training and evaluation, before its
	// checkpoint. The model is in evaluation mode.
	AfterEpoch(e *EpochEnd) (Verdict, error)
}

// Verdict is what an EpochHook decides.
type Verdict struct {
	// Metrics are added to the epoch's metrics line.
	Metrics map[string]float64
	// Rollback restores the model and optimizer as they were at the end of
	// the previous epoch, then training stops; Message says why.
	Rollback bool
	Message  string
}

// Step is one training step's context.
type Step struct {
	// Tape is where every forward pass of the step is recorded; it was
	// Reset before the step.
	Tape *autograd.Tape
	// Model is in training mode.
	Model nn.Module
	// Batch is the data; Images is [N,C,H,W] in [0,1].
	Batch *data.Batch
	// RNG is the run's generator (checkpointed), for the regime's draws.
	RNG *rand.Rand
	// Epoch (from 0) and Iter (batch within the epoch, from 0).
	Epoch, Iter int
	// Config is the run's configuration.
	Config *Config
}

// EpochEnd is an EpochHook's context.
type EpochEnd struct {
	Model nn.Module
	// Epoch is the epoch just finished (from 0).
	Epoch int
	// Held is a fixed batch of training examples the hook may evaluate on.
	Held *data.Batch
	RNG  *rand.Rand
	// Config is the run's configuration.
	Config *Config
	// History holds the metrics of the epochs before this one (restored
	// on resume), so a hook can compare with its earlier verdicts.
	History []EpochMetrics
}

// RegimeFactory builds a regime from its configuration, rejecting
// settings it cannot use.
type RegimeFactory func(c RegimeConfig) (Regime, error)

var regimes = map[string]RegimeFactory{}

// RegisterRegime makes a regime available by name; regimes register
// themselves from init functions.
func RegisterRegime(name string, f RegimeFactory) {
	if _, dup := regimes[name]; dup {
		panic("train: regime " + name + " registered twice")
	}
	regimes[name] = f
}

// Regimes lists the registered regimes, sorted.
func Regimes() []string {
	return slices.Sorted(maps.Keys(regimes))
}

func newRegime(c RegimeConfig) (Regime, error) {
	f, ok := regimes[c.Name]
	if !ok {
		return nil, fmt.Errorf("train: unknown regime %q (known: %s)", c.Name, strings.Join(Regimes(), ", "))
	}
	r, err := f(c)
	if err != nil {
		return nil, fmt.Errorf("train: regime %s: %w", c.Name, err)
	}
	return r, nil
}

// CrossEntropyLoss records the model's logits on images and their mean
// cross-entropy against labels, with the run's label smoothing. Regimes
// share it.
func CrossEntropyLoss(s *Step, images *tensor.Tensor) (loss, logits *autograd.Var) {
	logits = s.Model.Forward(s.Tape.Input(images))
	return autograd.CrossEntropy(logits, s.Batch.Labels, s.Config.LabelSmoothing), logits
}

// standard is empirical risk minimization on the clean images.
type standard struct{}

func (standard) Loss(s *Step) (*autograd.Var, *autograd.Var, error) {
	loss, logits := CrossEntropyLoss(s, s.Batch.Images)
	return loss, logits, nil
}

func init() {
	RegisterRegime("standard", func(c RegimeConfig) (Regime, error) {
		if c.Eps != 0 || c.Steps != 0 || c.Noise != "" || c.Beta != 0 {
			return nil, fmt.Errorf("standard training takes no attack or noise settings")
		}
		return standard{}, nil
	})
}
