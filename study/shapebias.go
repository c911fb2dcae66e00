package study

import (
	"context"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/shapebias"
)

// shapeBiasEvaluation is each model's shape bias on the cue-conflict split.
var shapeBiasEvaluation = evaluation{
	kind: "shapebias",
	stage: func(r *runner, name string) stage {
		return stage{
			name: "shape bias " + name + " (cue-conflict)",
			cost: float64(r.spec.Eval.ShapeBiasN),
			run: r.withModel(name, func(ctx context.Context, m nn.Module) (any, error) {
				ds, err := r.open("cue-conflict", r.spec.Eval.ShapeBiasN)
				if err != nil {
					return nil, err
				}
				return shapebias.Evaluate(ctx, m, ds, shapebias.Config{BatchSize: 256})
			}),
		}
	},
	assemble: func(r *runner, read func(v any) error, mr *ModelResult) error {
		var sb shapebias.Report
		if err := read(&sb); err != nil {
			return err
		}
		mr.ShapeBias = ShapeBias{ShapeBias: sb.Bias, N: sb.Conflicts()}
		mr.ShapeBias.Shape, mr.ShapeBias.Texture, mr.ShapeBias.Neither = sb.Fractions()
		return nil
	},
}
