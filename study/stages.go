package study

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"time"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/nn"
)

// Costs of the stages in forward passes of one image, for the ETA: a
// training step is about three (forward, backward to weights and inputs),
// an input-gradient step about two and a half.
const (
	costTrainStep = 3
	costGradStep  = 2.5
)

// evaluation is one measurement the study makes of every model: the stage
// that measures one model (resumable: its result is a stage file) and how
// that result goes into the model's entry of the results. Each lives in
// its own file (accuracy.go, shapebias.go, noise.go, robust.go,
// saliency.go).
type evaluation struct {
	// kind names the stage's file: stages/MODEL/KIND.json.
	kind string
	// stage returns the stage measuring model name (its file is set from
	// kind).
	stage func(r *runner, name string) stage
	// assemble decodes the stage's result with read and puts it into mr.
	assemble func(r *runner, read func(v any) error, mr *ModelResult) error
}

// evaluations are the study's measurements, in the order they run for
// each model.
var evaluations = []evaluation{accuracyEvaluation, shapeBiasEvaluation, noiseEvaluation, robustEvaluation, saliencyEvaluation}

// stages lists the study's stages in the order they run: every model's
// training first (the longest part; its checkpoints make it resumable
// mid-way), then each model's evaluations, then the comparison of the
// models' saliency maps.
func (r *runner) stages() []stage {
	var out []stage
	for i := range r.spec.Models {
		out = append(out, r.trainStage(i))
	}
	for _, m := range r.spec.Models {
		for _, e := range evaluations {
			s := e.stage(r, m.Name)
			s.file = r.stageFile(m.Name, e.kind)
			out = append(out, s)
		}
	}
	return append(out, r.agreementStage())
}

func (r *runner) stageFile(model, kind string) string {
	return filepath.Join(StagesDir, model, kind+".json")
}

// assemble builds Results from the stage files on disk (so a resumed study
// reports exactly what an uninterrupted one would).
func (r *runner) assemble(stages []stage) (*Results, error) {
	res := &Results{
		Study: r.spec.Name, Preset: r.opt.Preset, Seed: r.spec.Seed, Version: resultsVersion,
		Created: time.Now().UTC(), Arch: r.spec.Arch, ImageSize: r.spec.ImageSize,
		NoiseFamilies: r.spec.Eval.Noise.Families, NoiseSeverities: r.spec.Eval.Noise.Severities, Eps: r.eps,
	}
	byFile := map[string]stage{}
	for _, s := range stages {
		byFile[s.file] = s
	}
	reader := func(file string) func(v any) error {
		return func(v any) error {
			sec, err := r.readStage(byFile[file], v)
			res.Seconds += sec
			return err
		}
	}
	for i, ms := range r.spec.Models {
		mr := ModelResult{Name: ms.Name, Label: ms.Label, Regime: ms.Regime.Name, Description: ms.Description,
			Role: ms.Role, TrainNoise: ms.Regime.Noise, ModelFile: ModelsDir + "/" + ms.Name + "/model.safetensors"}
		if mr.Label == "" {
			mr.Label = ms.Name
		}
		if err := assembleTrain(reader(r.stageFile(ms.Name, trainKind)), &mr); err != nil {
			return nil, err
		}
		for _, e := range evaluations {
			if err := e.assemble(r, reader(r.stageFile(ms.Name, e.kind)), &mr); err != nil {
				return nil, fmt.Errorf("study: models[%d] (%s): %w", i, ms.Name, err)
			}
		}
		res.Models = append(res.Models, mr)
	}
	if err := assembleAgreement(reader(agreementFile), res); err != nil {
		return nil, err
	}
	return res, nil
}

// load reads a trained model of the study.
func (r *runner) load(name string) (nn.Module, error) {
	m, _, err := modelio.Load(r.modelFile(name))
	return m, err
}

// open opens the first n images of a shapes split at the study's size and
// seed.
func (r *runner) open(split string, n int) (data.Dataset, error) {
	return data.Open(r.spec.shapesSpec(split, n))
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

// withModel is a stage's run that loads model name and measures it with
// fn.
func (r *runner) withModel(name string, fn func(ctx context.Context, m nn.Module) (any, error)) func(ctx context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		m, err := r.load(name)
		if err != nil {
			return nil, err
		}
		return fn(ctx, m)
	}
}
