package study

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/robustlab/robustlab/corrupt"
	"github.com/robustlab/robustlab/internal/fraction"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/train"
)

// Spec chooses a study's models, regimes and evaluations. A spec file
// (YAML) is read over a preset, so it need only name what it changes; the
// shipped examples/study.yaml is the quick preset written out in full.
type Spec struct {
	// Name names the study (the report's title).
	Name string `yaml:"name"`
	// Seed seeds every model's initialization and data order (the same for
	// all models, so that they differ only by their regime), every
	// evaluation's random draws and the shapes data (seed= of the spec).
	Seed uint64 `yaml:"seed"`
	// ImageSize is the shapes images' height and width.
	ImageSize int `yaml:"image_size"`
	// Arch and Width are the architecture every model shares.
	Arch  string `yaml:"arch"`
	Width int    `yaml:"width"`
	// Train holds the training settings the models share.
	Train TrainSpec `yaml:"train"`
	// Models are trained in order, one per regime.
	Models []ModelSpec `yaml:"models"`
	// Eval chooses the evaluations every model gets.
	Eval EvalSpec `yaml:"eval"`
}

// TrainSpec holds shared training settings.
type TrainSpec struct {
	// N is the number of training images generated.
	N int `yaml:"n"`
	// Epochs, Batch, LR: the loop's length, batch size and peak learning
	// rate (SGD with Nesterov momentum 0.9 and a cosine schedule with
	// Warmup epochs of linear warm-up).
	Epochs      int     `yaml:"epochs"`
	Batch       int     `yaml:"batch"`
	LR          float64 `yaml:"lr"`
	Warmup      float64 `yaml:"warmup"`
	WeightDecay float64 `yaml:"weight_decay"`
	// Crop and Flip augment the training images (crop: padding in pixels).
	Crop int  `yaml:"crop"`
	Flip bool `yaml:"flip"`
}

// ModelSpec is one model of the study.
type ModelSpec struct {
	// Name identifies the model in files and results; Label is how
	// figures show it; Description says how it was trained.
	Name        string `yaml:"name"`
	Label       string `yaml:"label"`
	Description string `yaml:"description"`
	// Split is the shapes split it trains on (default "train").
	Split string `yaml:"split,omitempty"`
	// Epochs, if set, overrides Train.Epochs.
	Epochs int `yaml:"epochs,omitempty"`
	// Role is what the report compares the model as: one of Roles, or
	// empty for none.
	Role string `yaml:"role,omitempty"`
	// Regime is its training regime.
	Regime RegimeSpec `yaml:"regime"`
}

// Roles are the parts a model can play in the report's findings: the
// standard model the others are compared with, a shape-biased one (trained
// where texture carries no label), an adversarially trained one, and a
// noise-trained one (compared under the noises it trained with and the
// others).
var Roles = []string{"standard", "shape-biased", "adversarial", "noise"}

// RegimeSpec is a training regime as a spec file writes it (budgets may be
// fractions such as 4/255).
type RegimeSpec struct {
	Name          string  `yaml:"name"`
	Eps           string  `yaml:"eps,omitempty"`
	Alpha         string  `yaml:"alpha,omitempty"`
	Steps         int     `yaml:"steps,omitempty"`
	Beta          float64 `yaml:"beta,omitempty"`
	Noise         string  `yaml:"noise,omitempty"`
	Severities    []int   `yaml:"severities,omitempty"`
	CleanFraction float64 `yaml:"clean_fraction,omitempty"`
	CheckOverfit  bool    `yaml:"check_overfit,omitempty"`
}

// EvalSpec chooses the evaluations.
type EvalSpec struct {
	// TestN is the number of images of the test split and of each cue
	// split (random-texture, silhouette, texture-only).
	TestN  int      `yaml:"test_n"`
	Splits []string `yaml:"splits"`
	// ShapeBiasN is the number of cue-conflict images (a multiple of 90
	// covers every ordered pair of classes equally).
	ShapeBiasN int `yaml:"shape_bias_n"`
	// Robust is the adversarial evaluation.
	Robust RobustSpec `yaml:"robust"`
	// Noise is the noise evaluation.
	Noise NoiseSpec `yaml:"noise"`
	// Saliency is the saliency evaluation.
	Saliency SaliencySpec `yaml:"saliency"`
}

