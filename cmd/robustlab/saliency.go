package main

import (
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// saliencyFlags are robustlab saliency's options.
type saliencyFlags struct {
	models, names, spec         string
	start, n, metricsN          int
	method, target, agg, norm   string
	rule, baseline, layer       string
	clip, noise, blurSigma      float64
	samples, steps, batch       int
	overlay                     bool
	seed                        uint64
	out, metrics, randomization string
	band, curveSteps, threads   int
}

func init() {
	var f saliencyFlags
	cmd := &cobra.Command{
		Use:   "saliency",
		Short: "Draw and measure saliency maps of several models side by side",
		Long: `Compute saliency maps of each model in --models for --n images of --data and
draw them as a grid: a column per image, the images in the first row, then a
row per model with its name at the left (the cover figure of "Increasing
Interpretability to Improve Model Robustness"). Under each map: the model's
prediction and its probability, "x" marking a wrong one.

Methods (Captum's names): gradient (Simonyan et al. 2014), inputxgradient,
smoothgrad (Smilkov et al. 2017; --samples, --noise as a fraction of the image's
range), smoothgrad-sq, vargrad, ig (Integrated Gradients, Sundararajan et al.
2017; --steps, --rule, --baseline black|blur|uniform) and gradcam (Selvaraju
et al. 2017, at --layer, default the architecture's last convolutional stage).
Every method explains the --target class's logit (the label, or the model's
prediction), the model in evaluation mode.

Maps are reduced over channels (--agg absmax|l2|sum) and drawn at the --clip
percentile of their magnitudes, per model row, per image or over the whole grid
(--norm); sum draws signs on a blue-white-red map, the others magnitudes on a
viridis-like one; --overlay draws them over the images.

With --metrics FILE the maps of the first --metrics-n images are also measured
and written as JSON: where the data has object masks (shapes), the fraction of
map mass on the object, on its boundary band of --band pixels (the shape cue),
in its interior (the texture cue) and on the background within --band pixels of
it (the outline's outer side), and the pointing game; on any data,
deletion and insertion curves and their areas (Petsiuk et al. 2018; --curve-steps);
the model-randomization check of Adebayo et al. 2018 (--randomization full:
rank correlation with the maps of the same architecture freshly initialized;
cascade: randomizing one more top-level layer at a time, from the output); for
ig, the completeness error |sum of attributions - (f(x) - f(baseline))|; and
the rank correlation between every two models' maps.`,
		Example: `  robustlab saliency --models runs/std/model.safetensors,runs/pgd/model.safetensors \
      --data shapes:test --n 8 --method smoothgrad --out grid.png
  robustlab saliency --models runs/std/model.safetensors --data shapes:test --method ig \
      --steps 64 --out ig.png --metrics ig.json --metrics-n 100`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := setThreads(f.threads); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			return runSaliency(ctx, f, c.Flags(), c.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.models, "models", "", "comma-separated model files (required)")
	fl.StringVar(&f.names, "names", "", "comma-separated row labels (default: each file's run folder or base name)")
	fl.StringVar(&f.spec, "data", "shapes:test", "data set spec (see robustlab data --help)")
	fl.IntVar(&f.start, "start", 0, "index of the first image")
	fl.IntVar(&f.n, "n", 8, "images in the grid")
	fl.StringVar(&f.method, "method", "gradient", "gradient, inputxgradient, smoothgrad, smoothgrad-sq, vargrad, ig, gradcam")
	fl.StringVar(&f.target, "target", "label", "class explained: label or pred")
	fl.StringVar(&f.agg, "agg", "", "channel aggregation: absmax, l2, sum (default: sum for ig and inputxgradient, absmax otherwise)")
	fl.Float64Var(&f.clip, "clip", 99, "percentile of |map| drawn at full colour")
	fl.StringVar(&f.norm, "norm", "row", "maps sharing a colour scale: row (per model), image, global")
	fl.BoolVar(&f.overlay, "overlay", false, "draw the maps over the images")
	fl.IntVar(&f.samples, "samples", 25, "smoothgrad: noisy samples per image")
	fl.Float64Var(&f.noise, "noise", 0.15, "smoothgrad: noise std as a fraction of the image's range")
	fl.IntVar(&f.steps, "steps", 64, "ig: gradient evaluations along the path")
	fl.StringVar(&f.rule, "rule", "gausslegendre", "ig: gausslegendre, riemann-right, riemann-left, riemann-middle, riemann-trapezoid")
	fl.StringVar(&f.baseline, "baseline", "black", "ig: black, blur or uniform")
	fl.Float64Var(&f.blurSigma, "blur-sigma", 0, "std in pixels of the blur baseline (0: width/8)")
	fl.StringVar(&f.layer, "layer", "", "gradcam: layer path (default: the architecture's feature layer)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the noise (smoothgrad, uniform baseline)")
	fl.IntVar(&f.batch, "batch", 128, "rows per forward/backward pass")
	fl.StringVar(&f.out, "out", "", "grid PNG to write")
	fl.StringVar(&f.metrics, "metrics", "", "metrics JSON to write")
	fl.IntVar(&f.metricsN, "metrics-n", 100, "images measured for --metrics (from --start; at least --n)")
	fl.IntVar(&f.band, "band", 0, "boundary band width in pixels (0: max(1, size/16))")
	fl.IntVar(&f.curveSteps, "curve-steps", 64, "deletion/insertion steps")
	fl.StringVar(&f.randomization, "randomization", "full", "model-randomization check: full, cascade or none")
	fl.IntVar(&f.threads, "threads", 0, "compute threads (0: all cores)")
	root.AddCommand(cmd)
}
