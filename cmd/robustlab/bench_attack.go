package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/internal/benchpeer"
	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// attackBench is one bench attack workload: ResNet-20 in evaluation mode,
// a random batch and its labels, built once and attacked repeatedly.
type attackBench struct {
	model  nn.Module
	x      *tensor.Tensor
	labels []int
	steps  int
	reps   int
}

func newAttackBench(batch, steps, reps int) (*attackBench, error) {
	// The normalization the peer script applies inside its model.
	q := []float32{0.5, 0.5, 0.5}
	m, err := models.New("resnet20", models.Options{Mean: q, Std: []float32{0.25, 0.25, 0.25}, Seed: 1})
	if err != nil {
		return nil, err
	}
	nn.SetTraining(m, false)
	rng := tensor.NewRNG(2)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return &attackBench{model: m, x: tensor.RandU(rng, 0, 1, batch, 3, 32, 32), labels: labels, steps: steps, reps: reps}, nil
}

// measure runs one warm-up PGD attack, then reps timed ones (every example
// takes every step, as the peer's loop does), and returns images x steps
// per second.
func (b *attackBench) measure() (map[string]float64, error) {
	cfg := attack.PGDConfig{Eps: 8.0 / 255, Steps: b.steps, RandomStart: true, Seed: 3}
	if _, err := attack.PGD(b.model, b.x, b.labels, cfg); err != nil {
		return nil, err
	}
	t := time.Now()
	for i := 0; i < b.reps; i++ {
		if _, err := attack.PGD(b.model, b.x, b.labels, cfg); err != nil {
			return nil, err
		}
	}
	rate := float64(b.x.Dim(0)*b.steps*b.reps) / time.Since(t).Seconds()
	return map[string]float64{"pgd_steps_img_s": round1(rate)}, nil
}

func init() {
	var (
		peer               bool
		rounds, threads    int
		batch, steps, reps int
		python, script     string
	)
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "Time PGD on ResNet-20 (batch 128), alone or alternating with PyTorch",
		Long: `Time PGD (Linf, eps 8/255, random start, --steps steps of 2.5*eps/steps) on
CIFAR ResNet-20 (shortcut A) in evaluation mode, on a random batch of --batch
32x32 images: one warm-up attack, then --reps timed attacks in which every
image takes every step. Prints one JSON line {"pgd_steps_img_s":..}: images x
steps per second.

With --peer it alternates with the same loop in PyTorch (bench/torch_pgd.py,
parameters frozen so that only the input gradient is computed, as robustlab
does) for --rounds rounds, and prints the medians, min-max and the ratio
(above 1: robustlab is faster) as JSON on stdout and a table on stderr. The
peer gets the same number of threads.`,
		Example: `  robustlab bench attack
  robustlab bench attack --peer --rounds 5`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if batch < 1 || steps < 1 || reps < 1 || rounds < 1 {
				return fmt.Errorf("--batch, --steps, --reps and --rounds must be at least 1")
			}
			if threads > 0 {
				kernels.SetThreads(threads)
			}
			b, err := newAttackBench(batch, steps, reps)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(c.OutOrStdout())
			if !peer {
				m, err := b.measure()
				if err != nil {
					return err
				}
				return enc.Encode(m)
			}
			args := []string{strconv.Itoa(kernels.Threads()), strconv.Itoa(steps), strconv.Itoa(batch), strconv.Itoa(reps)}
			theirs := func() (map[string]float64, error) {
				rows, err := benchpeer.RunScript(context.Background(), python, script, args, nil, os.Stderr)
				if err != nil {
					return nil, err
				}
				return rows[0], nil
			}
			cs, err := benchpeer.Alternate(rounds, b.measure, theirs)
			if err != nil {
				return err
			}
			benchpeer.Table(c.ErrOrStderr(), "pytorch", cs)
			for _, cmp := range cs {
				if err := enc.Encode(cmp); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&peer, "peer", false, "alternate with the PyTorch loop and print ratios")
	f.IntVar(&rounds, "rounds", 3, "alternations with --peer")
	f.IntVar(&batch, "batch", 128, "images per attack")
	f.IntVar(&steps, "steps", 10, "PGD steps")
	f.IntVar(&reps, "reps", 2, "timed attacks per measurement")
	f.StringVar(&python, "python", benchpeer.Python(), "Python interpreter with torch, for --peer")
	f.StringVar(&script, "script", "bench/torch_pgd.py", "the PyTorch peer script")
	f.IntVar(&threads, "threads", 0, "compute threads (0: all cores); the peer gets the same")
	benchCmd.AddCommand(cmd)
}
