package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/study"
)

func TestReportRedrawsFromResults(t *testing.T) {
	dir := t.TempDir()
	r := study.Results{Study: "cli", Eps: []float64{0, 8.0 / 255}, Models: []study.ModelResult{
		{Name: "standard", Regime: "standard", CleanAccuracy: 0.9,
			RobustAccuracy: study.Robust{PGD: []float64{0.9, 0.1}, FGSM: []float64{0.9, 0.2}, Worst: []float64{0.9, 0.1}, N: 100, Steps: 10}},
		{Name: "adversarial", Regime: "pgd", CleanAccuracy: 0.8,
			RobustAccuracy: study.Robust{PGD: []float64{0.8, 0.5}, FGSM: []float64{0.8, 0.6}, Worst: []float64{0.8, 0.5}, N: 100, Steps: 10}},
	}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "report", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, filepath.Join(dir, "report.html")) {
		t.Errorf("output %q does not say where the report is", out)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| adversarial | pgd | – | 80.0% | n/a | 50.0% | 50.0% |") {
		t.Errorf("report.md table:\n%s", md)
	}
	for _, f := range []string{"report.html", "figures/robust_accuracy.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestReportErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := runCLI(t, "report", dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "results.json")) {
		t.Fatalf("missing results: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"models": [{"name": "a", "clean_accuracy": 2}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, "report", dir)
	if err == nil || !strings.Contains(err.Error(), "clean_accuracy = 2") {
		t.Fatalf("bad results: %v", err)
	}
	if _, err := runCLI(t, "report"); err == nil {
		t.Fatal("report without DIR succeeded")
	}
}