// RobustSpec configures FGSM and PGD over a list of budgets.
type RobustSpec struct {
	// Eps are Linf budgets in [0,1] pixel units, e.g. "4/255".
	Eps []string `yaml:"eps"`
	// Steps is PGD's number of steps; its step size is 2.5*eps/Steps
	// (Madry et al. 2018's rule) and it starts at a random point.
	Steps int `yaml:"pgd_steps"`
	// N is the number of test images attacked.
	N int `yaml:"n"`
}

// NoiseSpec configures the noise evaluation.
type NoiseSpec struct {
	Families   []string `yaml:"families"`
	Severities []int    `yaml:"severities"`
	N          int      `yaml:"n"`
}

// SaliencySpec configures the saliency evaluation.
type SaliencySpec struct {
	// Methods are saliency methods ("gradient", "smoothgrad").
	Methods []string `yaml:"methods"`
	// GridImages is the number of test images in the saliency grid.
	GridImages int `yaml:"grid_images"`
	// N is the number of test images the mask metrics average over.
	N int `yaml:"n"`
	// Samples is SmoothGrad's number of noisy samples and Sigma its noise
	// level as a fraction of the input range.
	Samples int     `yaml:"smoothgrad_samples"`
	Sigma   float64 `yaml:"smoothgrad_sigma"`
}

// Presets are the built-in specs.
var Presets = map[string]func() Spec{"quick": quickSpec, "full": fullSpec}

// quickSpec is the default study: every regime and evaluation of the seed
// on 32x32 shapes, sized to finish in minutes on a 2-core laptop.
func quickSpec() Spec {
	return Spec{
		Name: "shapes", Seed: 0, ImageSize: 32, Arch: "smallcnn", Width: 16,
		Train: TrainSpec{N: 16000, Epochs: 8, Batch: 128, LR: 0.1, Warmup: 1, WeightDecay: 5e-4, Crop: 2, Flip: true},
		Models: []ModelSpec{
			{Name: "standard", Label: "Standard", Role: "standard", Regime: RegimeSpec{Name: "standard"},
				Description: "trained on shapes:train, where every shape has its home texture"},
			{Name: "texture-randomized", Label: "Texture-randomized", Role: "shape-biased", Split: "random-texture", Regime: RegimeSpec{Name: "standard"},
				Description: "trained on shapes:random-texture, where texture carries no label (the Stylized-ImageNet analogue)"},
			{Name: "adversarial", Label: "Adversarial (FGSM-RS)", Role: "adversarial", Regime: RegimeSpec{Name: "fgsm-rs", Eps: "8/255", Alpha: "10/255", CheckOverfit: true},
				Description: "adversarially trained with FGSM and a random start (Wong et al. 2020), Linf eps 8/255"},
			{Name: "noise-salt-pepper", Label: "Salt-and-pepper noise", Role: "noise", Regime: RegimeSpec{Name: "noise", Noise: "salt-pepper", CleanFraction: 0.1},
				Description: "trained with salt-and-pepper noise at severities 1-5"},
			{Name: "noise-uniform", Label: "Uniform noise", Role: "noise", Regime: RegimeSpec{Name: "noise", Noise: "uniform", CleanFraction: 0.1},
				Description: "trained with uniform noise at severities 1-5"},
		},
		Eval: EvalSpec{
			TestN: 1000, Splits: []string{"random-texture", "silhouette", "texture-only"}, ShapeBiasN: 900,
			Robust:   RobustSpec{Eps: []string{"0", "1/255", "2/255", "4/255", "8/255", "16/255"}, Steps: 20, N: 1000},
			Noise:    NoiseSpec{Families: []string{"uniform", "salt-pepper", "gaussian"}, Severities: []int{1, 2, 3, 4, 5}, N: 500},
			Saliency: SaliencySpec{Methods: []string{"gradient", "smoothgrad"}, GridImages: 8, N: 200, Samples: 16, Sigma: 0.15},
		},
	}
}

