package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/robustlab/robustlab/accuracy"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/internal/version"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
)

// Files a run writes in its output directory.
const (
	ConfigFile     = "config.json"
	CheckpointFile = "checkpoint.safetensors"
	MetricsFile    = "metrics.jsonl"
	ModelFile      = "model.safetensors"
)

// Options are how a run reports, not what it computes (they do not enter
// the Config and do not change results).
type Options struct {
	// Out is the run's directory; it is created if missing.
	Out string
	// Log receives progress and messages (nil: standard error).
	Log io.Writer
	// Workers is the number of data-loading goroutines (0: all cores).
	Workers int
	// StopAfterEpochs, if positive, returns after that many epochs of this
	// call as if killed (tests of resumption use it).
	StopAfterEpochs int
}

// Result is a finished run.
type Result struct {
	// ModelPath is the trained model file.
	ModelPath string
	// History holds every epoch's metrics.
	History []EpochMetrics
	// ResumedAt is the number of epochs the run found done on disk.
	ResumedAt int
	// Stopped says why training ended early ("" if it ran every epoch).
	Stopped string
	// Complete is false when StopAfterEpochs interrupted the run.
	Complete bool
}

// Run trains cfg in opt.Out, resuming from the checkpoint there if a run
// with the same configuration was interrupted, and returns when the model
// file is written.
func Run(ctx context.Context, cfg Config, opt Options) (*Result, error) {
	log := opt.Log
	if log == nil {
		log = os.Stderr
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	trainSet, err := data.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	var evalSet data.Dataset
	if cfg.Eval != "" {
		if evalSet, err = data.Open(cfg.Eval); err != nil {
			return nil, err
		}
	}
	return RunOn(ctx, cfg, trainSet, evalSet, opt)
}

// RunOn is Run on data sets already open (cfg.Data and cfg.Eval then only
// name them); evalSet may be nil.
func RunOn(ctx context.Context, cfg Config, trainSet, evalSet data.Dataset, opt Options) (*Result, error) {
	log := opt.Log
	if log == nil {
		log = os.Stderr
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	info := trainSet.Info()
	// An empty set would train nothing, or be evaluated on nothing, and
	// the metrics would be numbers made of no data.
	if trainSet.Len() == 0 {
		return nil, fmt.Errorf("train: training set %s is empty", cfg.Data)
	}
	if evalSet != nil && evalSet.Len() == 0 {
		return nil, fmt.Errorf("train: eval set %s is empty", cfg.Eval)
	}
	if cfg.Model.Classes == 0 {
		cfg.Model.Classes = len(info.Classes)
	}
	if cfg.Model.InChannels == 0 {
		cfg.Model.InChannels = info.Channels
	}
	if cfg.Model.Seed == 0 {
		cfg.Model.Seed = cfg.Seed
	}
	inShape := []int{info.Channels, info.Height, info.Width}
	if err := models.CheckInput(cfg.Arch, cfg.Model, inShape); err != nil {
		return nil, fmt.Errorf("train: %s on %s: %w", cfg.Arch, cfg.Data, err)
	}
	if evalSet != nil {
		ei := evalSet.Info()
		if ei.Channels != info.Channels || ei.Height != info.Height || ei.Width != info.Width || len(ei.Classes) != len(info.Classes) {
			return nil, fmt.Errorf("train: eval set %s has %d classes of %dx%dx%d images, training set %s has %d of %dx%dx%d",
				cfg.Eval, len(ei.Classes), ei.Channels, ei.Height, ei.Width, cfg.Data, len(info.Classes), info.Channels, info.Height, info.Width)
		}
		evalSet = data.First(evalSet, cfg.EvalLimit)
	}
	regime, err := newRegime(cfg.Regime)
	if err != nil {
		return nil, err
	}
	sched, err := cfg.Schedule.Build()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := claimDir(opt.Out, &cfg); err != nil {
		return nil, err
	}

	model, err := models.New(cfg.Arch, cfg.Model)
	if err != nil {
		return nil, err
	}
	optimizer, err := newOptimizer(model, cfg.Optimizer)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, 0x7261696e) // the run's one stream: regime draws and dropout
	rng := rand.New(pcg)
	nn.SetRNG(model, rng)

	ckptPath := filepath.Join(opt.Out, CheckpointFile)
	var ck checkpoint
	res := &Result{ModelPath: filepath.Join(opt.Out, ModelFile)}
	if _, err := os.Stat(ckptPath); err == nil {
		if ck, err = loadCheckpoint(ckptPath, model, optimizer, pcg); err != nil {
			return nil, err
		}
		res.ResumedAt = ck.epochs
		if ck.epochs > 0 {
			fmt.Fprintf(log, "train: resuming %s after epoch %d of %d\n", opt.Out, ck.epochs, cfg.Epochs)
		}
	} else if err := saveCheckpoint(ckptPath, model, optimizer, pcg, ck); err != nil {
		return nil, err
	}

	var tfs []data.Transform
	if p := cfg.Augment.CropPadding; p > 0 {
		tfs = append(tfs, data.RandomCrop{Height: info.Height, Width: info.Width, Padding: p})
	}
	if cfg.Augment.Flip {
		tfs = append(tfs, data.HorizontalFlip{P: 0.5})
	}
	loader, err := data.NewLoader(trainSet, data.LoaderOptions{
		BatchSize: cfg.BatchSize, Shuffle: true, Seed: cfg.Seed, DropLast: trainSet.Len() >= cfg.BatchSize,
		Workers: opt.Workers, Transforms: tfs,
	})
	if err != nil {
		return nil, err
	}
	var held *data.Batch
	if _, wants := regime.(EpochHook); wants {
		src := evalSet
		if src == nil {
			src = trainSet
		}
		if held, err = firstBatch(ctx, src, cfg.BatchSize); err != nil {
			return nil, err
		}
	}

	tp := autograd.NewTape()
	steps := loader.Batches()
	ran := 0
	for epoch := ck.epochs; epoch < cfg.Epochs && ck.stopped == ""; epoch++ {
		if opt.StopAfterEpochs > 0 && ran == opt.StopAfterEpochs {
			res.History = ck.history
			return res, nil
		}
		m, err := trainEpoch(ctx, tp, model, optimizer, sched, regime, loader, rng, &cfg, epoch, steps, log)
		if err != nil {
			return nil, err
		}
		if evalSet != nil {
			r, err := accuracy.Evaluate(ctx, model, evalSet, accuracy.Config{BatchSize: 256})
			if err != nil {
				return nil, err
			}
			m.EvalLoss, m.EvalAcc = &r.Loss, &r.Accuracy
			fmt.Fprintf(log, "train: epoch %d/%d eval accuracy %.4f loss %.4f\n", epoch+1, cfg.Epochs, r.Accuracy, r.Loss)
		}
		if hook, ok := regime.(EpochHook); ok {
			nn.SetTraining(model, false)
			v, err := hook.AfterEpoch(&EpochEnd{Model: model, Epoch: epoch, Held: held, RNG: rng, Config: &cfg, History: ck.history})
			nn.SetTraining(model, true)
			if err != nil {
				return nil, err
			}
			m.Extra = v.Metrics
			if v.Rollback {
				m.RolledBack, m.Message = true, v.Message
				fmt.Fprintf(log, "train: epoch %d: %s; rolling back to the model of epoch %d and stopping\n", epoch+1, v.Message, ck.epochs)
				hist := append(ck.history, m)
				if ck, err = loadCheckpoint(ckptPath, model, optimizer, pcg); err != nil {
					return nil, err
				}
				ck.history, ck.stopped = hist, v.Message
				if err := saveCheckpoint(ckptPath, model, optimizer, pcg, ck); err != nil {
					return nil, err
				}
				if err := writeMetrics(filepath.Join(opt.Out, MetricsFile), ck.history); err != nil {
					return nil, err
				}
				break
			}
		}
		ck.epochs = epoch + 1
		ck.history = append(ck.history, m)
		if err := saveCheckpoint(ckptPath, model, optimizer, pcg, ck); err != nil {
			return nil, err
		}
		if err := writeMetrics(filepath.Join(opt.Out, MetricsFile), ck.history); err != nil {
			return nil, err
		}
		ran++
	}
	res.History, res.Stopped, res.Complete = ck.history, ck.stopped, true
	if _, err := os.Stat(res.ModelPath); err == nil && res.ResumedAt == ck.epochs {
		return res, nil // finished before: nothing new to write
	}
	return res, modelio.Save(res.ModelPath, model, modelMeta(&cfg, info, inShape, ck))
}

// claimDir writes the run's configuration to dir, or checks that the one
// there is the same, so a resumed run never mixes two configurations.
func claimDir(dir string, cfg *Config) error {
	path := filepath.Join(dir, ConfigFile)
	want := cfg.JSON()
	got, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return atomicfile.WriteFile(path, want)
	case err != nil:
		return fmt.Errorf("train: %w", err)
	case !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)):
		return fmt.Errorf("train: %s holds a run with another configuration (see %s); choose another output directory or delete it", dir, path)
	}
	return nil
}

