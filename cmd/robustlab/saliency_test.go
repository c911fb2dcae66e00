package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
)

// saveTinyModel writes an untrained smallcnn of width 4 to dir/name.
func saveTinyModel(t *testing.T, dir, name string, o models.Options) string {
	t.Helper()
	o.Width = 4
	m, err := models.New("smallcnn", o)
	if err != nil {
		t.Fatal(err)
	}
	c := 3
	if o.InChannels != 0 {
		c = o.InChannels
	}
	path := filepath.Join(dir, name)
	if err := modelio.Save(path, m, modelio.Meta{Arch: "smallcnn", Options: o, InputShape: []int{c, 16, 16}}); err != nil {
		t.Fatal(err)
	}
	return path
}

// runSaliencyCLI runs robustlab saliency with its flags reset to their
// defaults first (cobra keeps values set by an earlier Execute).
func runSaliencyCLI(t *testing.T, args ...string) error {
	t.Helper()
	for _, c := range root.Commands() {
		if c.Name() == "saliency" {
			c.Flags().VisitAll(func(f *pflag.Flag) {
				f.Value.Set(f.DefValue)
				f.Changed = false
			})
		}
	}
	_, err := runCLI(t, append([]string{"saliency"}, args...)...)
	return err
}

func TestSaliencyWritesTheGridAndTheMetrics(t *testing.T) {
	dir := t.TempDir()
	a := saveTinyModel(t, dir, "a.safetensors", models.Options{Seed: 1})
	b := saveTinyModel(t, dir, "b.safetensors", models.Options{Seed: 2})
	for _, c := range []struct {
		method        string
		extra         []string
		randomization string
	}{
		{"smoothgrad", []string{"--samples", "3"}, "full"},
		{"ig", []string{"--steps", "8", "--baseline", "blur"}, "none"},
		{"gradcam", nil, "cascade"},
	} {
		grid, metrics := filepath.Join(dir, c.method+".png"), filepath.Join(dir, c.method+".json")
		args := append([]string{"--models", a + "," + b, "--names", "first,second", "--data", "shapes:test?n=20&size=16",
			"--n", "4", "--method", c.method, "--out", grid, "--metrics", metrics, "--metrics-n", "6", "--curve-steps", "4",
			"--randomization", c.randomization}, c.extra...)
		if err := runSaliencyCLI(t, args...); err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		f, err := os.Open(grid)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// 4 columns of 16x16 images enlarged to 96 pixels; 3 rows.
		if b := img.Bounds(); b.Dx() < 4*96 || b.Dx() > 4*96+200 || b.Dy() < 3*96 || b.Dy() > 3*(96+30)+40 {
			t.Fatalf("%s: grid is %v", c.method, b)
		}
		raw, err := os.ReadFile(metrics)
		if err != nil {
			t.Fatal(err)
		}
		var m saliencyMetrics
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if m.N != 6 || m.Method != c.method || len(m.Models) != 2 || len(m.Pairs) != 1 || m.Pairs[0].A != "first" || m.Pairs[0].Spearman.N+m.Pairs[0].Spearman.Skipped != 6 {
			t.Fatalf("%s: metrics %s", c.method, raw)
		}
		for _, model := range m.Models {
			if model.Mask == nil || model.Mask.BandWidth != 1 || model.Mask.ObjectArea.N != 6 || len(model.DeletionMean) != 5 || model.DeletionAUC.N != 6 {
				t.Fatalf("%s: model %+v", c.method, model)
			}
			if s := model.Mask; s.Object.N > 0 && abs(s.Object.Mean+s.Background.Mean-1) > 1e-9 {
				t.Fatalf("%s: object + background = %g", c.method, s.Object.Mean+s.Background.Mean)
			}
			switch c.randomization {
			case "full":
				if model.Randomization == nil || model.Randomization.N+model.Randomization.Skipped != 6 {
					t.Fatalf("%s: randomization %+v", c.method, model.Randomization)
				}
			case "cascade":
				if len(model.Cascade) != 4 || model.Cascade[0].Layer != "fc" || model.Cascade[3].Layer != "layer1" {
					t.Fatalf("%s: cascade %+v", c.method, model.Cascade)
				}
			case "none":
				if model.Randomization != nil || model.Cascade != nil {
					t.Fatalf("%s: randomization ran", c.method)
				}
			}
			if (c.method == "ig") != (model.Completeness != nil && model.Within5 != nil) {
				t.Fatalf("%s: completeness %+v", c.method, model.Completeness)
			}
		}
	}
	// A grid alone needs no metrics.
	if err := runSaliencyCLI(t, "--models", a, "--data", "shapes:test?n=3&size=16", "--n", "8", "--overlay", "--norm", "global",
		"--target", "pred", "--out", filepath.Join(dir, "alone.png")); err != nil {
		t.Fatal(err)
	}
}

