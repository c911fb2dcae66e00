package study

import (
	"time"

	"github.com/robustlab/robustlab/shapebias"
)

// assemble builds Results from the stage files on disk (so a resumed study
// reports exactly what an uninterrupted one would).
func (r *runner) assemble(stages []stage) (*Results, error) {
	res := &Results{
		Study: r.spec.Name, Preset: r.opt.Preset, Seed: r.spec.Seed, Version: resultsVersion,
		Created: time.Now().UTC(), Arch: r.spec.Arch, ImageSize: r.spec.ImageSize,
		NoiseFamilies: r.spec.Eval.Noise.Families, NoiseSeverities: r.spec.Eval.Noise.Severities,
		Eps: r.eps, Figures: map[string]string{},
	}
	byFile := map[string]stage{}
	for _, s := range stages {
		byFile[s.file] = s
	}
	read := func(model, kind string, v any) error {
		sec, err := r.readStage(byFile[r.stageFile(model, kind)], v)
		res.Seconds += sec
		return err
	}
	for _, ms := range r.spec.Models {
		mr := ModelResult{Name: ms.Name, Label: ms.Label, Regime: ms.Regime.Name, Description: ms.Description,
			ModelFile: ModelsDir + "/" + ms.Name + "/model.safetensors"}
		if mr.Label == "" {
			mr.Label = ms.Name
		}
		var tr trainRecord
		if err := read(ms.Name, "train", &tr); err != nil {
			return nil, err
		}
		mr.TrainData, mr.TrainSeconds, mr.Epochs = tr.TrainData, tr.Seconds, tr.Epochs
		acc := map[string]float64{}
		if err := read(ms.Name, "accuracy", &acc); err != nil {
			return nil, err
		}
		mr.CleanAccuracy = acc["test"]
		delete(acc, "test")
		mr.SplitAccuracy = acc
		var sb shapebias.Result
		if err := read(ms.Name, "shapebias", &sb); err != nil {
			return nil, err
		}
		mr.ShapeBias = ShapeBias{ShapeBias: sb.Bias, N: sb.Conflicts()}
		mr.ShapeBias.Shape, mr.ShapeBias.Texture, mr.ShapeBias.Neither = sb.Fractions()
		if err := read(ms.Name, "noise", &mr.Noise); err != nil {
			return nil, err
		}
		if err := r.assembleRobust(ms.Name, read, &mr); err != nil {
			return nil, err
		}
		if err := r.assembleSaliency(ms.Name, read, &mr); err != nil {
			return nil, err
		}
		res.Models = append(res.Models, mr)
	}
	if err := r.assembleAgreement(byFile, res); err != nil {
		return nil, err
	}
	return res, nil
}