func newOptimizer(m nn.Module, c OptimizerConfig) (optim.Optimizer, error) {
	params := nn.Parameters(m)
	var noDecay optim.NoDecay
	if c.NoDecayNormBias {
		noDecay = optim.NormAndBias
	}
	switch c.Kind {
	case "sgd":
		return optim.NewSGD(params, optim.SGDConfig{Momentum: c.Momentum, Nesterov: c.Nesterov, WeightDecay: c.WeightDecay, NoDecay: noDecay})
	case "adam", "adamw":
		ac := optim.DefaultAdamConfig()
		ac.WeightDecay, ac.NoDecay = c.WeightDecay, noDecay
		if c.Kind == "adam" {
			return optim.NewAdam(params, ac)
		}
		return optim.NewAdamW(params, ac)
	}
	return nil, fmt.Errorf("train: unknown optimizer %q", c.Kind)
}

func trainEpoch(ctx context.Context, tp *autograd.Tape, model nn.Module, opt optim.Optimizer, sched optim.Schedule,
	regime Regime, loader *data.Loader, rng *rand.Rand, cfg *Config, epoch, steps int, log io.Writer) (EpochMetrics, error) {
	nn.SetTraining(model, true)
	ep := loader.Epoch(ctx, epoch)
	defer ep.Close()
	bar := progress.New(log, fmt.Sprintf("train epoch %d/%d", epoch+1, cfg.Epochs), steps*cfg.BatchSize, "img")
	start := time.Now()
	var lossSum float64
	var correct, n int
	var lr float64
	for it := 0; ; it++ {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return EpochMetrics{}, err
		}
		tp.Reset()
		opt.ZeroGrad()
		loss, logits, err := regime.Loss(&Step{Tape: tp, Model: model, Batch: b, RNG: rng, Epoch: epoch, Iter: it, Config: cfg})
		if err != nil {
			return EpochMetrics{}, err
		}
		lv := loss.Value.Item()
		lr = sched(epoch, it, steps)
		if math.IsNaN(float64(lv)) || math.IsInf(float64(lv), 0) {
			return EpochMetrics{}, fmt.Errorf("train: the loss is %v at epoch %d, batch %d (learning rate %g): training stopped; "+
				"the checkpoint holds the model after epoch %d; lower the learning rate or check the data", lv, epoch+1, it+1, lr, epoch)
		}
		tp.Backward(loss)
		opt.Step(lr)
		k := len(b.Labels)
		lossSum += float64(lv) * float64(k)
		correct += countCorrect(logits, b.Labels)
		n += k
		b.Release()
		bar.Add(k, fmt.Sprintf("loss %.4f acc %.3f", lossSum/float64(n), float64(correct)/float64(n)))
	}
	el := time.Since(start).Seconds()
	m := EpochMetrics{Epoch: epoch + 1, LR: lr, Seconds: el}
	if n > 0 {
		m.TrainLoss, m.TrainAcc, m.ImagesPerS = lossSum/float64(n), float64(correct)/float64(n), float64(n)/el
	}
	bar.Finish("")
	return m, nil
}

