package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tinySpec is a study small enough for a test: three regimes, two epochs
// on 512 images, a handful of test images.
func tinySpec() Spec {
	s := quickSpec()
	s.Name, s.Width = "tiny", 8
	s.Train.N, s.Train.Epochs, s.Train.Batch = 384, 2, 64
	s.Models = []ModelSpec{s.Models[0], s.Models[1], s.Models[4]}
	s.Eval.TestN, s.Eval.ShapeBiasN = 96, 90
	s.Eval.Robust.N, s.Eval.Robust.Steps, s.Eval.Robust.Eps = 48, 3, []string{"0", "4/255"}
	s.Eval.Noise.N, s.Eval.Noise.Severities = 48, []int{1, 5}
	s.Eval.Saliency.N, s.Eval.Saliency.GridImages, s.Eval.Saliency.Samples = 24, 4, 3
	return s
}

// comparable drops what legitimately differs between two runs (times).
func comparable(t *testing.T, r *Results) string {
	t.Helper()
	c := *r
	c.Seconds, c.Created = 0, time.Time{}
	c.Models = append([]ModelResult(nil), r.Models...)
	for i := range c.Models {
		c.Models[i].TrainSeconds = 0
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKilledStudyResumesToTheSameResults interrupts a study in the middle
// of its first training and again between stages, resumes it, and compares
// every result and figure with an uninterrupted run.
func TestKilledStudyResumesToTheSameResults(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models twice")
	}
	ctx := context.Background()
	spec := tinySpec()
	var log bytes.Buffer
	whole := t.TempDir()
	a, err := Run(ctx, spec, Options{Out: whole, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	split := t.TempDir()
	if _, err := Run(ctx, spec, Options{Out: split, Log: &log, StopAfterEpochs: 1}); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted mid-training: got %v", err)
	}
	if _, err := Run(ctx, spec, Options{Out: split, Log: &log, StopAfterStages: 6}); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted between stages: got %v", err)
	}
	log.Reset()
	b, err := Run(ctx, spec, Options{Out: split, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "[1/") || !strings.Contains(log.String(), "[19/19]") {
		t.Fatalf("the resumed run must skip finished stages and run the rest:\n%s", log.String())
	}
	if ca, cb := comparable(t, a), comparable(t, b); ca != cb {
		t.Fatalf("resumed results differ:\n%s\n%s", ca, cb)
	}
	fa, _ := os.ReadFile(filepath.Join(whole, a.SaliencyGrid))
	fb, _ := os.ReadFile(filepath.Join(split, b.SaliencyGrid))
	if a.SaliencyGrid != GridFile || len(fa) == 0 || !bytes.Equal(fa, fb) {
		t.Fatalf("the saliency grid %s differs after resuming", a.SaliencyGrid)
	}
	g, err := LoadGrid(filepath.Join(whole, a.SaliencyGrid))
	if err != nil {
		t.Fatal(err)
	}
	if g.Images.Dim(0) != 4 || len(g.Captions) != 4 || len(g.Maps) != 2 || len(g.Maps["gradient"]) != 3 || g.Maps["smoothgrad"]["standard"].Dim(0) != 4 {
		t.Fatalf("grid: %d images, captions %v, maps %v", g.Images.Dim(0), g.Captions, g.Maps)
	}
	for _, m := range a.Models {
		if m.Noise.Accuracy == nil || m.RobustAccuracy.PGD == nil || m.Saliency["gradient"].N == 0 || m.ShapeBias.N != 90 || m.Role == "" {
			t.Fatalf("model %s lacks results: %+v", m.Name, m)
		}
	}
	// A finished study reruns instantly and another spec is refused.
	spec.Seed++
	if _, err := Run(ctx, spec, Options{Out: split, Log: &log}); err == nil || !strings.Contains(err.Error(), "another spec") {
		t.Fatalf("want a refusal to mix specs, got %v", err)
	}
}
