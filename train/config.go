// Package train is robustlab's training loop and its regimes: epochs over a
// data set with an optimizer and a learning-rate schedule, evaluation after
// each epoch, a checkpoint after each epoch from which a killed run resumes
// with bit-identical results, metrics as JSON lines, progress with rate and
// ETA, and a clear stop on a NaN or infinite loss.
//
// A regime decides what loss a batch contributes: standard training, noise
// augmentation, adversarial training (PGD, FGSM with random start, TRADES)
// and the regimes still to come register themselves by name (RegisterRegime)
// and share the rest of the loop.
package train

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/optim"
)

// Config is everything that determines a training run. Two runs with equal
// Configs on the same machine produce bit-identical models.
type Config struct {
	// Data is the training set's spec ("shapes:train", "mnist:train", ...).
	Data string `json:"data"`
	// Eval is the spec of the set evaluated after each epoch ("" for none);
	// EvalLimit, if positive, evaluates its first EvalLimit examples only.
	Eval      string `json:"eval,omitempty"`
	EvalLimit int    `json:"eval_limit,omitempty"`
	// Arch and Model choose the architecture (models.New). Classes,
	// InChannels and an unset normalization are filled in from the data.
	Arch  string         `json:"arch"`
	Model models.Options `json:"model"`
	// Epochs and BatchSize shape the loop.
	Epochs    int `json:"epochs"`
	BatchSize int `json:"batch_size"`
	// Optimizer and Schedule set how parameters move.
	Optimizer OptimizerConfig      `json:"optimizer"`
	Schedule  optim.ScheduleConfig `json:"schedule"`
	// Augment is the data augmentation of the training set.
	Augment AugmentConfig `json:"augment"`
	// LabelSmoothing is the cross-entropy's label smoothing, in [0, 1).
	LabelSmoothing float32 `json:"label_smoothing,omitempty"`
	// Regime is the training regime and its settings.
	Regime RegimeConfig `json:"regime"`
	// Seed seeds the model's initialization, the data order and every
	// random draw of the regime.
	Seed uint64 `json:"seed"`
}

// OptimizerConfig selects and configures the optimizer.
type OptimizerConfig struct {
	// Kind is "sgd", "adam" or "adamw".
	Kind string `json:"kind"`
	// Momentum, Nesterov: SGD's (see optim.SGDConfig).
	Momentum float64 `json:"momentum,omitempty"`
	Nesterov bool    `json:"nesterov,omitempty"`
	// WeightDecay applies to every parameter unless NoDecayNormBias
	// exempts batch norm parameters and biases.
	WeightDecay     float64 `json:"weight_decay,omitempty"`
	NoDecayNormBias bool    `json:"no_decay_norm_bias,omitempty"`
}

// AugmentConfig is the training set's augmentation.
type AugmentConfig struct {
	// CropPadding, if positive, pads by that many pixels and crops back to
	// the original size at a random position.
	CropPadding int `json:"crop_padding,omitempty"`
	// Flip mirrors images left-right with probability 1/2.
	Flip bool `json:"flip,omitempty"`
}

// RegimeConfig names a regime and holds the settings regimes use; each
// regime documents which fields it reads and rejects nonsense in them.
type RegimeConfig struct {
	// Name is the regime ("standard", "noise", "pgd", "fgsm-rs", "trades").
	Name string `json:"name"`
	// Eps is an attack budget in [0,1] pixel units (Linf unless Norm says).
	Eps float64 `json:"eps,omitempty"`
	// Alpha is an attack's step size in pixel units.
	Alpha float64 `json:"alpha,omitempty"`
	// Steps is an attack's number of steps.
	Steps int `json:"steps,omitempty"`
	// Norm is the attack's norm, "linf" (default) or "l2".
	Norm string `json:"norm,omitempty"`
	// Beta weighs TRADES's robustness term.
	Beta float64 `json:"beta,omitempty"`
	// Noise names the corruptions of noise training (comma-separated
	// corrupt names) and Severities the severities drawn from uniformly
	// (default 1-5); CleanFraction of the examples stay clean.
	Noise         string  `json:"noise,omitempty"`
	Severities    []int   `json:"severities,omitempty"`
	CleanFraction float64 `json:"clean_fraction,omitempty"`
	// CheckOverfit, for FGSM training, evaluates PGD accuracy on a held-out
	// batch after every epoch and rolls back on catastrophic overfitting.
	CheckOverfit bool `json:"check_overfit,omitempty"`
}

// Defaults fills the zero fields of c with robustlab's defaults.
func (c *Config) Defaults() {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.BatchSize == 0 {
		c.BatchSize = 128
	}
	if c.Optimizer.Kind == "" {
		c.Optimizer.Kind = "sgd"
		if c.Optimizer.Momentum == 0 {
			c.Optimizer.Momentum = 0.9
		}
	}
	if c.Schedule.Kind == "" {
		c.Schedule.Kind = "cosine"
	}
	if c.Schedule.LR == 0 {
		c.Schedule.LR = 0.1
		if c.Optimizer.Kind != "sgd" {
			c.Schedule.LR = 1e-3
		}
	}
	if (c.Schedule.Kind == "cosine" || c.Schedule.Kind == "cyclic") && c.Schedule.Epochs == 0 {
		c.Schedule.Epochs = c.Epochs
	}
	if c.Regime.Name == "" {
		c.Regime.Name = "standard"
	}
}

// Validate reports the first thing wrong with c.
func (c *Config) Validate() error {
	switch {
	case c.Data == "":
		return fmt.Errorf("train: no training data given")
	case c.Arch == "":
		return fmt.Errorf("train: no architecture given (one of %s)", strings.Join(models.Names(), ", "))
	case c.Epochs < 1:
		return fmt.Errorf("train: epochs must be at least 1, got %d", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("train: batch size must be at least 1, got %d", c.BatchSize)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("train: label smoothing %g outside [0, 1)", c.LabelSmoothing)
	case c.Augment.CropPadding < 0:
		return fmt.Errorf("train: crop padding %d is negative", c.Augment.CropPadding)
	case c.EvalLimit < 0:
		return fmt.Errorf("train: eval limit %d is negative", c.EvalLimit)
	}
	switch c.Optimizer.Kind {
	case "sgd":
	case "adam", "adamw":
		if c.Optimizer.Momentum != 0 || c.Optimizer.Nesterov {
			return fmt.Errorf("train: momentum and Nesterov are SGD's; %s would ignore them (got momentum %g, nesterov %v)", c.Optimizer.Kind, c.Optimizer.Momentum, c.Optimizer.Nesterov)
		}
	default:
		return fmt.Errorf("train: unknown optimizer %q (sgd, adam, adamw)", c.Optimizer.Kind)
	}
	if _, err := c.Schedule.Build(); err != nil {
		return fmt.Errorf("train: schedule: %w", err)
	}
	if _, err := newRegime(c.Regime); err != nil {
		return err
	}
	return nil
}

// JSON returns c as indented JSON.
func (c *Config) JSON() []byte {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(err) // Config holds only plain data
	}
	return b
}
