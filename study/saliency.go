package study

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
)

// saliencyEvaluation computes each model's maps of the first Saliency.N
// test images, scores them against the object masks, and keeps the maps
// (aggregated over channels by the absolute maximum, as Simonyan et al.
// 2014 do) in a tensor file beside its record, so that the last stage can
// compare the models' maps of the same images and keep the grid's.
var saliencyEvaluation = evaluation{
	kind: "saliency",
	stage: func(r *runner, name string) stage {
		sp := r.spec.Eval.Saliency
		cost := float64(sp.N) * costGradStep
		for _, m := range sp.Methods {
			if m == "smoothgrad" {
				cost += float64(sp.N*sp.Samples) * costGradStep
			}
		}
		return stage{
			name: "saliency " + name + " (" + fmt.Sprint(sp.Methods) + ", mask metrics)",
			cost: cost,
			run: r.withModel(name, func(ctx context.Context, m nn.Module) (any, error) {
				stats := map[string]SaliencyStats{}
				keep := map[string]*tensor.Tensor{}
				for _, mn := range sp.Methods {
					rep, err := r.saliency(ctx, m, mn)
					if err != nil {
						return nil, err
					}
					keep[mn] = rep.Maps
					// A method whose every map is zero put mass nowhere:
					// its shares are not measured, not 0.
					if s := rep.Mask; s.Object.N > 0 {
						stats[mn] = SaliencyStats{Object: s.Object.Mean, Boundary: s.Band.Mean, Interior: s.Interior.Mean,
							Pointing: s.Pointing.Mean, ObjectArea: s.ObjectArea.Mean, N: s.Object.N}
					}
				}
				if err := modelio.SaveTensors(r.mapsFile(name), keep, map[string]string{"model": name}); err != nil {
					return nil, err
				}
				return stats, nil
			}),
		}
	},
	assemble: func(r *runner, read func(v any) error, mr *ModelResult) error {
		return read(&mr.Saliency)
	},
}

// saliency is the saliency evaluation of model m by method mn on the first
// Saliency.N test images: the maps of the true class, aggregated by the
// absolute maximum over channels, and their mask metrics.
func (r *runner) saliency(ctx context.Context, m nn.Module, mn string) (*saliency.Report, error) {
	sp := r.spec.Eval.Saliency
	method, err := saliency.ParseMethod(mn)
	if err != nil {
		return nil, err
	}
	ds, err := r.open("test", sp.N)
	if err != nil {
		return nil, err
	}
	opt := saliency.Options{BatchSize: 128, Samples: sp.Samples, NoiseLevel: sp.Sigma, Seed: streamSeed(r.spec.Seed, "saliency")}
	rep, err := saliency.Evaluate(ctx, m, ds, saliency.Config{Method: method, Options: opt, Aggregation: saliency.AbsMax, Log: r.log})
	if err != nil {
		return nil, err
	}
	if rep.Mask == nil {
		return nil, fmt.Errorf("saliency: %s has no object masks", rep.Data)
	}
	return rep, nil
}

func (r *runner) mapsFile(name string) string {
	return filepath.Join(r.out, StagesDir, name, "saliency_maps.safetensors")
}
