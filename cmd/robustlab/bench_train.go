package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/internal/benchpeer"
	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
	"github.com/robustlab/robustlab/tensor"
)

// trainBench holds what one measurement of bench train needs; the model,
// its optimizer and the batch are built once and reused across rounds, as
// the PyTorch peer reuses its own.
type trainBench struct {
	model  nn.Module
	opt    optim.Optimizer
	x      *tensor.Tensor
	labels []int
	tp     *autograd.Tape
	batch  int
}

func newTrainBench(batch int) (*trainBench, error) {
	// Shortcut B (1x1 projections) is what bench/torch_resnet20.py builds.
	m, err := models.New("resnet20", models.Options{Shortcut: "B", Seed: 1})
	if err != nil {
		return nil, err
	}
	opt, err := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{Momentum: 0.9})
	if err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(2)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return &trainBench{model: m, opt: opt, x: tensor.RandU(rng, 0, 1, batch, 3, 32, 32), labels: labels,
		tp: autograd.NewTape(), batch: batch}, nil
}

// rate times step as the peer does: 3 warm-up calls, then 10 timed.
func (b *trainBench) rate(step func()) float64 {
	for i := 0; i < 3; i++ {
		step()
	}
	t := time.Now()
	for i := 0; i < 10; i++ {
		step()
	}
	return float64(b.batch*10) / time.Since(t).Seconds()
}

func (b *trainBench) trainStep() {
	b.tp.Reset()
	b.opt.ZeroGrad()
	loss := autograd.CrossEntropy(b.model.Forward(b.tp.Input(b.x)), b.labels, 0)
	b.tp.Backward(loss)
	b.opt.Step(0.01)
}

func (b *trainBench) inputGradStep() {
	b.tp.Reset()
	x := b.tp.Input(b.x)
	loss := autograd.CrossEntropy(b.model.Forward(x), b.labels, 0)
	b.tp.Backward(loss, x)
}

func (b *trainBench) inferenceStep() {
	b.tp.Reset()
	b.model.Forward(b.tp.Input(b.x))
}

// measure returns the three rates and the process's peak RSS after the
// training phase.
func (b *trainBench) measure() map[string]float64 {
	nn.SetTraining(b.model, true)
	tr := b.rate(b.trainStep)
	rss := peakRSSMB()
	nn.SetTraining(b.model, false)
	return map[string]float64{
		"train_img_s":       round1(tr),
		"input_grad_img_s":  round1(b.rate(b.inputGradStep)),
		"inference_img_s":   round1(b.rate(b.inferenceStep)),
		"train_peak_rss_mb": round1(rss),
	}
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux reports kilobytes
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func init() {
	var (
		peer    bool
		rounds  int
		python  string
		script  string
		threads int
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Time a ResNet-20 training step, input-gradient step and inference (batch 128)",
		Long: `Time CIFAR ResNet-20 (shortcut B, as bench/torch_resnet20.py) at batch 128
on random 32x32 inputs: a training step (forward, backward, SGD with
momentum), an input-gradient step (eval mode: the cost of one attack or
saliency step) and inference, each 3 warm-up iterations then 10 timed, as
images per second, and the process's peak RSS after training. Prints one JSON
line: {"train_img_s":..,"input_grad_img_s":..,"inference_img_s":..,"train_peak_rss_mb":..}.

With --peer it alternates with PyTorch (bench/torch_resnet20.py) for
--rounds rounds and prints the medians, min-max and ratios (above 1 means
robustlab is faster or leaner). Peak RSS is a process-wide maximum, so
robustlab's is that of its first round of training plus nothing the peer
does (it runs in its own process).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if threads > 0 {
				kernels.SetThreads(threads)
			}
			b, err := newTrainBench(128)
			if err != nil {
				return err
			}
			if !peer {
				return json.NewEncoder(os.Stdout).Encode(b.measure())
			}
			ours := func() (map[string]float64, error) { return b.measure(), nil }
			theirs := func() (map[string]float64, error) {
				rows, err := benchpeer.RunScript(context.Background(), python, script, []string{strconv.Itoa(kernels.Threads())}, nil, os.Stderr)
				if err != nil {
					return nil, err
				}
				return rows[0], nil
			}
			cs, err := benchpeer.Alternate(rounds, ours, theirs)
			if err != nil {
				return err
			}
			benchpeer.Table(os.Stderr, "pytorch", cs)
			enc := json.NewEncoder(os.Stdout)
			for _, c := range cs {
				if err := enc.Encode(c); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&peer, "peer", false, "alternate with the PyTorch peer and print ratios")
	f.IntVar(&rounds, "rounds", 3, "alternations with --peer")
	f.StringVar(&python, "python", benchpeer.Python(), "Python interpreter with torch, for --peer")
	f.StringVar(&script, "script", "bench/torch_resnet20.py", "the PyTorch peer script")
	f.IntVar(&threads, "threads", 0, "compute threads (0: all cores); the peer gets the same")
	benchCmd.AddCommand(cmd)
}
