package train

import (
	"bytes"
	"context"
	"fmt"
	"github.com/robustlab/robustlab/accuracy"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
	"github.com/robustlab/robustlab/tensor"
)

var adversarialRegimes = []RegimeConfig{
	{Name: "pgd", Eps: 8.0 / 255, Steps: 2},
	{Name: "fgsm-rs", Eps: 8.0 / 255, CheckOverfit: true},
	{Name: "trades", Eps: 8.0 / 255, Steps: 2, Beta: 6},
}

// TestAdversarialRegimesResume: each adversarial regime, killed after one
// epoch and resumed, ends bit-identical to an uninterrupted run (their
// random starts come from the checkpointed generator).
func TestAdversarialRegimesResume(t *testing.T) {
	for _, regime := range adversarialRegimes {
		t.Run(regime.Name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Data, cfg.Eval, cfg.Epochs = "shapes:train?n=96", "shapes:test?n=32", 2
			cfg.Regime = regime
			ctx, log := context.Background(), &bytes.Buffer{}
			a, err := Run(ctx, cfg, Options{Out: t.TempDir(), Log: log})
			if err != nil {
				t.Fatal(err)
			}
			split := t.TempDir()
			if _, err := Run(ctx, cfg, Options{Out: split, Log: log, StopAfterEpochs: 1}); err != nil {
				t.Fatal(err)
			}
			b, err := Run(ctx, cfg, Options{Out: split, Log: log})
			if err != nil {
				t.Fatal(err)
			}
			if b.ResumedAt != 1 {
				t.Fatalf("resumed at %d, want 1", b.ResumedAt)
			}
			for i := range a.History {
				ha, hb := a.History[i], b.History[i]
				if ha.TrainLoss != hb.TrainLoss || ha.TrainAcc != hb.TrainAcc || *ha.EvalAcc != *hb.EvalAcc {
					t.Fatalf("epoch %d differs after resuming: %+v vs %+v", i+1, ha, hb)
				}
				if regime.CheckOverfit && ha.Extra[HeldPGDAccuracy] != hb.Extra[HeldPGDAccuracy] {
					t.Fatalf("epoch %d: held-out PGD accuracy %v vs %v", i+1, ha.Extra, hb.Extra)
				}
			}
			if regime.CheckOverfit {
				if _, ok := a.History[0].Extra[HeldPGDAccuracy]; !ok {
					t.Fatalf("no %s metric with --check-overfit: %+v", HeldPGDAccuracy, a.History[0])
				}
			}
			_, meta, err := modelio.Load(a.ModelPath)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Training.Regime != regime.Name || !strings.Contains(string(meta.Training.Hyperparameters), `"eps"`) {
				t.Fatalf("model file records regime %q, hyperparameters %s", meta.Training.Regime, meta.Training.Hyperparameters)
			}
		})
	}
}

// patterns is a synthetic 8x8 grey problem that a robust classifier
// exists for: class k is a fixed +-1 pattern at contrast 0.25 around grey
// 0.5 plus uniform noise of +-0.1, so a linear classifier separates the
// classes with a wide Linf margin; offset selects disjoint examples.
type patterns struct{ n, offset int }

func (s patterns) Len() int { return s.n }
func (s patterns) Info() data.Info {
	cl := make([]string, 10)
	for i := range cl {
		cl[i] = fmt.Sprint(i)
	}
	return data.Info{Name: "patterns", Classes: cl, Channels: 1, Height: 8, Width: 8}
}
func (s patterns) Get(i int, ex *data.Example) error {
	rng := rand.New(rand.NewPCG(uint64(i+s.offset), 7))
	ex.Label = i % 10
	if cap(ex.Image) < 64 {
		ex.Image = make([]float32, 64)
	}
	ex.Image = ex.Image[:64]
	sign := rand.New(rand.NewPCG(uint64(ex.Label), 8))
	for p := range ex.Image {
		ex.Image[p] = float32(0.5 + 0.25*float64(2*sign.IntN(2)-1) + 0.2*(rng.Float64()-0.5))
	}
	return nil
}