// firstBatch reads the first n examples of ds (in index order) as a batch.
func firstBatch(ctx context.Context, ds data.Dataset, n int) (*data.Batch, error) {
	l, err := data.NewLoader(data.First(ds, n), data.LoaderOptions{BatchSize: n})
	if err != nil {
		return nil, err
	}
	ep := l.Epoch(ctx, 0)
	defer ep.Close()
	b, err := ep.Next()
	if err != nil {
		return nil, err
	}
	// The batch outlives the epoch: keep its own copy of the images.
	cp := *b
	cp.Images = b.Images.Clone()
	if b.Masks != nil {
		cp.Masks = b.Masks.Clone()
	}
	cp.Labels = append([]int(nil), b.Labels...)
	cp.Indices = append([]int(nil), b.Indices...)
	cp.Factors = nil
	b.Release()
	return &cp, nil
}

func modelMeta(cfg *Config, info data.Info, inShape []int, ck checkpoint) modelio.Meta {
	metrics := map[string]float64{}
	if k := len(ck.history); k > 0 {
		last := ck.history[k-1]
		if last.RolledBack && k > 1 {
			last = ck.history[k-2]
		}
		metrics["train_loss"], metrics["train_accuracy"] = last.TrainLoss, last.TrainAcc
		if last.EvalAcc != nil {
			metrics["eval_accuracy"], metrics["eval_loss"] = *last.EvalAcc, *last.EvalLoss
		}
	}
	return modelio.Meta{
		Arch: cfg.Arch, Options: cfg.Model, InputShape: inShape, Classes: info.Classes,
		Training: &modelio.Training{Regime: cfg.Regime.Name, Hyperparameters: cfg.JSON()},
		Provenance: modelio.Provenance{
			Version: version.Version, Data: cfg.Data, Seed: cfg.Seed, Time: time.Now().UTC(),
			Epochs: ck.epochs, Metrics: metrics,
		},
	}
}

// countCorrect counts the rows of logits [N,K] whose argmax is the label.
func countCorrect(logits *autograd.Var, labels []int) int {
	c := 0
	for i, p := range logits.Value.ArgMax(1) {
		if p == labels[i] {
			c++
		}
	}
	return c
}