// fullSpec is the same study with more data, longer training and more test
// images: tighter numbers, about an hour on two cores.
func fullSpec() Spec {
	s := quickSpec()
	s.Width = 32
	s.Train.N, s.Train.Epochs = 50000, 15
	s.Eval.TestN, s.Eval.ShapeBiasN = 5000, 1800
	s.Eval.Robust.N, s.Eval.Noise.N = 1000, 2000
	s.Eval.Saliency.N, s.Eval.Saliency.Samples = 1000, 25
	return s
}

// LoadSpec returns the preset named preset, overlaid with the YAML file at
// path if path is not empty, and checked.
func LoadSpec(preset, path string) (Spec, error) {
	mk, ok := Presets[preset]
	if !ok {
		return Spec{}, fmt.Errorf("study: unknown preset %q (quick or full)", preset)
	}
	s := mk()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("study: %w", err)
		}
		if err := decodeSpec(b, &s); err != nil {
			return s, fmt.Errorf("study: %s: %w", path, err)
		}
	}
	if err := s.Check(); err != nil {
		if path != "" {
			return s, fmt.Errorf("study: %s: %w", path, err)
		}
		return s, fmt.Errorf("study: %w", err)
	}
	return s, nil
}

// decodeSpec reads YAML over s, refusing unknown keys (a typo must not be
// silently ignored).
func decodeSpec(b []byte, s *Spec) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	models := s.Models
	s.Models = nil
	if err := dec.Decode(s); err != nil && err.Error() != "EOF" {
		return err
	}
	if s.Models == nil {
		s.Models = models // the file did not list models: keep the preset's
	}
	return nil
}

// YAML returns the spec as YAML.
func (s Spec) YAML() []byte {
	b, err := yaml.Marshal(s)
	if err != nil {
		panic(err) // Spec is plain data
	}
	return b
}

// Check reports the first thing wrong with the spec, naming it.
func (s Spec) Check() error {
	switch {
	case s.Name == "" || strings.ContainsAny(s.Name, "/\\"):
		return fmt.Errorf("name %q must be non-empty and have no slashes", s.Name)
	case s.ImageSize < 16:
		return fmt.Errorf("image_size %d is below 16", s.ImageSize)
	case s.Train.N < 1 || s.Train.Epochs < 1 || s.Train.Batch < 1 || s.Train.LR <= 0:
		return fmt.Errorf("train: n, epochs, batch and lr must be positive (got %d, %d, %d, %g)", s.Train.N, s.Train.Epochs, s.Train.Batch, s.Train.LR)
	case len(s.Models) == 0:
		return fmt.Errorf("no models")
	case s.Eval.TestN < 1 || s.Eval.ShapeBiasN < 1:
		return fmt.Errorf("eval: test_n and shape_bias_n must be positive")
	case s.Eval.Robust.N < 1 || s.Eval.Robust.Steps < 1:
		return fmt.Errorf("eval.robust: n and pgd_steps must be positive")
	case s.Eval.Noise.N < 1:
		return fmt.Errorf("eval.noise: n must be positive")
	case s.Eval.Saliency.N < 1 || s.Eval.Saliency.GridImages < 1 || s.Eval.Saliency.Samples < 1:
		return fmt.Errorf("eval.saliency: n, grid_images and smoothgrad_samples must be positive")
	}
	if _, err := models.Resolve(s.Arch, models.Options{Width: s.Width}); err != nil {
		return err
	}
	if _, err := s.EpsValues(); err != nil {
		return err
	}
	for _, f := range s.Eval.Noise.Families {
		if _, err := corrupt.Get(f); err != nil {
			return fmt.Errorf("eval.noise: %w", err)
		}
	}
	for _, v := range s.Eval.Noise.Severities {
		if err := corrupt.CheckSeverity(v); err != nil {
			return fmt.Errorf("eval.noise: %w", err)
		}
	}
	for _, m := range s.Eval.Saliency.Methods {
		if m != "gradient" && m != "smoothgrad" {
			return fmt.Errorf("eval.saliency: method %q: the study draws gradient and smoothgrad maps", m)
		}
	}
	seen := map[string]bool{}
	for i, m := range s.Models {
		switch {
		case m.Name == "" || strings.ContainsAny(m.Name, "/\\ "):
			return fmt.Errorf("models[%d]: name %q must be non-empty, without slashes or spaces", i, m.Name)
		case seen[m.Name]:
			return fmt.Errorf("models[%d]: name %q used twice", i, m.Name)
		case m.Role != "" && !slices.Contains(Roles, m.Role):
			return fmt.Errorf("models[%d] (%s): role %q: want one of %s, or none", i, m.Name, m.Role, strings.Join(Roles, ", "))
		case m.Role == "noise" && m.Regime.Noise == "":
			return fmt.Errorf("models[%d] (%s): role noise needs regime.noise, the noise it trains with", i, m.Name)
		}
		seen[m.Name] = true
		cfg, err := s.TrainConfig(i)
		if err != nil {
			return fmt.Errorf("models[%d] (%s): %w", i, m.Name, err)
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("models[%d] (%s): %w", i, m.Name, err)
		}
	}
	return nil
}

