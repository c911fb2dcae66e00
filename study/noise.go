package study

import (
	"context"

	"github.com/robustlab/robustlab/corrupt"
	"github.com/robustlab/robustlab/nn"
)

// noiseEvaluation is each model's accuracy under every test noise at every
// severity (the seed's S2), all models seeing the same noisy images.
var noiseEvaluation = evaluation{
	kind: "noise",
	stage: func(r *runner, name string) stage {
		ns := r.spec.Eval.Noise
		return stage{
			name: "noise " + name + " (test noises x severities)",
			cost: float64(len(ns.Families) * len(ns.Severities) * ns.N),
			run: r.withModel(name, func(ctx context.Context, m nn.Module) (any, error) {
				test, err := r.open("test", ns.N)
				if err != nil {
					return nil, err
				}
				return corrupt.Evaluate(ctx, m, test, corrupt.Config{Corruptions: ns.Families, Severities: ns.Severities,
					BatchSize: 256, Seed: r.spec.Seed})
			}),
		}
	},
	assemble: func(r *runner, read func(v any) error, mr *ModelResult) error {
		var rep corrupt.Report
		if err := read(&rep); err != nil {
			return err
		}
		mr.Noise = Noise{Accuracy: map[string][]float64{}, Mean: map[string]float64{}, N: rep.N}
		for _, res := range rep.Results {
			mr.Noise.Accuracy[res.Corruption] = append(mr.Noise.Accuracy[res.Corruption], res.Accuracy)
		}
		for _, f := range rep.Corruptions {
			mr.Noise.Mean[f] = rep.Mean(f)
		}
		return nil
	},
}
