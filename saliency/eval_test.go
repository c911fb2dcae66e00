package saliency

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/tensor"
)

// images is a data set of the given images and labels, with an object
// mask (the 3 right columns of each 7-wide image) when masked.
type images struct {
	x      *tensor.Tensor
	labels []int
	masked bool
}

func (d images) Len() int { return d.x.Dim(0) }

func (d images) Info() data.Info {
	return data.Info{Name: "test-images", Classes: []string{"a", "b", "c", "d"}, Channels: d.x.Dim(1), Height: d.x.Dim(2), Width: d.x.Dim(3), HasMask: d.masked}
}

func (d images) Get(i int, ex *data.Example) error {
	ex.Image = append(ex.Image[:0], d.x.Index(i).Data()...)
	ex.Label = d.labels[i]
	if d.masked {
		h, w := d.x.Dim(2), d.x.Dim(3)
		ex.Mask = ex.Mask[:0]
		for p := range h * w {
			ex.Mask = append(ex.Mask, float32(min(1, (p%w)*2/w)))
		}
	}
	return nil
}

func TestEvaluateExplainsTheChosenImagesAndTargets(t *testing.T) {
	m, r, x, labels := setup(t)
	ds := images{x, labels, true}
	// The reference's predictions and their probabilities.
	pred, conf := make([]int, 5), make([]float64, 5)
	for i := range 5 {
		z := r.logits(f64s(x.Index(i).Data()))
		for k, v := range z {
			if v > z[pred[i]] {
				pred[i] = k
			}
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v - z[pred[i]])
		}
		conf[i] = 1 / s
	}
	for _, c := range []struct {
		start, n int
		byPred   bool
	}{{0, 0, false}, {1, 3, true}, {3, 9, false}} {
		rep, err := Evaluate(ctx, m, ds, Config{Method: Gradient, Options: Options{BatchSize: 2}, Start: c.start, N: c.n, ByPrediction: c.byPred})
		if err != nil {
			t.Fatal(err)
		}
		n := 5 - c.start
		if c.n > 0 {
			n = min(c.n, n)
		}
		if rep.N != n || rep.Start != c.start || rep.Images.Dim(0) != n || rep.Maps.Dim(0) != n {
			t.Fatalf("%+v: report of %d images from %d, want %d", c, rep.N, rep.Start, n)
		}
		correct := 0
		targets := make([]int, n)
		for i := range n {
			j := c.start + i
			if rep.Indices[i] != j || rep.Labels[i] != labels[j] || rep.Predictions[i] != pred[j] || math.Abs(rep.Confidences[i]-conf[j]) > 1e-5 {
				t.Fatalf("%+v: image %d: index %d label %d prediction %d (%v), want %d %d %d (%v)", c, i,
					rep.Indices[i], rep.Labels[i], rep.Predictions[i], rep.Confidences[i], j, labels[j], pred[j], conf[j])
			}
			if pred[j] == labels[j] {
				correct++
			}
			targets[i] = labels[j]
			if c.byPred {
				targets[i] = pred[j]
			}
		}
		if rep.Accuracy != float64(correct)/float64(n) {
			t.Errorf("%+v: accuracy %v, want %d/%d", c, rep.Accuracy, correct, n)
		}
		want, err := Compute(ctx, m, x.Slice(c.start, c.start+n), targets, Gradient, Options{BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		agg, _ := Aggregate(want, AbsMax)
		if !slicesEqual(rep.Maps.Data(), agg.Data()) {
			t.Errorf("%+v: the maps are not those of the targets", c)
		}
		if rep.Mask == nil || rep.Mask.ObjectArea.Mean != 3.0/7 || rep.Mask.Object.N+rep.Mask.Object.Skipped != n {
			t.Errorf("%+v: mask metrics %+v", c, rep.Mask)
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEvaluateMeasuresWhatItIsAskedTo(t *testing.T) {
	m, _, x, labels := setup(t)
	fresh := newTinyNet(9, 3, 4)
	ds := images{x, labels, false}
	rep, err := Evaluate(ctx, m, ds, Config{Method: IntegratedGradients, Aggregation: SignedSum, Options: Options{Steps: 16},
		Curves: &CurveOptions{Steps: 4}, Randomization: FullRandomization, Randomized: fresh})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mask != nil || rep.DeletionAUC == nil || len(rep.InsertionMean) != 5 || rep.Randomization == nil ||
		rep.Completeness == nil || rep.Within5 == nil || rep.Options["steps"] != 16 {
		t.Fatalf("report %+v", rep)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"data", "n", "method", "aggregation", "deletion_auc", "insertion_curve", "randomization_spearman", "ig_within_5pct"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, raw)
		}
	}
	// Plain gradients measure only what is cheap.
	rep, err = Evaluate(ctx, m, ds, Config{Method: Gradient})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DeletionAUC != nil || rep.Randomization != nil || rep.Cascade != nil || rep.Completeness != nil {
		t.Fatalf("measured what was not asked: %+v", rep)
	}
}

func TestEvaluateErrors(t *testing.T) {
	m, _, x, labels := setup(t)
	bad := append([]int(nil), labels...)
	bad[2] = 4
	for _, c := range []struct {
		ds   data.Dataset
		cfg  Config
		want string
	}{
		{images{x, labels, false}, Config{Start: 5}, "start 5: test-images has 5 examples"},
		{images{x, labels, false}, Config{N: -1}, "must not be negative"},
		{images{x, bad, false}, Config{}, "the model has 4 outputs, but image 2 of test-images has label 4"},
		{images{x, labels, false}, Config{Randomization: FullRandomization}, "needs the randomized model"},
	} {
		if _, err := Evaluate(ctx, m, c.ds, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestCompareCorrelatesEveryPair(t *testing.T) {
	m, _, x, labels := setup(t)
	ds := images{x, labels, false}
	var reps []*Report
	for i, net := range []*tinyNet{m, newTinyNet(5, 3, 4), newTinyNet(6, 3, 4)} {
		r, err := Evaluate(ctx, net, ds, Config{Method: Gradient})
		if err != nil {
			t.Fatal(err)
		}
		r.Name = string(rune('a' + i))
		reps = append(reps, r)
	}
	pairs, err := Compare(reps)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 3 || pairs[0].A != "a" || pairs[0].B != "b" || pairs[2].A != "b" || pairs[2].B != "c" {
		t.Fatalf("pairs %+v", pairs)
	}
	rho, _ := RankCorrelation(reps[0].Maps, reps[2].Maps)
	if pairs[1].Spearman != Summarize(rho) {
		t.Errorf("pair a-c %+v, want %+v", pairs[1].Spearman, Summarize(rho))
	}
	other, err := Evaluate(ctx, m, ds, Config{Method: Gradient, Start: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compare([]*Report{reps[0], other}); err == nil || !strings.Contains(err.Error(), "not the same images") {
		t.Errorf("maps of other images compared: %v", err)
	}
}

func TestCaptions(t *testing.T) {
	r := &Report{N: 3, Classes: []string{"a", "b"}, Labels: []int{0, 1, 1}, Predictions: []int{0, 0, 7}, Confidences: []float64{0.971, 0.5, 0.25}}
	got := strings.Join(r.Captions(5, nil), "|") + " / " + strings.Join(r.ImageCaptions(2), "|")
	if want := "a 97%|x a 50%|x 7 25% / a|b"; got != want {
		t.Fatalf("captions %q, want %q", got, want)
	}
}
