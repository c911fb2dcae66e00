package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/study"
)

func TestLoadReadsWhatTheStudyWrote(t *testing.T) {
	r := syntheticResults()
	dir := t.TempDir()
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("loaded results differ from those written:\n%+v\n%+v", got, r)
	}
}

func TestLoadErrorsNameTheFileAndTheValue(t *testing.T) {
	good, err := json.MarshalIndent(syntheticResults(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(r *study.Results)) string {
		r := syntheticResults()
		f(r)
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		name, content string
		want          []string
	}{
		{"syntax", "{\n  \"study\": \"shapes\",\n  \"seed\": 1,,\n}", []string{"line 3, column", "not valid JSON"}},
		{"truncated", string(good[:len(good)/2]), []string{"truncated"}},
		{"type", strings.Replace(string(good), `"seed": 1`, `"seed": "one"`, 1), []string{"line 4, column 16", "seed is a JSON string, want uint64"}},
		{"no models", `{"study": "x", "models": []}`, []string{"models: empty"}},
		{"eps length", edit(func(r *study.Results) { r.Models[2].RobustAccuracy.PGD = r.Models[2].RobustAccuracy.PGD[:4] }),
			[]string{"models[2] (adversarial)", "robust_accuracy.pgd has 4 values, want 6"}},
		{"fraction", edit(func(r *study.Results) { r.Models[0].CleanAccuracy = 98.1 }),
			[]string{"models[0] (standard)", "clean_accuracy = 98.1, want a fraction in [0,1]"}},
		{"duplicate", edit(func(r *study.Results) { r.Models[1].Name = "standard" }),
			[]string{"models[0] and models[1] are both named \"standard\""}},
		{"noise family", edit(func(r *study.Results) { r.Models[0].Noise.Accuracy["speckle"] = []float64{1, 1, 1, 1, 1} }),
			[]string{`noise.accuracy has family "speckle"`, "noise_families"}},
		{"severities", edit(func(r *study.Results) { r.Models[0].Noise.Accuracy["uniform"] = []float64{1, 1} }),
			[]string{`noise.accuracy["uniform"] has 2 values, want 5`}},
		{"shape fractions", edit(func(r *study.Results) { r.Models[0].ShapeBias.Neither = 0.5 }),
			[]string{"shape, texture and neither fractions sum to"}},
		{"saliency parts", edit(func(r *study.Results) {
			s := r.Models[0].Saliency["gradient"]
			s.Boundary = 0.3
			r.Models[0].Saliency["gradient"] = s
		}), []string{`saliency["gradient"]`, "want object_fraction 0.4100"}},
		{"agreement", edit(func(r *study.Results) { r.SaliencyAgreement[0].Matrix = r.SaliencyAgreement[0].Matrix[:3] }),
			[]string{"saliency_agreement[0] (gradient)", "3 rows for 5 models"}},
		{"agreement model", edit(func(r *study.Results) { r.SaliencyAgreement[1].Models[0] = "ghost" }),
			[]string{`model "ghost" is not one of the study's models`}},
		{"absolute grid", edit(func(r *study.Results) { r.SaliencyGrid = "/tmp/grid.safetensors" }),
			[]string{"saliency_grid", "absolute"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ResultsFile), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			want := append([]string{filepath.Join(dir, ResultsFile)}, c.want...)
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "results.json")+": no such file") {
		t.Fatalf("error %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	good, err := json.Marshal(syntheticResults())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"models":[{"name":"a","clean_accuracy":0.5}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ResultsFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Load(dir)
		if err != nil {
			return
		}
		// Whatever Load accepts, the report can be written from, except
		// for a saliency grid that does not exist in this empty folder.
		r.SaliencyGrid = ""
		if err := Write(dir, r); err != nil {
			t.Fatalf("Write of loaded results: %v", err)
		}
	})
}
