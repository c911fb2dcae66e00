package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
)

// The saliency stages. Each model's stage computes its maps on the first
// Saliency.N test images, scores them against the object masks, and keeps
// the maps (aggregated over channels by the absolute maximum, as Simonyan
// et al. 2014 do) in a tensor file beside its record, so that the final
// stage can compare the models' maps on the same images and draw the grids.

// testImages reads the first n test images with their labels and masks.
func (r *runner) testImages(ctx context.Context, n int) (images, masks *tensor.Tensor, labels []int, err error) {
	ds, err := r.open("test", n)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: n})
	if err != nil {
		return nil, nil, nil, err
	}
	ep := l.Epoch(ctx, 0)
	defer ep.Close()
	b, err := ep.Next()
	if err != nil {
		return nil, nil, nil, err
	}
	defer b.Release()
	return b.Images.Clone(), b.Masks.Clone(), append([]int(nil), b.Labels...), nil
}

func (r *runner) saliencyOptions() saliency.Options {
	sp := r.spec.Eval.Saliency
	return saliency.Options{BatchSize: 128, Samples: sp.Samples, NoiseLevel: sp.Sigma, Seed: streamSeed(r.spec.Seed, "saliency")}
}

func (r *runner) mapsFile(name string) string {
	return filepath.Join(r.out, StagesDir, name, "saliency_maps.safetensors")
}

func (r *runner) saliencyStage(name string) stage {
	sp := r.spec.Eval.Saliency
	cost := float64(sp.N) * costGradStep
	for _, m := range sp.Methods {
		if m == "smoothgrad" {
			cost += float64(sp.N*sp.Samples) * costGradStep
		}
	}
	return stage{
		name: "saliency " + name + " (" + fmt.Sprint(sp.Methods) + ", mask metrics)",
		file: r.stageFile(name, "saliency"),
		cost: cost,
		run: func(ctx context.Context) (any, error) {
			model, err := r.load(name)
			if err != nil {
				return nil, err
			}
			images, masks, labels, err := r.testImages(ctx, sp.N)
			if err != nil {
				return nil, err
			}
			stats := map[string]SaliencyStats{}
			keep := map[string]*tensor.Tensor{}
			for _, mn := range sp.Methods {
				method, err := saliency.ParseMethod(mn)
				if err != nil {
					return nil, err
				}
				raw, err := saliency.Compute(ctx, model, images, labels, method, r.saliencyOptions())
				if err != nil {
					return nil, err
				}
				maps, err := saliency.Aggregate(raw, saliency.AbsMax)
				if err != nil {
					return nil, err
				}
				scores, err := saliency.MaskMetrics(maps, masks, saliency.MaskOptions{})
				if err != nil {
					return nil, err
				}
				s := saliency.SummarizeMask(scores)
				stats[mn] = SaliencyStats{Object: s.Object.Mean, Boundary: s.Band.Mean, Interior: s.Interior.Mean,
					Pointing: s.Pointing.Mean, ObjectArea: s.ObjectArea.Mean, N: s.Object.N}
				keep[mn] = maps
			}
			if err := modelio.SaveTensors(r.mapsFile(name), keep, map[string]string{"model": name}); err != nil {
				return nil, err
			}
			return stats, nil
		},
	}
}

func (r *runner) assembleSaliency(name string, read func(model, kind string, v any) error, mr *ModelResult) error {
	return read(name, "saliency", &mr.Saliency)
}

// methodTitle names the study's saliency methods in figure titles.
var methodTitle = map[string]string{
	"gradient":   "Gradient (Simonyan et al. 2014)",
	"smoothgrad": "SmoothGrad (Smilkov et al. 2017)",
}

// agreementRecord is the final stage's result.
type agreementRecord struct {
	Agreement []Agreement       `json:"agreement"`
	Figures   map[string]string `json:"figures"`
}

// agreementStage compares the models' maps (Spearman rank correlation per
// image, averaged) and draws the seed's cover figure per method: the test
// images, then a row of maps per model.
func (r *runner) agreementStage() stage {
	sp := r.spec.Eval.Saliency
	return stage{
		name: "saliency across models (rank correlations, grids)",
		file: filepath.Join(StagesDir, "saliency_agreement.json"),
		cost: float64(len(r.spec.Models) * sp.GridImages),
		run: func(ctx context.Context) (any, error) {
			k := min(sp.GridImages, sp.N)
			images, _, labels, err := r.testImages(ctx, k)
			if err != nil {
				return nil, err
			}
			classes := data.ShapeNames
			captions := make([]string, k)
			for i, l := range labels {
				captions[i] = classes[l]
			}
			all := map[string]map[string]*tensor.Tensor{}
			var names []string
			for _, m := range r.spec.Models {
				ts, _, err := modelio.LoadTensors(r.mapsFile(m.Name))
				if err != nil {
					return nil, err
				}
				all[m.Name] = ts
				names = append(names, m.Name)
			}
			rec := agreementRecord{Figures: map[string]string{}}
			for _, mn := range sp.Methods {
				ag := Agreement{Method: mn, Models: names, Matrix: make([][]float64, len(names))}
				for i, a := range names {
					ag.Matrix[i] = make([]float64, len(names))
					for j, b := range names {
						if i == j {
							ag.Matrix[i][j] = 1
							continue
						}
						rho, err := saliency.RankCorrelation(all[a][mn], all[b][mn])
						if err != nil {
							return nil, err
						}
						ag.Matrix[i][j] = saliency.Summarize(rho).Mean
					}
				}
				rec.Agreement = append(rec.Agreement, ag)
				var rows []saliency.Row
				for _, m := range r.spec.Models {
					label := m.Label
					if label == "" {
						label = m.Name
					}
					rows = append(rows, saliency.Row{Label: label, Maps: all[m.Name][mn].Slice(0, k)})
				}
				img, err := saliency.RenderGrid(images, captions, rows, saliency.RenderOptions{
					Title: fmt.Sprintf("%s: |map| (max over colour channels) for the true class, one row per model", methodTitle[mn])})
				if err != nil {
					return nil, err
				}
				rel := filepath.Join(FiguresDir, "saliency_grid_"+mn+".png")
				if err := os.MkdirAll(filepath.Join(r.out, FiguresDir), 0o755); err != nil {
					return nil, err
				}
				if err := data.WritePNG(filepath.Join(r.out, rel), img); err != nil {
					return nil, err
				}
				rec.Figures["saliency_grid_"+mn] = rel
			}
			return rec, nil
		},
	}
}

func (r *runner) assembleAgreement(byFile map[string]stage, res *Results) error {
	var rec agreementRecord
	sec, err := r.readStage(byFile[filepath.Join(StagesDir, "saliency_agreement.json")], &rec)
	if err != nil {
		return err
	}
	res.Seconds += sec
	res.SaliencyAgreement = rec.Agreement
	for k, v := range rec.Figures {
		res.Figures[k] = v
	}
	return nil
}
