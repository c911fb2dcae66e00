package corrupt

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/robustlab/robustlab/accuracy"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/nn"
)

// Config configures Evaluate.
type Config struct {
	// Corruptions are the corruptions to test under, by name (see Names).
	Corruptions []string
	// Severities are the severities, each 1..5 (default 1, 2, 3, 4, 5).
	Severities []int
	// BatchSize is the number of images per forward pass (default 256).
	BatchSize int
	// N, if positive, evaluates the data set's first N examples only.
	N int
	// Seed seeds the corruptions' random draws: example i of the data set
	// under one corruption at one severity draws from a generator seeded
	// by (Seed, corruption, severity, i), so every model sees the same
	// corrupted images in any batching.
	Seed uint64
	// Workers is the number of data-loading goroutines (0: all cores).
	Workers int
}

func (c *Config) check() error {
	if len(c.Corruptions) == 0 {
		return fmt.Errorf("corrupt: no corruptions to evaluate (known: %v)", Names())
	}
	for i, name := range c.Corruptions {
		if _, err := Get(name); err != nil {
			return err
		}
		if slices.Contains(c.Corruptions[:i], name) {
			return fmt.Errorf("corrupt: corruption %q is listed twice", name)
		}
	}
	if c.Severities == nil {
		c.Severities = []int{1, 2, 3, 4, 5}
	}
	if len(c.Severities) == 0 {
		return fmt.Errorf("corrupt: no severities to evaluate")
	}
	for i, s := range c.Severities {
		if err := CheckSeverity(s); err != nil {
			return err
		}
		if slices.Contains(c.Severities[:i], s) {
			return fmt.Errorf("corrupt: severity %d is listed twice", s)
		}
	}
	return nil
}

// Result is the accuracy under one corruption at one severity.
type Result struct {
	Corruption string  `json:"corruption"`
	Severity   int     `json:"severity"`
	Accuracy   float64 `json:"accuracy"`
	Correct    int     `json:"correct"`
}

// Report is the result of Evaluate.
type Report struct {
	// Model names the model (its file), if the caller says.
	Model string `json:"model,omitempty"`
	// Data names the data set; N is the number of its examples evaluated
	// under each corruption at each severity.
	Data string `json:"data"`
	N    int    `json:"n"`
	// Corruptions and Severities are what was run.
	Corruptions []string `json:"corruptions"`
	Severities  []int    `json:"severities"`
	// Results holds the accuracy of every corruption at every severity,
	// corruption by corruption in the order of Corruptions, severities in
	// the order of Severities.
	Results []Result `json:"results"`
	// Seed is the corruptions' seed; Seconds the evaluation's wall time.
	Seed    uint64  `json:"seed"`
	Seconds float64 `json:"seconds"`
}

// Accuracy returns the accuracy under corruption at severity.
func (r *Report) Accuracy(corruption string, severity int) (float64, bool) {
	for _, res := range r.Results {
		if res.Corruption == corruption && res.Severity == severity {
			return res.Accuracy, true
		}
	}
	return math.NaN(), false
}

// Mean returns the mean accuracy under corruption over the severities
// (summed in the order of Severities), NaN if it was not run.
func (r *Report) Mean(corruption string) float64 {
	sum, n := 0.0, 0
	for _, res := range r.Results {
		if res.Corruption == corruption {
			sum += res.Accuracy
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// WriteJSON writes the report to path, atomically, as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// Evaluate measures m's accuracy on ds under each corruption of cfg at
// each severity, the model in evaluation mode (its mode is restored).
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, cfg Config) (*Report, error) {
	start := time.Now()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rep := &Report{Data: ds.Info().Name, Corruptions: cfg.Corruptions, Severities: cfg.Severities, Seed: cfg.Seed}
	for _, name := range cfg.Corruptions {
		c, _ := Get(name) // checked
		for _, s := range cfg.Severities {
			a, err := accuracy.Evaluate(ctx, m, corrupted{ds, c, s, cellSeed(cfg.Seed, name, s)},
				accuracy.Config{BatchSize: cfg.BatchSize, N: cfg.N, Workers: cfg.Workers})
			if err != nil {
				return nil, fmt.Errorf("corrupt: %s at severity %d: %w", name, s, err)
			}
			rep.N = a.N
			rep.Results = append(rep.Results, Result{Corruption: name, Severity: s, Accuracy: a.Accuracy, Correct: a.Correct})
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// cellSeed is the seed of one (corruption, severity) cell: FNV-1a of
// "seed/noise/name/severity" (the stream name "noise" is the one the study
// used when this evaluation was its noise stage, so its results carry
// over).
func cellSeed(seed uint64, name string, severity int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/noise/%s/%d", seed, name, severity)
	return h.Sum64()
}

// corrupted is a data set with a corruption applied to every image, each
// example's draws from a generator seeded by (seed, index).
type corrupted struct {
	data.Dataset
	c        *Corruption
	severity int
	seed     uint64
}

// Get implements data.Dataset.
func (d corrupted) Get(i int, ex *data.Example) error {
	if err := d.Dataset.Get(i, ex); err != nil {
		return err
	}
	info := d.Info()
	d.c.Apply(ex.Image, info.Channels, info.Height, info.Width, d.severity, rand.New(rand.NewPCG(d.seed, uint64(i))))
	return nil
}
