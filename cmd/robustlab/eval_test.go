package main

import (
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/internal/fixture"
	"github.com/robustlab/robustlab/models"
)

// runFresh runs a robustlab subcommand with its flags reset to their
// defaults first (cobra keeps values set by an earlier Execute).
func runFresh(t *testing.T, args ...string) (string, error) {
	t.Helper()
	for _, c := range root.Commands() {
		if c.Name() == args[0] {
			c.Flags().VisitAll(func(f *pflag.Flag) {
				f.Value.Set(f.DefValue)
				f.Changed = false
			})
		}
	}
	return runCLI(t, args...)
}

const tinyShapes = "shapes:test?n=6&size=16"

func TestEvalWritesSummaryAndRows(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{Seed: 1})
	out := filepath.Join(dir, "eval")
	stdout, err := runFresh(t, "eval", "--model", model, "--data", tinyShapes, "--attacks", "fgsm,pgd?steps=4,square?queries=20",
		"--eps", "2/255,8/255", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"clean accuracy", "eps 2/255", "eps 8/255", "pgd?steps=4", attack.WorstCase, "sanity checks:", attack.CheckEpsMonotone} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var rep attack.Report
	raw, err := os.ReadFile(filepath.Join(out, evalSummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.N != 6 || rep.Model != model || len(rep.Results) != 2*4 || len(rep.Checks) == 0 {
		t.Errorf("summary: n %d, model %q, %d results, %d checks", rep.N, rep.Model, len(rep.Results), len(rep.Checks))
	}
	f, err := os.Open(filepath.Join(out, evalExamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 1+6*2*4 {
		t.Fatalf("%d CSV records (want %d): %v", len(recs), 1+6*2*4, err)
	}
}

func TestAttackWritesPNGs(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{Seed: 1})
	out := filepath.Join(dir, "adv")
	if _, err := runFresh(t, "attack", "--model", model, "--data", tinyShapes, "--n", "3", "--eps", "8/255", "--scale", "2", "--out", out); err != nil {
		t.Fatal(err)
	}
	clean, _ := filepath.Glob(filepath.Join(out, "clean", "*.png"))
	adv, _ := filepath.Glob(filepath.Join(out, "pgd", "eps_8_255", "*_label*_pred*.png"))
	pert, _ := filepath.Glob(filepath.Join(out, "pgd", "eps_8_255", "*_perturbation.png"))
	if len(clean) != 3 || len(adv) != 3 || len(pert) != 3 {
		t.Fatalf("wrote %d clean, %d adversarial, %d perturbation images; want 3 each", len(clean), len(adv), len(pert))
	}
	fh, err := os.Open(adv[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Errorf("adversarial PNG is %dx%d, want 32x32 (16 pixels at scale 2)", b.Dx(), b.Dy())
	}
	if _, err := os.Stat(filepath.Join(out, evalSummaryFile)); err != nil {
		t.Error(err)
	}
}

// TestEvalAutoAttack: the suite runs through the CLI and is reported as
// RobustBench reports it, and the summary file has it.
func TestEvalAutoAttack(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{Seed: 1})
	out := filepath.Join(dir, "eval")
	stdout, err := runFresh(t, "eval", "--model", model, "--data", tinyShapes, "--attacks", "autoattack", "--eps", "8/255", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"autoattack/apgd-ce", "autoattack/fab-t", "autoattack: Linf eps 8/255, n 6: clean", "robust", "after apgd-ce"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var rep attack.Report
	raw, err := os.ReadFile(filepath.Join(out, evalSummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil || len(rep.Suites) != 1 || len(rep.Suites[0].Stages) != 4 || rep.Suites[0].N != 6 {
		t.Fatalf("summary suites %+v (%v)", rep.Suites, err)
	}
}

func TestEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{Seed: 1})
	five := saveTinyModel(t, dir, "five.safetensors", models.Options{Seed: 1, Classes: 5})
	// 28x28 grey images that the 3x16x16 model cannot take: MNIST's shape,
	// not its digits, so a fixture (and no download) is enough.
	grey := filepath.Join(dir, "grey")
	if err := os.Mkdir(grey, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteMNIST(grey, 4, 28, 28); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", tinyShapes}, "--model"},
		{[]string{"--model", model}, "--data"},
		{[]string{"--model", model, "--data", tinyShapes, "--eps", "-0.1"}, "--eps -0.1"},
		{[]string{"--model", model, "--data", tinyShapes, "--eps", "eight"}, "--eps"},
		{[]string{"--model", model, "--data", tinyShapes, "--attacks", "pgd?steps=0"}, "steps must be at least 1"},
		{[]string{"--model", model, "--data", tinyShapes, "--attacks", "deepfool"}, "unknown attack"},
		{[]string{"--model", model, "--data", "mnist:test?n=4&root=" + grey}, "cannot take the images"},
		{[]string{"--model", model, "--data", tinyShapes, "--attacks", "autoattack?norm=l1"}, "unknown norm"},
		{[]string{"--model", model, "--data", tinyShapes, "--attacks", "apgd-t?targets=10"}, "at most 9 target classes"},
		{[]string{"--model", five, "--data", tinyShapes}, "has 5 outputs"},
		{[]string{"--model", filepath.Join(dir, "missing.safetensors"), "--data", tinyShapes}, "missing.safetensors"},
		{[]string{"--model", model, "--data", tinyShapes, "--batch", "0"}, "--batch"},
	} {
		_, err := runFresh(t, append([]string{"eval"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("eval %v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := runFresh(t, "attack", "--model", model, "--data", tinyShapes); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("attack without --out: %v", err)
	}
}

func TestBenchAttackPrintsOneJSONLine(t *testing.T) {
	for _, c := range benchCmd.Commands() {
		if c.Name() == "attack" {
			c.Flags().VisitAll(func(f *pflag.Flag) { f.Value.Set(f.DefValue); f.Changed = false })
		}
	}
	out, err := runCLI(t, "bench", "attack", "--batch", "2", "--steps", "1", "--reps", "1")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(out), &m); err != nil || !(m["pgd_steps_img_s"] > 0) || strings.Count(out, "\n") != 1 {
		t.Fatalf("output %q (%v)", out, err)
	}
}