func abs(x float64) float64 { return max(x, -x) }

func TestSaliencyErrors(t *testing.T) {
	dir := t.TempDir()
	good := saveTinyModel(t, dir, "good.safetensors", models.Options{})
	grey := saveTinyModel(t, dir, "grey.safetensors", models.Options{InChannels: 1})
	few := saveTinyModel(t, dir, "few.safetensors", models.Options{Classes: 3})
	out := filepath.Join(dir, "g.png")
	spec := "shapes:test?n=20&size=16"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", spec, "--out", out}, "--models needs at least one model file"},
		{[]string{"--models", good, "--data", spec}, "nothing to write"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--method", "lime"}, `unknown method "lime"`},
		{[]string{"--models", good, "--data", spec, "--out", out, "--target", "best"}, `--target "best"`},
		{[]string{"--models", good, "--data", spec, "--out", out, "--norm", "column"}, "--norm"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--clip", "0"}, "--clip 0"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--samples", "0"}, "--samples 0"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--randomization", "half"}, "--randomization"},
		{[]string{"--models", good + "," + good, "--names", "one", "--data", spec, "--out", out}, "1 names for 2 models"},
		{[]string{"--models", filepath.Join(dir, "missing.safetensors"), "--data", spec, "--out", out}, "missing.safetensors"},
		{[]string{"--models", grey, "--data", spec, "--out", out}, "1-channel images, got 3 channels"},
		{[]string{"--models", few, "--data", spec, "--out", out}, "has 3 outputs, but image"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--start", "20"}, "start 20: shapes:test"},
		{[]string{"--models", good, "--data", spec, "--out", out, "--method", "gradcam", "--layer", "layer7"}, `no submodule "layer7"`},
		{[]string{"--models", good, "--data", "shapes:nope", "--out", out}, "nope"},
	} {
		if err := runSaliencyCLI(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestModelLabel(t *testing.T) {
	for path, want := range map[string]string{
		"runs/std/model.safetensors": "std",
		"model.safetensors":          "model",
		"/x/pgd-8.safetensors":       "pgd-8",
	} {
		if got := modelLabel(path); got != want {
			t.Errorf("modelLabel(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestBenchSaliency(t *testing.T) {
	reset := func() {
		benchSaliencyCmd.Flags().VisitAll(func(f *pflag.Flag) {
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
	reset()
	defer reset()
	out, err := runCLI(t, "bench", "saliency", "--arch", "smallcnn", "--batch", "4", "--samples", "2", "--reps", "1", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	var figures map[string]float64
	if err := json.Unmarshal([]byte(out), &figures); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if !(figures["gradient_maps_per_s"] > 0) || !(figures["smoothgrad_maps_per_s"] > 0) || figures["batch"] != 4 {
		t.Fatalf("figures %v", figures)
	}
	// The peer's side is any script printing the same figures as JSON.
	script := filepath.Join(t.TempDir(), "peer.py")
	if err := os.WriteFile(script, []byte(`print('{"gradient_maps_per_s": 2.0, "smoothgrad_maps_per_s": 0.5}')`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reset()
	out, err = runCLI(t, "bench", "saliency", "--batch", "2", "--samples", "2", "--reps", "1", "--rounds", "2", "--peer", "--peer-script", script)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a line per figure, got %q", out)
	}
	var c struct {
		Figure string  `json:"figure"`
		Peer   float64 `json:"peer_median"`
		Ours   float64 `json:"robustlab_median"`
		Ratio  float64 `json:"ratio"`
		Rounds int     `json:"rounds"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &c); err != nil {
		t.Fatal(err)
	}
	if c.Figure != "gradient_maps_per_s" || c.Peer != 2 || c.Rounds != 2 || abs(c.Ratio-c.Ours/2) > 1e-9 {
		t.Fatalf("comparison %+v", c)
	}
	reset()
	if _, err := runCLI(t, "bench", "saliency", "--peer", "--arch", "smallcnn"); err == nil || !strings.Contains(err.Error(), "resnet20 only") {
		t.Fatalf("peer with another architecture: %v", err)
	}
}
