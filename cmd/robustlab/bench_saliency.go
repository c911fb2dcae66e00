package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/internal/benchpeer"
	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
)

var benchSaliencyFlags struct {
	arch           string
	batch, samples int
	reps, rounds   int
	threads        int
	peer           bool
	python, script string
}

var benchSaliencyCmd = &cobra.Command{
	Use:   "saliency",
	Short: "Time Gradient and SmoothGrad maps per second, alone or alternating with PyTorch",
	Long: `Time saliency maps of --arch (default ResNet-20, freshly initialized, in
evaluation mode) on a batch of --batch random 32x32 images: Gradient (one
forward and one input-gradient pass per batch) and SmoothGrad with --samples
noisy copies of each image (noise 15% of the image's range), in maps per
second. After a warm-up pass, Gradient is the best of --reps timings and
SmoothGrad, 25 times as long, one timing per round.

Without --peer it prints one JSON line {"gradient_maps_per_s":..,
"smoothgrad_maps_per_s":..}. With --peer it alternates, for --rounds rounds,
with bench/torch_saliency.py, the same loop in PyTorch on CPU (the same
architecture, torch.autograd.grad of the target logits with respect to the
input), both on --threads threads, and prints the medians, ranges and ratios
as JSON on stdout and a table on stderr (a ratio above 1: robustlab faster).`,
	Example: `  robustlab bench saliency
  robustlab bench saliency --peer --rounds 3 --threads 2`,
	Args: cobra.NoArgs,
	RunE: runBenchSaliency,
}

func init() {
	f := benchSaliencyCmd.Flags()
	f.StringVar(&benchSaliencyFlags.arch, "arch", "resnet20", "architecture (32x32 RGB input)")
	f.IntVar(&benchSaliencyFlags.batch, "batch", 128, "images per batch")
	f.IntVar(&benchSaliencyFlags.samples, "samples", 25, "SmoothGrad's noisy copies per image")
	f.IntVar(&benchSaliencyFlags.reps, "reps", 3, "Gradient timings per round (the best counts)")
	f.IntVar(&benchSaliencyFlags.rounds, "rounds", 3, "alternating rounds with --peer")
	f.IntVar(&benchSaliencyFlags.threads, "threads", runtime.NumCPU(), "compute threads, for robustlab and PyTorch")
	f.BoolVar(&benchSaliencyFlags.peer, "peer", false, "alternate with PyTorch and compare")
	f.StringVar(&benchSaliencyFlags.python, "python", benchpeer.Python(), "Python interpreter with torch, for --peer")
	f.StringVar(&benchSaliencyFlags.script, "peer-script", "bench/torch_saliency.py", "the PyTorch timing script, for --peer")
	benchCmd.AddCommand(benchSaliencyCmd)
}

func runBenchSaliency(cmd *cobra.Command, _ []string) error {
	fl := benchSaliencyFlags
	for _, v := range []struct {
		name string
		v    int
	}{{"--batch", fl.batch}, {"--samples", fl.samples}, {"--reps", fl.reps}, {"--rounds", fl.rounds}, {"--threads", fl.threads}} {
		if v.v < 1 {
			return fmt.Errorf("%s %d: want at least 1", v.name, v.v)
		}
	}
	old := kernels.SetThreads(fl.threads)
	defer kernels.SetThreads(old)
	model, err := models.New(fl.arch, models.Options{Seed: 1})
	if err != nil {
		return err
	}
	if err := models.CheckInput(fl.arch, models.Options{}, []int{3, 32, 32}); err != nil {
		return err
	}
	nn.SetTraining(model, false)
	rng := tensor.NewRNG(2)
	images := tensor.RandU(rng, 0, 1, fl.batch, 3, 32, 32)
	targets := make([]int, fl.batch)
	for i := range targets {
		targets[i] = rng.IntN(10)
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ours := func() (map[string]float64, error) {
		fmt.Fprintln(cmd.ErrOrStderr(), "bench saliency: robustlab")
		return timeSaliencyMaps(ctx, model, images, targets, fl.samples, fl.reps)
	}
	if !fl.peer {
		figures, err := ours()
		if err != nil {
			return err
		}
		figures["batch"], figures["samples"], figures["threads"] = float64(fl.batch), float64(fl.samples), float64(fl.threads)
		return writeJSONLine(cmd.OutOrStdout(), figures)
	}
	if fl.arch != "resnet20" {
		return fmt.Errorf("--peer: the PyTorch script defines resnet20 only, not %s", fl.arch)
	}
	if _, err := os.Stat(fl.script); err != nil {
		return fmt.Errorf("--peer-script %s: %w (run from the repository root or pass its path)", fl.script, err)
	}
	threads := strconv.Itoa(fl.threads)
	peer := func() (map[string]float64, error) {
		fmt.Fprintln(cmd.ErrOrStderr(), "bench saliency: PyTorch")
		rows, err := benchpeer.RunScript(ctx, fl.python, fl.script,
			[]string{"--batch", strconv.Itoa(fl.batch), "--samples", strconv.Itoa(fl.samples), "--reps", strconv.Itoa(fl.reps), "--threads", threads},
			[]string{"OMP_NUM_THREADS=" + threads, "MKL_NUM_THREADS=" + threads}, cmd.ErrOrStderr())
		if err != nil {
			return nil, err
		}
		return rows[0], nil
	}
	cs, err := benchpeer.Alternate(fl.rounds, ours, peer)
	if err != nil {
		return err
	}
	for _, c := range cs {
		line := struct {
			benchpeer.Comparison
			Peer    string `json:"peer"`
			Arch    string `json:"arch"`
			Batch   int    `json:"batch"`
			Samples int    `json:"samples"`
			Threads int    `json:"threads"`
		}{c, "pytorch", fl.arch, fl.batch, fl.samples, fl.threads}
		if err := writeJSONLine(cmd.OutOrStdout(), line); err != nil {
			return err
		}
	}
	benchpeer.Table(cmd.ErrOrStderr(), "PyTorch", cs)
	return nil
}

// timeSaliencyMaps returns Gradient and SmoothGrad maps per second on one
// batch: after a warm-up, the best of reps Gradient timings and one
// SmoothGrad timing.
func timeSaliencyMaps(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, samples, reps int) (map[string]float64, error) {
	n := float64(images.Dim(0))
	o := saliency.Options{BatchSize: images.Dim(0), Samples: samples, NoiseLevel: 0.15}
	rate := func(m saliency.Method) (float64, error) {
		start := time.Now()
		if _, err := saliency.Compute(ctx, model, images, targets, m, o); err != nil {
			return 0, err
		}
		return n / time.Since(start).Seconds(), nil
	}
	if _, err := rate(saliency.Gradient); err != nil {
		return nil, err
	}
	g := 0.0
	for r := 0; r < reps; r++ {
		v, err := rate(saliency.Gradient)
		if err != nil {
			return nil, err
		}
		g = max(g, v)
	}
	sg, err := rate(saliency.SmoothGrad)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"gradient_maps_per_s": g, "smoothgrad_maps_per_s": sg}, nil
}