// pgdAccuracy is the clean accuracy of m and its accuracy under PGD-10 at
// eps on ds.
func pgdAccuracy(t *testing.T, m nn.Module, ds data.Dataset, eps float64) (clean, robust float64) {
	t.Helper()
	n, in := ds.Len(), ds.Info()
	d := in.Channels * in.Height * in.Width
	x := tensor.New(n, in.Channels, in.Height, in.Width)
	labels := make([]int, n)
	var e data.Example
	for i := 0; i < n; i++ {
		if err := ds.Get(i, &e); err != nil {
			t.Fatal(err)
		}
		copy(x.Data()[i*d:(i+1)*d], e.Image)
		labels[i] = e.Label
	}
	adv, err := attack.PGD(m, x, labels, attack.PGDConfig{Eps: eps, Steps: 10, RandomStart: true, EarlyStop: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	count := func(img *tensor.Tensor) float64 {
		nn.SetTraining(m, false)
		tp := autograd.NewTape()
		return float64(countCorrect(nn.Call(m, tp.Input(img)), labels)) / float64(n)
	}
	return count(x), count(adv)
}

// TestAdversarialTrainingBuysRobustness trains the same small CNN on the
// pattern problem with each regime and attacks it: the adversarially
// trained models keep far more accuracy under PGD than the standard one.
func TestAdversarialTrainingBuysRobustness(t *testing.T) {
	const eps = 0.12
	base := Config{Data: "patterns", Arch: "smallcnn", Model: modelOptsWidth(8), Epochs: 4, BatchSize: 32,
		Optimizer: OptimizerConfig{Kind: "adam"}, Schedule: optim.ScheduleConfig{Kind: "constant", LR: 3e-3}, Seed: 2}
	acc := map[string][2]float64{}
	for _, regime := range []RegimeConfig{{Name: "standard"}, {Name: "pgd", Eps: eps, Steps: 3},
		{Name: "fgsm-rs", Eps: eps}, {Name: "trades", Eps: eps, Steps: 3, Beta: 3}} {
		cfg := base
		cfg.Regime = regime
		res, err := RunOn(context.Background(), cfg, patterns{640, 0}, nil, Options{Out: t.TempDir(), Log: &bytes.Buffer{}})
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := modelio.Load(res.ModelPath)
		if err != nil {
			t.Fatal(err)
		}
		clean, robust := pgdAccuracy(t, m, patterns{300, 1 << 20}, eps)
		acc[regime.Name] = [2]float64{clean, robust}
		t.Logf("%-8s clean %.3f, PGD-10 at eps %g %.3f", regime.Name, clean, eps, robust)
	}
	for _, r := range []string{"pgd", "fgsm-rs", "trades"} {
		if acc[r][1] < acc["standard"][1]+0.5 || acc[r][0] < 0.9 {
			t.Errorf("%s: clean %.3f, robust %.3f; standard training robust %.3f", r, acc[r][0], acc[r][1], acc["standard"][1])
		}
	}
}

// sabotaged is fgsm-rs whose model is wrecked (its last layer negated)
// just before the check of epoch 2: a stand-in for catastrophic
// overfitting that the real detector must catch, and the loop must undo.
type sabotaged struct{ *fgsmRS }

func (s sabotaged) AfterEpoch(e *EpochEnd) (Verdict, error) {
	if e.Epoch == 1 {
		for name, v := range nn.StateDict(e.Model) {
			if strings.HasPrefix(name, "fc.") {
				v.ScaleInPlace(-1)
			}
		}
	}
	return s.fgsmRS.AfterEpoch(e)
}

func init() {
	RegisterRegime("test-sabotaged-fgsm-rs", func(c RegimeConfig) (Regime, error) {
		c.Name = "fgsm-rs"
		r, err := newFGSMRS(c)
		if err != nil {
			return nil, err
		}
		return sabotaged{r.(*fgsmRS)}, nil
	})
}

// TestCatastrophicOverfittingRollsBack: when held-out PGD accuracy
// collapses, training stops, says why, and the model written is the one
// of the epoch before, unharmed.
func TestCatastrophicOverfittingRollsBack(t *testing.T) {
	cfg := Config{Data: "patterns", Eval: "patterns-test", Arch: "smallcnn", Model: modelOptsWidth(8), Epochs: 4, BatchSize: 32,
		Optimizer: OptimizerConfig{Kind: "adam"}, Schedule: optim.ScheduleConfig{Kind: "constant", LR: 3e-3}, Seed: 3,
		Regime: RegimeConfig{Name: "test-sabotaged-fgsm-rs", Eps: 0.1, CheckOverfit: true}}
	var log bytes.Buffer
	dir := t.TempDir()
	res, err := RunOn(context.Background(), cfg, patterns{640, 0}, patterns{96, 1 << 20}, Options{Out: dir, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Stopped, "catastrophic overfitting") || !strings.Contains(log.String(), "rolling back") {
		t.Fatalf("stopped %q; log:\n%s", res.Stopped, log.String())
	}
	if len(res.History) != 2 || !res.History[1].RolledBack || res.History[0].RolledBack {
		t.Fatalf("history %+v, want epoch 1 kept and epoch 2 rolled back", res.History)
	}
	first := res.History[0].Extra[HeldPGDAccuracy]
	if first < 0.5 || res.History[1].Extra[HeldPGDAccuracy] > first-overfitDrop {
		t.Fatalf("held-out PGD accuracy %v then %v", first, res.History[1].Extra[HeldPGDAccuracy])
	}
	m, meta, err := modelio.Load(res.ModelPath)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Provenance.Epochs != 1 {
		t.Errorf("model file says %d epochs, want the 1 kept", meta.Provenance.Epochs)
	}
	got, err := accuracy.Evaluate(context.Background(), m, patterns{96, 1 << 20}, accuracy.Config{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if got.Accuracy != *res.History[0].EvalAcc {
		t.Errorf("the model written has accuracy %v, epoch 1's was %v", got.Accuracy, *res.History[0].EvalAcc)
	}
	lines, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if !strings.Contains(string(lines), `"rolled_back":true`) {
		t.Errorf("metrics.jsonl does not record the rollback:\n%s", lines)
	}
}

// TestAdversarialRegimeSettings: missing or meaningless settings are
// refused with a message that says which.
func TestAdversarialRegimeSettings(t *testing.T) {
	for _, c := range []struct {
		r    RegimeConfig
		want string
	}{
		{RegimeConfig{Name: "pgd", Steps: 3}, "--eps"},
		{RegimeConfig{Name: "pgd", Eps: -0.1, Steps: 3}, "--eps"},
		{RegimeConfig{Name: "pgd", Eps: 0.1}, "--steps"},
		{RegimeConfig{Name: "pgd", Eps: 0.1, Steps: 3, Alpha: -1}, "--alpha"},
		{RegimeConfig{Name: "pgd", Eps: 0.1, Steps: 3, Norm: "l1"}, "norm"},
		{RegimeConfig{Name: "pgd", Eps: 0.1, Steps: 3, CheckOverfit: true}, "fgsm-rs"},
		{RegimeConfig{Name: "fgsm-rs", Eps: 0.1, Steps: 3}, "--steps"},
		{RegimeConfig{Name: "fgsm-rs", Eps: 0.1, Beta: 1}, "--beta"},
		{RegimeConfig{Name: "trades", Eps: 0.1, Steps: 3}, "--beta"},
		{RegimeConfig{Name: "trades", Eps: 0.1, Beta: 6}, "--steps"},
		{RegimeConfig{Name: "trades", Eps: 0.1, Steps: 3, Beta: 6, Noise: "uniform"}, "noise"},
	} {
		_, err := newRegime(c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.r, err, c.want)
		}
	}
}
