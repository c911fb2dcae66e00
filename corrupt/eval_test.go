package corrupt

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// TestEvaluateMatchesImagesCorruptedByHand corrupts every image as the
// documentation says (a generator seeded by the cell's seed and the
// example's index), classifies it alone, and compares the counts with
// Evaluate's, for two batch sizes.
func TestEvaluateMatchesImagesCorruptedByHand(t *testing.T) {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Open("shapes:test?size=16&n=40")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Corruptions: []string{"salt-pepper", "gaussian"}, Severities: []int{5, 1}, Seed: 7}
	info := ds.Info()
	nn.SetTraining(m, false)
	var ex data.Example
	var want []int
	for _, name := range cfg.Corruptions {
		c, _ := Get(name)
		for _, s := range cfg.Severities {
			correct := 0
			for i := range ds.Len() {
				if err := ds.Get(i, &ex); err != nil {
					t.Fatal(err)
				}
				img := append([]float32(nil), ex.Image...)
				c.Apply(img, info.Channels, info.Height, info.Width, s, rand.New(rand.NewPCG(cellSeed(7, name, s), uint64(i))))
				tp := autograd.NewTape()
				logits := m.Forward(tp.Input(tensor.FromSlice(img, 1, info.Channels, info.Height, info.Width)))
				if logits.Value.ArgMax(1)[0] == ex.Label {
					correct++
				}
			}
			want = append(want, correct)
		}
	}
	nn.SetTraining(m, true)
	for _, batch := range []int{0, 7} {
		cfg.BatchSize = batch
		rep, err := Evaluate(context.Background(), m, ds, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.N != 40 || len(rep.Results) != 4 || !m.Core().Training() {
			t.Fatalf("report %+v", rep)
		}
		for k, r := range rep.Results {
			if r.Corruption != cfg.Corruptions[k/2] || r.Severity != cfg.Severities[k%2] || r.Correct != want[k] || r.Accuracy != float64(want[k])/40 {
				t.Errorf("batch %d: result %d is %+v, want %d correct", batch, k, r, want[k])
			}
		}
		if got := rep.Mean("gaussian"); got != (rep.Results[2].Accuracy+rep.Results[3].Accuracy)/2 {
			t.Errorf("mean %v", got)
		}
		if a, ok := rep.Accuracy("salt-pepper", 1); !ok || a != rep.Results[1].Accuracy {
			t.Errorf("Accuracy(salt-pepper, 1) = %v, %v", a, ok)
		}
		if !math.IsNaN(rep.Mean("fog")) {
			t.Error("the mean of a corruption not run must be NaN")
		}
	}
}

func TestCellSeedIsTheDocumentedHash(t *testing.T) {
	h := fnv.New64a()
	h.Write([]byte("12/noise/uniform/3"))
	if got := cellSeed(12, "uniform", 3); got != h.Sum64() {
		t.Fatalf("cellSeed = %x, want FNV-1a of 12/noise/uniform/3 = %x", got, h.Sum64())
	}
}

func TestEvaluateErrors(t *testing.T) {
	m, _ := models.New("smallcnn", models.Options{Width: 4})
	ds, _ := data.Open("shapes:test?size=16&n=4")
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no corruptions"},
		{Config{Corruptions: []string{"fog"}}, `unknown corruption "fog"`},
		{Config{Corruptions: []string{"uniform", "uniform"}}, "listed twice"},
		{Config{Corruptions: []string{"uniform"}, Severities: []int{}}, "no severities"},
		{Config{Corruptions: []string{"uniform"}, Severities: []int{6}}, "severity 6"},
		{Config{Corruptions: []string{"uniform"}, Severities: []int{2, 2}}, "severity 2 is listed twice"},
		{Config{Corruptions: []string{"uniform"}, BatchSize: -3}, "batch size -3"},
	} {
		if _, err := Evaluate(context.Background(), m, ds, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}
