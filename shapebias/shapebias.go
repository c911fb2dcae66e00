// Package shapebias measures whether a classifier decides by shape or by
// texture, on cue-conflict images: images whose shape belongs to one class
// and whose texture to another (Geirhos et al. 2019, "ImageNet-trained CNNs
// are biased towards texture"). The shape bias is the fraction of shape
// decisions among the decisions that are either cue's class; images whose
// two cues name the same class are left out, and decisions for neither cue
// are counted separately, not in the bias.
package shapebias

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/robustlab/robustlab/accuracy"
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/nn"
)

// NoDecisions is the note a Report carries when the model decided no
// cue-conflict image by either cue, so that no shape bias is defined.
const NoDecisions = "no conflict decisions: the model chose neither cue's class on every cue-conflict image"

// Config configures Evaluate.
type Config struct {
	// BatchSize is the number of images per forward pass (default 256).
	BatchSize int
	// N, if positive, evaluates the stimuli's first N images only.
	N int
	// Workers is the number of data-loading goroutines (0: all cores).
	Workers int
}

// Report is a model's behaviour on a cue-conflict set.
type Report struct {
	// Model names the model (its file), if the caller says.
	Model string `json:"model,omitempty"`
	// Data names the stimuli (their spec).
	Data string `json:"data"`
	// Bias is Shape / (Shape + Texture): 1 decides always by shape, 0
	// always by texture. It is NaN (null in JSON, with Note saying why)
	// when no decision was for either cue.
	Bias float64 `json:"-"`
	// Shape, Texture and Neither count the conflict images decided as the
	// shape's class, the texture's class, or another class.
	Shape   int `json:"shape"`
	Texture int `json:"texture"`
	Neither int `json:"neither"`
	// Excluded counts images whose shape and texture name the same class.
	Excluded int `json:"excluded"`
	// Seconds is the wall time of the evaluation.
	Seconds float64 `json:"seconds"`
}

// Conflicts is the number of cue-conflict images counted.
func (r *Report) Conflicts() int { return r.Shape + r.Texture + r.Neither }

// Decided is the number of decisions for one of the two cues.
func (r *Report) Decided() int { return r.Shape + r.Texture }

// Fractions returns Shape, Texture and Neither as fractions of Conflicts
// (NaN without conflict images).
func (r *Report) Fractions() (shape, texture, neither float64) {
	n := float64(r.Conflicts())
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return float64(r.Shape) / n, float64(r.Texture) / n, float64(r.Neither) / n
}

// Count classifies one decision and updates Bias.
func (r *Report) Count(pred, shape, texture int) {
	switch {
	case shape == texture:
		r.Excluded++
	case pred == shape:
		r.Shape++
	case pred == texture:
		r.Texture++
	default:
		r.Neither++
	}
	r.Bias = math.NaN()
	if d := r.Decided(); d > 0 {
		r.Bias = float64(r.Shape) / float64(d)
	}
}

// reportJSON is Report as JSON: the bias is null where it is undefined,
// and the fractions are written out for readers of the file.
type reportJSON struct {
	Model           string   `json:"model,omitempty"`
	Data            string   `json:"data"`
	Bias            *float64 `json:"shape_bias"`
	Note            string   `json:"note,omitempty"`
	ShapeFraction   float64  `json:"shape_fraction"`
	TextureFraction float64  `json:"texture_fraction"`
	NeitherFraction float64  `json:"neither_fraction"`
	Shape           int      `json:"shape"`
	Texture         int      `json:"texture"`
	Neither         int      `json:"neither"`
	Excluded        int      `json:"excluded"`
	Seconds         float64  `json:"seconds"`
}

// MarshalJSON writes the report with its bias, null and a note when no
// decision was for either cue, and its fractions.
func (r *Report) MarshalJSON() ([]byte, error) {
	if r.Conflicts() == 0 {
		return nil, fmt.Errorf("shapebias: a report of %s without cue-conflict images", r.Data)
	}
	j := reportJSON{Model: r.Model, Data: r.Data, Shape: r.Shape, Texture: r.Texture, Neither: r.Neither,
		Excluded: r.Excluded, Seconds: r.Seconds}
	j.ShapeFraction, j.TextureFraction, j.NeitherFraction = r.Fractions()
	if math.IsNaN(r.Bias) {
		j.Note = NoDecisions
	} else {
		b := r.Bias
		j.Bias = &b
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Report) UnmarshalJSON(b []byte) error {
	var j reportJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Report{Model: j.Model, Data: j.Data, Bias: math.NaN(), Shape: j.Shape, Texture: j.Texture, Neither: j.Neither,
		Excluded: j.Excluded, Seconds: j.Seconds}
	if j.Bias != nil {
		r.Bias = *j.Bias
	}
	return nil
}

// WriteJSON writes the report to path, atomically, as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// Evaluate runs m (in evaluation mode; its mode is restored) on a
// cue-conflict data set, whose examples carry "shape" and "texture"
// factors that are class indices (data's shapes cue-conflict split and
// cue-conflict stimulus folders do), and counts its decisions. Stimuli
// without a single conflict image (every image's cues name one class) are
// an error: they measure nothing.
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, cfg Config) (*Report, error) {
	start := time.Now()
	info := ds.Info()
	si, ti := slices.Index(info.FactorNames, "shape"), slices.Index(info.FactorNames, "texture")
	if si < 0 || ti < 0 {
		return nil, fmt.Errorf("shapebias: %s is not a cue-conflict set: its examples have no shape and texture labels (factors %v)", info.Name, info.FactorNames)
	}
	r := &Report{Data: info.Name, Bias: math.NaN()}
	err := accuracy.Batches(ctx, m, ds, accuracy.Config{BatchSize: cfg.BatchSize, N: cfg.N, Workers: cfg.Workers},
		func(b *data.Batch, logits *autograd.Var) error {
			if k := logits.Shape()[1]; k != len(info.Classes) {
				return fmt.Errorf("shapebias: the model has %d outputs, %s has %d classes", k, info.Name, len(info.Classes))
			}
			for i, p := range logits.Value.ArgMax(1) {
				shape, texture := b.Factors[i][si], b.Factors[i][ti]
				if shape < 0 || texture < 0 {
					return fmt.Errorf("shapebias: example %d of %s lacks a shape or texture label", b.Indices[i], info.Name)
				}
				r.Count(p, shape, texture)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if r.Conflicts() == 0 {
		return nil, fmt.Errorf("shapebias: %s has no cue-conflict images: the shape and texture of all %d name the same class, so there is no shape bias to measure", info.Name, r.Excluded)
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}
