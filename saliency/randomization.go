package saliency

import (
	"context"
	"fmt"
	"strings"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// RandomizationCheck is the model-parameter randomization test of Adebayo
// et al. 2018 ("Sanity Checks for Saliency Maps", sec. 3.1) with full
// re-initialization: it computes method m's maps for the trained model and
// for randomized, the same architecture with freshly initialized weights
// (models.New with another seed), aggregates both with agg, and returns
// Spearman's rank correlation of each image's two maps. A map that
// explains the model must change when the model does: correlations near 1
// mean the map shows the image (edges, say), not what the model learned.
func RandomizationCheck(ctx context.Context, trained, randomized nn.Module, images *tensor.Tensor, targets []int, m Method, o Options, agg Aggregation) ([]float64, error) {
	a, err := aggregated(ctx, trained, images, targets, m, o, agg)
	if err != nil {
		return nil, fmt.Errorf("trained model: %w", err)
	}
	b, err := aggregated(ctx, randomized, images, targets, m, o, agg)
	if err != nil {
		return nil, fmt.Errorf("randomized model: %w", err)
	}
	return RankCorrelation(a, b)
}

func aggregated(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, m Method, o Options, agg Aggregation) (*tensor.Tensor, error) {
	maps, err := Compute(ctx, model, images, targets, m, o)
	if err != nil {
		return nil, err
	}
	return Aggregate(maps, agg)
}

// LayerCorrelation is one stage of the cascading randomization test.
type LayerCorrelation struct {
	// Layer is the submodule randomized last; every submodule after it
	// (toward the output) is randomized too.
	Layer string `json:"layer"`
	// Spearman is each image's rank correlation between the trained
	// model's map and the map at this stage.
	Spearman []float64 `json:"-"`
	// Summary summarizes Spearman over the images.
	Summary Stat `json:"spearman"`
}

// CascadingRandomization is Adebayo et al. 2018's cascading randomization
// (sec. 3.1, Fig. 2): the top-level submodules of trained that have
// parameters are replaced by fresh's (the same architecture, freshly
// initialized), one more at each stage, from the output toward the input,
// and each stage's maps are rank-correlated with the trained model's. The
// trained model gets its own weights back before the function returns.
func CascadingRandomization(ctx context.Context, trained, fresh nn.Module, images *tensor.Tensor, targets []int, m Method, o Options, agg Aggregation) ([]LayerCorrelation, error) {
	ref, err := aggregated(ctx, trained, images, targets, m, o, agg)
	if err != nil {
		return nil, err
	}
	mine, theirs := nn.StateDict(trained), nn.StateDict(fresh)
	for name, t := range mine {
		f, ok := theirs[name]
		if !ok || !tensor.SameShape(t.Shape(), f.Shape()) {
			return nil, fmt.Errorf("saliency: cascading randomization: the fresh model has no tensor %q of shape %s: not the same architecture", name, tensor.FormatShape(t.Shape()))
		}
	}
	saved := map[string]*tensor.Tensor{}
	defer func() {
		for name, t := range saved {
			mine[name].CopyFrom(t)
		}
	}()
	children := trained.Core().Children()
	var out []LayerCorrelation
	for k := len(children) - 1; k >= 0; k-- {
		child := children[k]
		if nn.NumParams(child.Value) == 0 {
			continue
		}
		for name, t := range mine {
			if strings.HasPrefix(name, child.Name+".") {
				saved[name] = t.Clone()
				t.CopyFrom(theirs[name])
			}
		}
		maps, err := aggregated(ctx, trained, images, targets, m, o, agg)
		if err != nil {
			return nil, fmt.Errorf("randomized down to %s: %w", child.Name, err)
		}
		rho, err := RankCorrelation(ref, maps)
		if err != nil {
			return nil, err
		}
		out = append(out, LayerCorrelation{Layer: child.Name, Spearman: rho, Summary: Summarize(rho)})
	}
	return out, nil
}
