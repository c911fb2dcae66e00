package study

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/nn"
)

// studyAPGD are the APGD attacks of the study's robustness evaluation,
// run at every budget beside FGSM and PGD and counted in the worst case:
// APGD-CE and APGD-T (Croce & Hein 2020), whose DLR-targeted loss does
// not saturate with the softmax, so that a model that masks its gradients
// cannot pass as robust. They are AutoAttack's with a tenth of its 100
// iterations and 3 of its 9 target classes, to keep the study within its
// time (robustlab eval --attacks autoattack runs the full suite).
const studyAPGD = "apgd-ce?steps=10,apgd-t?steps=10&targets=3"

// robustRecord is a robust stage's result.
type robustRecord struct {
	FGSM, PGD, Worst []float64
	Warnings         []string
}

// robustEvaluation is each model's accuracy under FGSM and PGD at every
// budget, with the per-example worst case (over APGD-CE and APGD-T too)
// and the sanity checks.
var robustEvaluation = evaluation{kind: "robust", stage: (*runner).robustStage, assemble: (*runner).assembleRobust}

func (r *runner) robustStage(name string) stage {
	rs := r.spec.Eval.Robust
	return stage{
		name: fmt.Sprintf("robustness %s (FGSM, PGD-%d, APGD-CE, APGD-T at %d budgets)", name, rs.Steps, len(r.eps)),
		// PGD examples mostly fall within a few steps on undefended models;
		// count half the steps as an estimate, and as much again for the
		// APGD attacks (10 steps, 3 targets, on what PGD left).
		cost: float64(rs.N*len(r.eps)) * (1 + float64(rs.Steps)) * costGradStep,
		run: r.withModel(name, func(ctx context.Context, m nn.Module) (any, error) {
			ds, err := r.open("test", rs.N)
			if err != nil {
				return nil, err
			}
			specs, err := attack.ParseSpecs(fmt.Sprintf("fgsm,pgd?steps=%d,%s", rs.Steps, studyAPGD))
			if err != nil {
				return nil, err
			}
			rep, err := attack.Evaluate(ctx, m, ds, attack.EvalConfig{
				Attacks: specs, Eps: r.eps, BatchSize: 128, Seed: streamSeed(r.spec.Seed, "robust", name), Log: r.log,
			})
			if err != nil {
				return nil, err
			}
			var rec robustRecord
			for _, e := range r.eps {
				for _, x := range []struct {
					label string
					dst   *[]float64
				}{{specs[0].Label, &rec.FGSM}, {specs[1].Label, &rec.PGD}, {attack.WorstCase, &rec.Worst}} {
					acc, ok := rep.Accuracy(x.label, e)
					if !ok {
						return nil, fmt.Errorf("the evaluation has no result for %s at eps %g", x.label, e)
					}
					*x.dst = append(*x.dst, acc)
				}
			}
			for _, c := range rep.Failed() {
				rec.Warnings = append(rec.Warnings, c.Name+": "+c.Detail)
			}
			return rec, nil
		}),
	}
}

func (r *runner) assembleRobust(read func(v any) error, mr *ModelResult) error {
	var rec robustRecord
	if err := read(&rec); err != nil {
		return err
	}
	mr.RobustAccuracy = Robust{FGSM: rec.FGSM, PGD: rec.PGD, Worst: rec.Worst, Steps: r.spec.Eval.Robust.Steps,
		N: r.spec.Eval.Robust.N, Warnings: rec.Warnings}
	if mr.RobustAccuracy.Warnings == nil {
		mr.RobustAccuracy.Warnings = []string{}
	}
	return nil
}
