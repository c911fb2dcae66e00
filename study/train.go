package study

import (
	"context"

	"github.com/robustlab/robustlab/train"
)

// trainKind names the training stages' files.
const trainKind = "train"

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
		file: r.stageFile(m.Name, trainKind),
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

// assembleTrain puts how the model was trained into mr.
func assembleTrain(read func(v any) error, mr *ModelResult) error {
	var tr trainRecord
	if err := read(&tr); err != nil {
		return err
	}
	mr.TrainData, mr.TrainSeconds, mr.Epochs = tr.TrainData, tr.Seconds, tr.Epochs
	return nil
}
