package study

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"

	"github.com/robustlab/robustlab/corrupt"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/shapebias"
	"github.com/robustlab/robustlab/train"
)

// Costs of the stages in forward passes of one image, for the ETA: a
// training step is about three (forward, backward to weights and inputs),
// an input-gradient step about two and a half.
const (
	costTrainStep = 3
	costGradStep  = 2.5
)

// stages lists the study's stages in the order they run: every model's
// training first (the longest part; its checkpoints make it resumable
// mid-way), then each model's evaluations, then the comparisons across
// models.
func (r *runner) stages() []stage {
	var out []stage
	for i := range r.spec.Models {
		out = append(out, r.trainStage(i))
	}
	for _, m := range r.spec.Models {
		out = append(out, r.accuracyStage(m.Name), r.shapeBiasStage(m.Name), r.noiseStage(m.Name),
			r.robustStage(m.Name), r.saliencyStage(m.Name))
	}
	return append(out, r.agreementStage())
}

func (r *runner) stageFile(model, kind string) string {
	return filepath.Join(StagesDir, model, kind+".json")
}

// trainRecord is a training stage's result.
type trainRecord struct {
	Seconds   float64 `json:"seconds"`
	Epochs    int     `json:"epochs"`
	Stopped   string  `json:"stopped,omitempty"`
	TrainData string  `json:"train_data"`
	EvalAcc   float64 `json:"eval_accuracy"`
}

func (r *runner) trainStage(i int) stage {
	m := r.spec.Models[i]
	cfg, _ := r.spec.TrainConfig(i) // checked by Spec.Check
	factor := 1.0
	switch cfg.Regime.Name {
	case "fgsm-rs":
		factor = 1 + costGradStep/costTrainStep
	case "pgd", "trades":
		factor = 1 + float64(max(cfg.Regime.Steps, 1))*costGradStep/costTrainStep
	}
	return stage{
		name: "train " + m.Name + " (" + cfg.Regime.Name + ")",
		file: r.stageFile(m.Name, "train"),
		cost: float64(cfg.Epochs*r.spec.Train.N)*costTrainStep*factor + float64(cfg.Epochs*r.spec.Eval.TestN),
		run: func(ctx context.Context) (any, error) {
			res, err := train.Run(ctx, cfg, train.Options{Out: r.modelDir(m.Name), Log: r.log, StopAfterEpochs: r.stopE})
			if err != nil {
				return nil, err
			}
			if !res.Complete {
				return nil, ErrStopped
			}
			r.stopE = 0
			rec := trainRecord{Epochs: len(res.History), Stopped: res.Stopped, TrainData: cfg.Data}
			for _, h := range res.History {
				rec.Seconds += h.Seconds
			}
			if k := len(res.History); k > 0 && res.History[k-1].EvalAcc != nil {
				rec.EvalAcc = *res.History[k-1].EvalAcc
			}
			return rec, nil
		},
	}
}

// load reads a trained model of the study.
func (r *runner) load(name string) (nn.Module, error) {
	m, _, err := modelio.Load(r.modelFile(name))
	return m, err
}

func (r *runner) open(split string, n int) (data.Dataset, error) {
	return data.Open(r.spec.shapesSpec(split, n))
}

func (r *runner) accuracyStage(name string) stage {
	splits := append([]string{"test"}, r.spec.Eval.Splits...)
	return stage{
		name: "accuracy " + name + " (test and cue splits)",
		file: r.stageFile(name, "accuracy"),
		cost: float64(len(splits) * r.spec.Eval.TestN),
		run: func(ctx context.Context) (any, error) {
			m, err := r.load(name)
			if err != nil {
				return nil, err
			}
			acc := map[string]float64{}
			for _, split := range splits {
				ds, err := r.open(split, r.spec.Eval.TestN)
				if err != nil {
					return nil, err
				}
				res, err := train.Evaluate(ctx, m, ds, 256)
				if err != nil {
					return nil, err
				}
				acc[split] = res.Accuracy
			}
			return acc, nil
		},
	}
}

func (r *runner) shapeBiasStage(name string) stage {
	return stage{
		name: "shape bias " + name + " (cue-conflict)",
		file: r.stageFile(name, "shapebias"),
		cost: float64(r.spec.Eval.ShapeBiasN),
		run: func(ctx context.Context) (any, error) {
			m, err := r.load(name)
			if err != nil {
				return nil, err
			}
			ds, err := r.open("cue-conflict", r.spec.Eval.ShapeBiasN)
			if err != nil {
				return nil, err
			}
			return shapebias.Evaluate(ctx, m, ds, 256)
		},
	}
}

// noisy is a data set with a corruption applied to every image, each
// example's noise drawn from a generator seeded by (seed, index), so that
// every model sees the same noisy images in any batching.
type noisy struct {
	data.Dataset
	cr       *corrupt.Corruption
	severity int
	seed     uint64
}

func (n noisy) Get(i int, ex *data.Example) error {
	if err := n.Dataset.Get(i, ex); err != nil {
		return err
	}
	info := n.Info()
	n.cr.Apply(ex.Image, info.Channels, info.Height, info.Width, n.severity, rand.New(rand.NewPCG(n.seed, uint64(i))))
	return nil
}

// streamSeed derives a seed for one named use of the study's seed.
func streamSeed(seed uint64, parts ...any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, p := range parts {
		fmt.Fprint(h, "/", p)
	}
	return h.Sum64()
}

func (r *runner) noiseStage(name string) stage {
	ns := r.spec.Eval.Noise
	return stage{
		name: "noise " + name + " (test noises x severities)",
		file: r.stageFile(name, "noise"),
		cost: float64(len(ns.Families) * len(ns.Severities) * ns.N),
		run: func(ctx context.Context) (any, error) {
			m, err := r.load(name)
			if err != nil {
				return nil, err
			}
			test, err := r.open("test", ns.N)
			if err != nil {
				return nil, err
			}
			res := Noise{Accuracy: map[string][]float64{}, Mean: map[string]float64{}, N: ns.N}
			for _, fam := range ns.Families {
				cr, err := corrupt.Get(fam)
				if err != nil {
					return nil, err
				}
				var sum float64
				for _, sev := range ns.Severities {
					ds := noisy{test, cr, sev, streamSeed(r.spec.Seed, "noise", fam, sev)}
					e, err := train.Evaluate(ctx, m, ds, 256)
					if err != nil {
						return nil, err
					}
					res.Accuracy[fam] = append(res.Accuracy[fam], e.Accuracy)
					sum += e.Accuracy
				}
				res.Mean[fam] = sum / float64(len(ns.Severities))
			}
			return res, nil
		},
	}
}
