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
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
)

// Result is a model's behaviour on a cue-conflict set.
type Result struct {
	// Bias is Shape / (Shape + Texture): 1 decides always by shape, 0
	// always by texture; 0.5 when no decision was for either cue (then
	// Shape + Texture = 0, which Decided shows).
	Bias float64 `json:"shape_bias"`
	// Shape, Texture and Neither count the conflict images decided as the
	// shape's class, the texture's class, or another class.
	Shape   int `json:"shape"`
	Texture int `json:"texture"`
	Neither int `json:"neither"`
	// Excluded counts images whose shape and texture name the same class.
	Excluded int `json:"excluded"`
}

// Conflicts is the number of cue-conflict images counted.
func (r Result) Conflicts() int { return r.Shape + r.Texture + r.Neither }

// Decided is the number of decisions for one of the two cues.
func (r Result) Decided() int { return r.Shape + r.Texture }

// Fractions returns Shape, Texture and Neither as fractions of Conflicts.
func (r Result) Fractions() (shape, texture, neither float64) {
	n := float64(r.Conflicts())
	if n == 0 {
		return 0, 0, 0
	}
	return float64(r.Shape) / n, float64(r.Texture) / n, float64(r.Neither) / n
}

// Count classifies one decision.
func (r *Result) Count(pred, shape, texture int) {
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
	if d := r.Decided(); d > 0 {
		r.Bias = float64(r.Shape) / float64(d)
	} else {
		r.Bias = 0.5
	}
}

// Evaluate runs m (in evaluation mode; its mode is restored) on a
// cue-conflict data set, whose examples carry "shape" and "texture"
// factors that are class indices (data's shapes cue-conflict split and
// cue-conflict stimulus folders do), and counts its decisions.
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, batchSize int) (Result, error) {
	info := ds.Info()
	si, ti := slices.Index(info.FactorNames, "shape"), slices.Index(info.FactorNames, "texture")
	if si < 0 || ti < 0 {
		return Result{}, fmt.Errorf("shapebias: %s is not a cue-conflict set: its examples have no shape and texture labels (factors %v)", info.Name, info.FactorNames)
	}
	was := m.Core().Training()
	nn.SetTraining(m, false)
	defer nn.SetTraining(m, was)
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: batchSize})
	if err != nil {
		return Result{}, err
	}
	ep := l.Epoch(ctx, 0)
	defer ep.Close()
	tp := autograd.NewTape()
	r := Result{Bias: 0.5}
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		tp.Reset()
		logits := m.Forward(tp.Input(b.Images))
		if k := logits.Shape()[1]; k != len(info.Classes) {
			return r, fmt.Errorf("shapebias: the model has %d outputs, %s has %d classes", k, info.Name, len(info.Classes))
		}
		for i, p := range logits.Value.ArgMax(1) {
			shape, texture := b.Factors[i][si], b.Factors[i][ti]
			if shape < 0 || texture < 0 {
				return r, fmt.Errorf("shapebias: example %d of %s lacks a shape or texture label", b.Indices[i], info.Name)
			}
			r.Count(p, shape, texture)
		}
		b.Release()
	}
}
