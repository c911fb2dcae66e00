package report

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/robustlab/robustlab/study"
	"github.com/robustlab/robustlab/tensor"
)

// syntheticResults is a study of five models with every field filled, its
// numbers shaped like a real shapes study's (the standard model
// texture-biased and fragile, the texture-randomized one shape-biased, the
// adversarial one robust with gradients on the object, each noise model
// robust to its own noise only).
func syntheticResults() *study.Results {
	eps := []float64{0, 1.0 / 255, 2.0 / 255, 4.0 / 255, 8.0 / 255, 16.0 / 255}
	families := []string{"salt-pepper", "uniform", "gaussian"}
	type spec struct {
		name, label, regime, data string
		clean                     float64
		splits                    [3]float64 // random-texture, silhouette, texture-only
		shape, texture, neither   float64
		pgd, fgsm                 []float64
		noise                     map[string][]float64
		grad, smooth              study.SaliencyStats
	}
	specs := []spec{
		{"standard", "Standard", "standard", "shapes:train", 0.981, [3]float64{0.412, 0.377, 0.902},
			0.09, 0.84, 0.07,
			[]float64{0.981, 0.52, 0.18, 0.02, 0, 0}, []float64{0.981, 0.58, 0.31, 0.12, 0.05, 0.03},
			map[string][]float64{"salt-pepper": {0.80, 0.61, 0.42, 0.30, 0.21}, "uniform": {0.90, 0.75, 0.55, 0.38, 0.27}, "gaussian": {0.88, 0.70, 0.50, 0.33, 0.22}},
			study.SaliencyStats{Object: 0.41, Boundary: 0.12, Interior: 0.29, Pointing: 0.55, ObjectArea: 0.31, N: 64},
			study.SaliencyStats{Object: 0.48, Boundary: 0.15, Interior: 0.33, Pointing: 0.66, ObjectArea: 0.31, N: 64}},
		{"texture-randomized", "Texture-randomized", "standard", "shapes:random-texture?size=32&n=12000", 0.953, [3]float64{0.948, 0.861, 0.113},
			0.86, 0.08, 0.06,
			[]float64{0.953, 0.60, 0.29, 0.06, 0.01, 0}, []float64{0.953, 0.64, 0.38, 0.17, 0.08, 0.04},
			map[string][]float64{"salt-pepper": {0.85, 0.70, 0.52, 0.39, 0.28}, "uniform": {0.91, 0.80, 0.63, 0.47, 0.35}, "gaussian": {0.90, 0.77, 0.59, 0.42, 0.30}},
			study.SaliencyStats{Object: 0.52, Boundary: 0.24, Interior: 0.28, Pointing: 0.68, ObjectArea: 0.31, N: 64},
			study.SaliencyStats{Object: 0.57, Boundary: 0.27, Interior: 0.30, Pointing: 0.74, ObjectArea: 0.31, N: 64}},
		{"adversarial", "Adversarial (PGD)", "pgd", "shapes:train", 0.902, [3]float64{0.701, 0.744, 0.523},
			0.63, 0.33, 0.04,
			[]float64{0.902, 0.86, 0.81, 0.72, 0.51, 0.17}, []float64{0.902, 0.87, 0.83, 0.76, 0.59, 0.29},
			map[string][]float64{"salt-pepper": {0.84, 0.74, 0.60, 0.47, 0.36}, "uniform": {0.89, 0.85, 0.78, 0.69, 0.58}, "gaussian": {0.89, 0.84, 0.75, 0.65, 0.52}},
			study.SaliencyStats{Object: 0.78, Boundary: 0.44, Interior: 0.34, Pointing: 0.91, ObjectArea: 0.31, N: 64},
			study.SaliencyStats{Object: 0.81, Boundary: 0.46, Interior: 0.35, Pointing: 0.94, ObjectArea: 0.31, N: 64}},
		{"noise-salt-pepper", "Salt-and-pepper noise", "noise", "shapes:train", 0.975, [3]float64{0.455, 0.402, 0.871},
			0.12, 0.80, 0.08,
			[]float64{0.975, 0.55, 0.21, 0.03, 0, 0}, []float64{0.975, 0.60, 0.34, 0.14, 0.06, 0.03},
			map[string][]float64{"salt-pepper": {0.97, 0.96, 0.95, 0.93, 0.91}, "uniform": {0.91, 0.77, 0.57, 0.40, 0.29}, "gaussian": {0.90, 0.73, 0.54, 0.36, 0.25}},
			study.SaliencyStats{Object: 0.43, Boundary: 0.13, Interior: 0.30, Pointing: 0.58, ObjectArea: 0.31, N: 64},
			study.SaliencyStats{Object: 0.50, Boundary: 0.16, Interior: 0.34, Pointing: 0.67, ObjectArea: 0.31, N: 64}},
		{"noise-uniform", "Uniform noise", "noise", "shapes:train", 0.976, [3]float64{0.447, 0.398, 0.880},
			0.11, 0.81, 0.08,
			[]float64{0.976, 0.58, 0.25, 0.04, 0, 0}, []float64{0.976, 0.62, 0.36, 0.15, 0.06, 0.03},
			map[string][]float64{"salt-pepper": {0.83, 0.65, 0.46, 0.33, 0.24}, "uniform": {0.97, 0.96, 0.94, 0.92, 0.89}, "gaussian": {0.96, 0.93, 0.88, 0.80, 0.71}},
			study.SaliencyStats{Object: 0.45, Boundary: 0.14, Interior: 0.31, Pointing: 0.60, ObjectArea: 0.31, N: 64},
			study.SaliencyStats{Object: 0.51, Boundary: 0.17, Interior: 0.34, Pointing: 0.69, ObjectArea: 0.31, N: 64}},
	}
	r := &study.Results{
		Study: "shapes", Preset: "quick", Seed: 1, Version: "0.1.0-test",
		Created: time.Date(2025, 11, 27, 10, 0, 0, 0, time.UTC), Seconds: 1234.5,
		Arch: "resnet20", ImageSize: 32,
		NoiseFamilies: families, NoiseSeverities: []int{1, 2, 3, 4, 5}, Eps: eps,
		SaliencyGrid: study.GridFile,
	}
	roles := []string{"standard", "shape-biased", "adversarial", "noise", "noise"}
	trainNoise := []string{"", "", "", "salt-pepper", "uniform"}
	var names []string
	for k, s := range specs {
		names = append(names, s.name)
		worst := make([]float64, len(eps))
		for i := range eps {
			worst[i] = min(s.pgd[i], s.fgsm[i])
		}
		mean := map[string]float64{}
		for f, acc := range s.noise {
			t := 0.0
			for _, a := range acc {
				t += a
			}
			mean[f] = t / float64(len(acc))
		}
		sb := s.shape / (s.shape + s.texture)
		r.Models = append(r.Models, study.ModelResult{
			Name: s.name, Label: s.label, Regime: s.regime, TrainData: s.data,
			Description: "trained for the test", ModelFile: "models/" + s.name + ".safetensors",
			Role: roles[k], TrainNoise: trainNoise[k],
			TrainSeconds: 100, Epochs: 5, CleanAccuracy: s.clean,
			SplitAccuracy:  map[string]float64{"random-texture": s.splits[0], "silhouette": s.splits[1], "texture-only": s.splits[2]},
			ShapeBias:      study.ShapeBias{ShapeBias: sb, Shape: s.shape, Texture: s.texture, Neither: s.neither, N: 1000},
			RobustAccuracy: study.Robust{FGSM: s.fgsm, PGD: s.pgd, Worst: worst, Steps: 10, N: 500},
			Noise:          study.Noise{Accuracy: s.noise, Mean: mean, N: 1000},
			Saliency:       map[string]study.SaliencyStats{"gradient": s.grad, "smoothgrad": s.smooth},
		})
	}
	for _, method := range []string{"gradient", "smoothgrad"} {
		n := len(names)
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, n)
			for j := range m[i] {
				switch {
				case i == j:
					m[i][j] = 1
				case names[i] == "adversarial" || names[j] == "adversarial":
					m[i][j] = 0.21
				default:
					m[i][j] = 0.62
				}
			}
		}
		r.SaliencyAgreement = append(r.SaliencyAgreement, study.Agreement{Method: method, Models: names, Matrix: m})
	}
	return r
}

// writeGrid writes the saliency grid data r.SaliencyGrid names into dir,
// as the study would: three 8x8 images and, per method, a map of each
// model that lights up a different corner.
func writeGrid(t *testing.T, dir string, r *study.Results) {
	t.Helper()
	if r.SaliencyGrid == "" {
		return
	}
	g := &study.Grid{Images: tensor.New(3, 3, 8, 8), Captions: []string{"circle", "square", "star"},
		Maps: map[string]map[string]*tensor.Tensor{}}
	for j := range g.Images.Data() {
		g.Images.Data()[j] = float32(j%7) / 7
	}
	for _, method := range []string{"gradient", "smoothgrad"} {
		g.Maps[method] = map[string]*tensor.Tensor{}
		for k, m := range r.Models {
			maps := tensor.New(3, 8, 8)
			for i := range 3 {
				maps.Index(i).Data()[(k*9+i)%64] = 1
			}
			g.Maps[method][m.Name] = maps
		}
	}
	path := filepath.Join(dir, filepath.FromSlash(r.SaliencyGrid))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
}
