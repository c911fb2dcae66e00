package train

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
)

func smallConfig() Config {
	return Config{
		Data: "shapes:train?n=192", Eval: "shapes:test?n=64",
		Arch: "smallcnn", Model: modelOptsWidth(8),
		Epochs: 3, BatchSize: 32, Seed: 5,
		Augment: AugmentConfig{CropPadding: 2, Flip: true},
	}
}

func modelOptsWidth(w int) models.Options { return models.Options{Width: w} }

// TestResumeIsBitIdentical kills a run after one epoch (StopAfterEpochs),
// resumes it, and compares everything with an uninterrupted run.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, regime := range []RegimeConfig{{Name: "standard"}, {Name: "noise", Noise: "salt-pepper,uniform"}} {
		t.Run(regime.Name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Regime = regime
			ctx := context.Background()
			var log bytes.Buffer
			whole := t.TempDir()
			a, err := Run(ctx, cfg, Options{Out: whole, Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			split := t.TempDir()
			part, err := Run(ctx, cfg, Options{Out: split, Log: &log, StopAfterEpochs: 1})
			if err != nil {
				t.Fatal(err)
			}
			if part.Complete || len(part.History) != 1 {
				t.Fatalf("interrupted run: complete=%v after %d epochs, want false after 1", part.Complete, len(part.History))
			}
			if _, err := os.Stat(filepath.Join(split, ModelFile)); err == nil {
				t.Fatal("an interrupted run must not write the final model")
			}
			b, err := Run(ctx, cfg, Options{Out: split, Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			if b.ResumedAt != 1 || !strings.Contains(log.String(), "resuming") {
				t.Fatalf("second call resumed at %d, want 1", b.ResumedAt)
			}
			for i := range a.History {
				ha, hb := a.History[i], b.History[i]
				if ha.TrainLoss != hb.TrainLoss || ha.TrainAcc != hb.TrainAcc || *ha.EvalAcc != *hb.EvalAcc || *ha.EvalLoss != *hb.EvalLoss {
					t.Fatalf("epoch %d differs after resuming: %+v vs %+v", i+1, ha, hb)
				}
			}
			ma, _, err := modelio.Load(a.ModelPath)
			if err != nil {
				t.Fatal(err)
			}
			mb, _, err := modelio.Load(b.ModelPath)
			if err != nil {
				t.Fatal(err)
			}
			sa, sb := nn.StateDict(ma), nn.StateDict(mb)
			for k, v := range sa {
				for i, x := range v.Data() {
					if sb[k].Data()[i] != x {
						t.Fatalf("%s[%d]: %g uninterrupted, %g resumed", k, i, x, sb[k].Data()[i])
					}
				}
			}
			// A third call finds the run complete and changes nothing.
			c, err := Run(ctx, cfg, Options{Out: split, Log: &log})
			if err != nil || c.ResumedAt != cfg.Epochs {
				t.Fatalf("rerun of a finished run: resumed at %d, err %v", c.ResumedAt, err)
			}
		})
	}
}

func TestMetricsAndModelFile(t *testing.T) {
	cfg := smallConfig()
	cfg.Epochs = 2
	dir := t.TempDir()
	res, err := Run(context.Background(), cfg, Options{Out: dir, Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(lines), "\n"); n != 2 || !strings.Contains(string(lines), `"eval_accuracy"`) {
		t.Fatalf("metrics.jsonl has %d lines:\n%s", n, lines)
	}
	_, meta, err := modelio.Load(res.ModelPath)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Arch != "smallcnn" || len(meta.Classes) != 10 || meta.Training.Regime != "standard" || meta.Provenance.Epochs != 2 {
		t.Fatalf("model metadata incomplete: %+v", meta)
	}
	// Another configuration in the same directory is refused.
	cfg.Seed++
	if _, err := Run(context.Background(), cfg, Options{Out: dir, Log: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Fatalf("want a refusal to mix configurations, got %v", err)
	}
}

func TestNaNLossStopsClearly(t *testing.T) {
	cfg := smallConfig()
	cfg.Schedule.LR = 1e30
	cfg.Schedule.Kind = "constant"
	_, err := Run(context.Background(), cfg, Options{Out: t.TempDir(), Log: &bytes.Buffer{}})
	if err == nil || !(strings.Contains(err.Error(), "NaN") || strings.Contains(err.Error(), "Inf")) || !strings.Contains(err.Error(), "lower the learning rate") {
		t.Fatalf("want a clear NaN/Inf stop, got %v", err)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Arch = "nope" }, "nope"},
		{func(c *Config) { c.Regime.Name = "magic" }, "unknown regime"},
		{func(c *Config) { c.Epochs = -1 }, "epochs"},
		{func(c *Config) { c.Optimizer.Kind = "lbfgs" }, "lbfgs"},
		{func(c *Config) { c.Regime = RegimeConfig{Name: "noise", Noise: "fog"} }, "fog"},
		{func(c *Config) { c.Regime = RegimeConfig{Name: "noise", Noise: "uniform", Severities: []int{9}} }, "severity 9"},
		{func(c *Config) { c.Data = "shapes:nosuchsplit" }, "nosuchsplit"},
		{func(c *Config) { c.Eval = "mnist:test?n=10" }, "eval set"},
	} {
		cfg := smallConfig()
		c.mod(&cfg)
		_, err := Run(context.Background(), cfg, Options{Out: t.TempDir(), Log: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error mentioning %q, got %v", c.want, err)
		}
	}
}

// separable is a synthetic 28x28 grey problem: class k is a bright 7x7
// bar at one of 10 positions plus noise; offset selects disjoint examples.
type separable struct{ n, offset int }

func (s separable) Len() int { return s.n }
func (s separable) Info() data.Info {
	cl := make([]string, 10)
	for i := range cl {
		cl[i] = fmt.Sprint(i)
	}
	return data.Info{Name: "separable", Classes: cl, Channels: 1, Height: 28, Width: 28}
}
func (s separable) Get(i int, ex *data.Example) error {
	rng := rand.New(rand.NewPCG(uint64(i+s.offset), 99))
	ex.Label = i % 10
	if cap(ex.Image) < 28*28 {
		ex.Image = make([]float32, 28*28)
	}
	ex.Image = ex.Image[:28*28]
	y0, x0 := 3+(ex.Label/5)*14, 1+(ex.Label%5)*5
	for p := range ex.Image {
		ex.Image[p] = 0.3 * float32(rng.Float64())
		if y, x := p/28, p%28; y >= y0 && y < y0+7 && x >= x0 && x < x0+5 {
			ex.Image[p] += 0.6
		}
	}
	return nil
}

// TestMNISTCNNLearnsSeparableProblem: Madry's MNIST CNN, trained by the
// standard loop, separates a synthetic problem (the bar: >= 95%).
func TestMNISTCNNLearnsSeparableProblem(t *testing.T) {
	cfg := Config{Data: "separable", Eval: "separable-test", Arch: "madry-mnist", Epochs: 2, BatchSize: 32,
		Schedule: optim.ScheduleConfig{Kind: "constant", LR: 0.02}, Seed: 1}
	res, err := RunOn(context.Background(), cfg, separable{640, 0}, separable{200, 1 << 20}, Options{Out: t.TempDir(), Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if acc := *res.History[len(res.History)-1].EvalAcc; acc < 0.95 {
		t.Fatalf("accuracy %.3f on the separable problem, want >= 0.95", acc)
	}
}

// TestEmptySetsAreErrors: training on nothing, or evaluating on nothing,
// would give metrics made of no data.
func TestEmptySetsAreErrors(t *testing.T) {
	cfg := Config{Data: "separable", Eval: "separable-eval", Arch: "smallcnn", Model: models.Options{Width: 4}, Epochs: 1, BatchSize: 16}
	for _, c := range []struct {
		train, eval data.Dataset
		want        string
	}{
		{separable{0, 0}, nil, "training set separable is empty"},
		{separable{64, 0}, separable{0, 1 << 20}, "eval set separable-eval is empty"},
	} {
		_, err := RunOn(context.Background(), cfg, c.train, c.eval, Options{Out: t.TempDir(), Log: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