// EpsValues returns the robust evaluation's budgets as numbers.
func (s Spec) EpsValues() ([]float64, error) {
	out := make([]float64, len(s.Eval.Robust.Eps))
	for i, e := range s.Eval.Robust.Eps {
		v, err := fraction.Parse(e)
		if err != nil || v < 0 || v > 1 {
			return nil, fmt.Errorf("eval.robust.eps[%d]: %q is not a budget in [0, 1] (a number or a fraction such as 8/255)", i, e)
		}
		out[i] = v
	}
	return out, nil
}

// shapesSpec is the data spec of a shapes split with n images.
func (s Spec) shapesSpec(split string, n int) string {
	return fmt.Sprintf("shapes:%s?size=%d&seed=%d&n=%d", split, s.ImageSize, s.Seed, n)
}

// TrainConfig is the training configuration of model i.
func (s Spec) TrainConfig(i int) (train.Config, error) {
	m := s.Models[i]
	split := m.Split
	if split == "" {
		split = "train"
	}
	epochs := s.Train.Epochs
	if m.Epochs > 0 {
		epochs = m.Epochs
	}
	r := train.RegimeConfig{Name: m.Regime.Name, Steps: m.Regime.Steps, Beta: m.Regime.Beta, Noise: m.Regime.Noise,
		Severities: m.Regime.Severities, CleanFraction: m.Regime.CleanFraction, CheckOverfit: m.Regime.CheckOverfit}
	var err error
	if m.Regime.Eps != "" {
		if r.Eps, err = fraction.Parse(m.Regime.Eps); err != nil {
			return train.Config{}, fmt.Errorf("regime.eps: %w", err)
		}
	}
	if m.Regime.Alpha != "" {
		if r.Alpha, err = fraction.Parse(m.Regime.Alpha); err != nil {
			return train.Config{}, fmt.Errorf("regime.alpha: %w", err)
		}
	}
	cfg := train.Config{
		Data: s.shapesSpec(split, s.Train.N), Eval: s.shapesSpec("test", s.Eval.TestN),
		Arch: s.Arch, Model: models.Options{Width: s.Width, Seed: s.Seed + 1},
		Epochs: epochs, BatchSize: s.Train.Batch,
		Optimizer: train.OptimizerConfig{Kind: "sgd", Momentum: 0.9, Nesterov: true, WeightDecay: s.Train.WeightDecay, NoDecayNormBias: true},
		Augment:   train.AugmentConfig{CropPadding: s.Train.Crop, Flip: s.Train.Flip},
		Regime:    r, Seed: s.Seed + 1,
	}
	cfg.Schedule.Kind, cfg.Schedule.LR, cfg.Schedule.WarmupEpochs = "cosine", s.Train.LR, s.Train.Warmup
	cfg.Defaults()
	return cfg, nil
}
