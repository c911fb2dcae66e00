package study

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/accuracy"
	"github.com/robustlab/robustlab/nn"
)

// accuracyEvaluation is each model's accuracy on the test split and on the
// cue splits (random-texture, silhouette, texture-only).
var accuracyEvaluation = evaluation{
	kind: "accuracy",
	stage: func(r *runner, name string) stage {
		splits := append([]string{"test"}, r.spec.Eval.Splits...)
		return stage{
			name: "accuracy " + name + " (test and cue splits)",
			cost: float64(len(splits) * r.spec.Eval.TestN),
			run: r.withModel(name, func(ctx context.Context, m nn.Module) (any, error) {
				acc := map[string]float64{}
				for _, split := range splits {
					ds, err := r.open(split, r.spec.Eval.TestN)
					if err != nil {
						return nil, err
					}
					rep, err := accuracy.Evaluate(ctx, m, ds, accuracy.Config{BatchSize: 256})
					if err != nil {
						return nil, err
					}
					acc[split] = rep.Accuracy
				}
				return acc, nil
			}),
		}
	},
	assemble: func(r *runner, read func(v any) error, mr *ModelResult) error {
		acc := map[string]float64{}
		if err := read(&acc); err != nil {
			return err
		}
		test, ok := acc["test"]
		if !ok {
			return fmt.Errorf("the accuracy stage has no test accuracy")
		}
		mr.CleanAccuracy = test
		delete(acc, "test")
		mr.SplitAccuracy = acc
		return nil
	},
}
