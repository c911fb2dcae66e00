package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
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
			if f.threads > 0 {
				kernels.SetThreads(f.threads)
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			return runSaliency(ctx, f, c.ErrOrStderr())
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

// saliencyRun holds what runSaliency has resolved from the flags.
type saliencyRun struct {
	method   saliency.Method
	opt      saliency.Options
	agg      saliency.Aggregation
	byPred   bool
	render   saliency.RenderOptions
	curves   saliency.CurveOptions
	files    []string
	names    []string
	log      io.Writer
	measured int
}

func parseSaliencyFlags(f saliencyFlags, log io.Writer) (*saliencyRun, error) {
	r := &saliencyRun{log: log}
	var err error
	if r.method, err = saliency.ParseMethod(f.method); err != nil {
		return nil, fmt.Errorf("--method: %w", err)
	}
	switch f.target {
	case "label":
	case "pred", "prediction":
		r.byPred = true
	default:
		return nil, fmt.Errorf("--target %q: want label or pred", f.target)
	}
	if f.agg == "" {
		r.agg = saliency.AbsMax
		if r.method == saliency.IntegratedGradients || r.method == saliency.InputXGradient {
			r.agg = saliency.SignedSum
		}
	} else if r.agg, err = saliency.ParseAggregation(f.agg); err != nil {
		return nil, fmt.Errorf("--agg: %w", err)
	}
	if r.render.Normalize, err = saliency.ParseNormalization(f.norm); err != nil {
		return nil, fmt.Errorf("--norm: %w", err)
	}
	if !(f.clip > 0 && f.clip <= 100) {
		return nil, fmt.Errorf("--clip %g: want a percentile in (0, 100]", f.clip)
	}
	r.render.Clip, r.render.Overlay, r.render.Signed = f.clip, f.overlay, r.agg.Signed()
	r.opt = saliency.Options{BatchSize: f.batch, Samples: f.samples, NoiseLevel: f.noise, Steps: f.steps,
		BlurSigma: f.blurSigma, Layer: f.layer, Seed: f.seed}
	if r.opt.Rule, err = saliency.ParseRule(f.rule); err != nil {
		return nil, fmt.Errorf("--rule: %w", err)
	}
	if r.opt.Baseline, err = saliency.ParseBaseline(f.baseline); err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	for _, bad := range []struct {
		name string
		v    int
	}{{"--n", f.n}, {"--batch", f.batch}, {"--samples", f.samples}, {"--steps", f.steps}, {"--curve-steps", f.curveSteps}} {
		if bad.v < 1 {
			return nil, fmt.Errorf("%s %d: want at least 1", bad.name, bad.v)
		}
	}
	if !(f.noise > 0) || math.IsInf(f.noise, 0) {
		return nil, fmt.Errorf("--noise %g: want a positive fraction", f.noise)
	}
	if f.blurSigma < 0 || f.start < 0 || f.band < 0 {
		return nil, fmt.Errorf("--blur-sigma, --start and --band must not be negative")
	}
	switch f.randomization {
	case "full", "cascade", "none":
	default:
		return nil, fmt.Errorf("--randomization %q: want full, cascade or none", f.randomization)
	}
	if f.out == "" && f.metrics == "" {
		return nil, fmt.Errorf("saliency: nothing to write: give --out grid.png and/or --metrics FILE.json")
	}
	for _, p := range strings.Split(f.models, ",") {
		if p = strings.TrimSpace(p); p != "" {
			r.files = append(r.files, p)
		}
	}
	if len(r.files) == 0 {
		return nil, fmt.Errorf("saliency: --models needs at least one model file")
	}
	if f.names != "" {
		r.names = strings.Split(f.names, ",")
		if len(r.names) != len(r.files) {
			return nil, fmt.Errorf("--names has %d names for %d models", len(r.names), len(r.files))
		}
	} else {
		for _, p := range r.files {
			r.names = append(r.names, modelLabel(p))
		}
	}
	r.measured = f.n
	if f.metrics != "" {
		r.measured = max(f.n, f.metricsN)
	}
	r.curves = saliency.CurveOptions{Steps: f.curveSteps, BlurSigma: f.blurSigma, Seed: f.seed, BatchSize: f.batch}
	return r, nil
}

// modelLabel names a model by its run folder (runs/std/model.safetensors is
// "std") or, for any other file, its base name without extension.
func modelLabel(path string) string {
	base := filepath.Base(path)
	if base == "model.safetensors" {
		if dir := filepath.Base(filepath.Dir(path)); dir != "." && dir != "/" {
			return dir
		}
	}
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// saliencyImages are the images measured and drawn.
type saliencyImages struct {
	info    data.Info
	images  *tensor.Tensor // [N,C,H,W]
	labels  []int
	masks   *tensor.Tensor // [N,1,H,W] or nil
	indices []int          // the examples' indices in the data set
}

func loadSaliencyImages(spec string, start, n int) (*saliencyImages, error) {
	ds, err := data.Open(spec)
	if err != nil {
		return nil, err
	}
	info := ds.Info()
	if start >= ds.Len() {
		return nil, fmt.Errorf("--start %d: %s has %d examples", start, spec, ds.Len())
	}
	n = min(n, ds.Len()-start)
	c, h, w := info.Channels, info.Height, info.Width
	s := &saliencyImages{info: info, images: tensor.New(n, c, h, w), labels: make([]int, n)}
	if info.HasMask {
		s.masks = tensor.New(n, 1, h, w)
	}
	var ex data.Example
	for k := 0; k < n; k++ {
		i := start + k
		if err := ds.Get(i, &ex); err != nil {
			return nil, err
		}
		if len(ex.Image) != c*h*w {
			return nil, fmt.Errorf("%s: example %d has %d values, want %dx%dx%d", spec, i, len(ex.Image), c, h, w)
		}
		copy(s.images.Index(k).Data(), ex.Image)
		s.labels[k] = ex.Label
		if s.masks != nil {
			if len(ex.Mask) != h*w {
				return nil, fmt.Errorf("%s: example %d has a mask of %d values, want %dx%d", spec, i, len(ex.Mask), h, w)
			}
			copy(s.masks.Index(k).Data(), ex.Mask)
		}
		s.indices = append(s.indices, i)
	}
	return s, nil
}

// saliencyMetrics is the JSON written by --metrics.
type saliencyMetrics struct {
	Data        string            `json:"data"`
	Start       int               `json:"start"`
	N           int               `json:"n"`
	Method      string            `json:"method"`
	Target      string            `json:"target"`
	Aggregation string            `json:"aggregation"`
	Options     map[string]any    `json:"options"`
	Models      []modelSaliency   `json:"models"`
	Pairs       []pairCorrelation `json:"pairs,omitempty"`
	Seconds     float64           `json:"seconds"`
}

// modelSaliency is one model's measured maps.
type modelSaliency struct {
	Name     string  `json:"name"`
	File     string  `json:"file"`
	Arch     string  `json:"arch"`
	Accuracy float64 `json:"accuracy"`
	// Mask is present where the data has object masks.
	Mask *maskJSON `json:"mask,omitempty"`
	// The deletion and insertion curves' areas, and the curves averaged
	// over the images.
	DeletionAUC   saliency.Stat `json:"deletion_auc"`
	InsertionAUC  saliency.Stat `json:"insertion_auc"`
	DeletionMean  []float64     `json:"deletion_curve"`
	InsertionMean []float64     `json:"insertion_curve"`
	// Randomization is the rank correlation with a freshly initialized
	// copy's maps (full) and, for cascade, per stage.
	Randomization *saliency.Stat              `json:"randomization_spearman,omitempty"`
	Cascade       []saliency.LayerCorrelation `json:"cascading_randomization,omitempty"`
	// Completeness is Integrated Gradients' |sum - (f(x) - f(x'))|, absolute
	// and relative to |f(x) - f(x')|.
	Completeness         *saliency.Stat `json:"ig_completeness_error,omitempty"`
	RelativeCompleteness *saliency.Stat `json:"ig_relative_completeness_error,omitempty"`
	// Within5 is the fraction of images whose relative error is at most
	// 5%, the bar Integrated Gradients' approximation is held to.
	Within5 *float64 `json:"ig_within_5pct,omitempty"`
	Seconds float64  `json:"seconds"`
}

type maskJSON struct {
	BandWidth  int           `json:"band_width_px"`
	Object     saliency.Stat `json:"object"`
	Background saliency.Stat `json:"background"`
	Band       saliency.Stat `json:"band"`
	Interior   saliency.Stat `json:"interior"`
	OuterBand  saliency.Stat `json:"outer_band"`
	ObjectArea saliency.Stat `json:"object_area"`
	BandArea   saliency.Stat `json:"band_area"`
	OuterArea  saliency.Stat `json:"outer_band_area"`
	Pointing   saliency.Stat `json:"pointing_game"`
}

type pairCorrelation struct {
	A        string        `json:"a"`
	B        string        `json:"b"`
	Spearman saliency.Stat `json:"spearman"`
}

func runSaliency(ctx context.Context, f saliencyFlags, log io.Writer) error {
	r, err := parseSaliencyFlags(f, log)
	if err != nil {
		return err
	}
	began := time.Now()
	imgs, err := loadSaliencyImages(f.spec, f.start, r.measured)
	if err != nil {
		return err
	}
	nGrid := min(f.n, imgs.images.Dim(0))
	shape := imgs.images.Shape()[1:]
	report := &saliencyMetrics{Data: f.spec, Start: f.start, N: imgs.images.Dim(0), Method: r.method.String(), Target: f.target,
		Aggregation: r.agg.String(), Options: map[string]any{"batch": f.batch, "seed": f.seed}}
	switch r.method {
	case saliency.SmoothGrad, saliency.SmoothGradSquared, saliency.VarGrad:
		report.Options["samples"], report.Options["noise"] = f.samples, f.noise
	case saliency.IntegratedGradients:
		report.Options["steps"], report.Options["rule"], report.Options["baseline"] = f.steps, r.opt.Rule.String(), r.opt.Baseline.String()
	}
	var rows []saliency.Row
	var allMaps []*tensor.Tensor
	for k, file := range r.files {
		began := time.Now()
		model, meta, err := modelio.Load(file)
		if err != nil {
			return err
		}
		if err := models.CheckInput(meta.Arch, meta.Options, shape); err != nil {
			return fmt.Errorf("%s on %s: %w", file, f.spec, err)
		}
		opt := r.opt
		if r.method == saliency.GradCAM && opt.Layer == "" {
			info, err := models.Describe(meta.Arch)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			opt.Layer = info.FeatureLayer
		}
		logits, err := saliency.Logits(ctx, model, imgs.images, f.batch)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		classes := logits.Dim(1)
		preds := logits.ArgMax(1)
		targets := imgs.labels
		if r.byPred {
			targets = preds
		}
		for i, t := range targets {
			if t >= classes {
				return fmt.Errorf("%s has %d outputs, but image %d of %s has label %d", file, classes, imgs.indices[i], f.spec, t)
			}
		}
		opt.Progress = progressTo(log, r.names[k]+" "+r.method.String())
		var ig *saliency.IGResult
		var maps *tensor.Tensor
		if r.method == saliency.IntegratedGradients && f.metrics != "" {
			ig, err = saliency.ComputeIG(ctx, model, imgs.images, targets, opt)
			if err == nil {
				maps = ig.Attributions
			}
		} else {
			measured := imgs.images
			if f.metrics == "" {
				measured = imgs.images.Slice(0, nGrid)
			}
			maps, err = saliency.Compute(ctx, model, measured, targets[:measured.Dim(0)], r.method, opt)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		agg, err := saliency.Aggregate(maps, r.agg)
		if err != nil {
			return err
		}
		allMaps = append(allMaps, agg)
		rows = append(rows, saliency.Row{Label: r.names[k], Maps: agg.Slice(0, nGrid),
			Captions: predictionCaptions(logits, imgs.labels, classNames(meta, imgs.info), nGrid)})
		if f.metrics == "" {
			continue
		}
		m, err := measureModel(ctx, r, f, model, meta, opt, imgs, targets, agg, ig)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		m.Name, m.File, m.Arch = r.names[k], file, meta.Arch
		m.Accuracy = accuracy(preds, imgs.labels)
		m.Seconds = time.Since(began).Seconds()
		report.Models = append(report.Models, m)
	}
	if f.out != "" {
		title := fmt.Sprintf("%s, %s, clip %g%%, %s scale, target %s", r.method, r.agg, r.render.Clip, r.render.Normalize, f.target)
		r.render.Title = title
		captions := make([]string, nGrid)
		for i := range captions {
			captions[i] = className(imgs.info.Classes, imgs.labels[i])
		}
		grid, err := saliency.RenderGrid(imgs.images.Slice(0, nGrid), captions, rows, r.render)
		if err != nil {
			return err
		}
		if err := data.WritePNG(f.out, grid); err != nil {
			return err
		}
		fmt.Fprintf(log, "saliency: wrote %s (%d models x %d images)\n", f.out, len(rows), nGrid)
	}
	if f.metrics == "" {
		return nil
	}
	for a := 0; a < len(allMaps); a++ {
		for b := a + 1; b < len(allMaps); b++ {
			rho, err := saliency.RankCorrelation(allMaps[a], allMaps[b])
			if err != nil {
				return err
			}
			report.Pairs = append(report.Pairs, pairCorrelation{A: r.names[a], B: r.names[b], Spearman: saliency.Summarize(rho)})
		}
	}
	report.Seconds = time.Since(began).Seconds()
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(f.metrics, append(b, '\n')); err != nil {
		return err
	}
	printSaliencySummary(log, report)
	fmt.Fprintf(log, "saliency: wrote %s\n", f.metrics)
	return nil
}

// measureModel computes one model's metrics on the measured images.
func measureModel(ctx context.Context, r *saliencyRun, f saliencyFlags, model nn.Module, meta modelio.Meta, opt saliency.Options,
	imgs *saliencyImages, targets []int, agg *tensor.Tensor, ig *saliency.IGResult) (modelSaliency, error) {
	var m modelSaliency
	if imgs.masks != nil {
		scores, err := saliency.MaskMetrics(agg, imgs.masks, saliency.MaskOptions{BandWidth: f.band})
		if err != nil {
			return m, err
		}
		s := saliency.SummarizeMask(scores)
		bw := f.band
		if bw == 0 {
			bw = saliency.BandWidth(imgs.images.Dim(2), imgs.images.Dim(3))
		}
		m.Mask = &maskJSON{BandWidth: bw, Object: s.Object, Background: s.Background, Band: s.Band, Interior: s.Interior,
			OuterBand: s.OuterBand, ObjectArea: s.ObjectArea, BandArea: s.BandArea, OuterArea: s.OuterBandArea, Pointing: s.Pointing}
	}
	curves := r.curves
	curves.Progress = progressTo(r.log, "deletion/insertion")
	// Order pixels by magnitude, except where the sign is kept on purpose:
	// then the positive evidence goes first.
	order := agg
	if !r.agg.Signed() {
		order = saliency.AbsMaps(agg)
	}
	c, err := saliency.DeletionInsertion(ctx, model, imgs.images, targets, order, curves)
	if err != nil {
		return m, err
	}
	m.DeletionAUC, m.InsertionAUC = saliency.Summarize(c.DeletionAUC), saliency.Summarize(c.InsertionAUC)
	m.DeletionMean, m.InsertionMean = meanCurve(c.Deletion), meanCurve(c.Insertion)
	if ig != nil {
		rels := ig.RelativeCompletenessErrors()
		e, rel := saliency.Summarize(ig.CompletenessErrors()), saliency.Summarize(rels)
		within := 0
		for _, v := range rels {
			if v <= 0.05 {
				within++
			}
		}
		frac := float64(within) / float64(len(rels))
		m.Completeness, m.RelativeCompleteness, m.Within5 = &e, &rel, &frac
	}
	if f.randomization != "none" {
		o := meta.Options
		// Another seed gives other initial weights: "full randomization".
		o.Seed++
		fresh, err := models.New(meta.Arch, o)
		if err != nil {
			return m, err
		}
		opt.Progress = progressTo(r.log, "randomized copy")
		if f.randomization == "full" {
			rmaps, err := saliency.Compute(ctx, fresh, imgs.images, targets, r.method, opt)
			if err != nil {
				return m, fmt.Errorf("randomized copy: %w", err)
			}
			ragg, err := saliency.Aggregate(rmaps, r.agg)
			if err != nil {
				return m, err
			}
			rho, err := saliency.RankCorrelation(agg, ragg)
			if err != nil {
				return m, err
			}
			s := saliency.Summarize(rho)
			m.Randomization = &s
		} else {
			m.Cascade, err = saliency.CascadingRandomization(ctx, model, fresh, imgs.images, targets, r.method, opt, r.agg)
			if err != nil {
				return m, err
			}
		}
	}
	return m, nil
}

// progressTo returns a Progress callback that draws a bar labelled label.
func progressTo(w io.Writer, label string) func(done, total int) {
	var bar *progress.Bar
	last := 0
	return func(done, total int) {
		if bar == nil {
			bar = progress.New(w, label, total, "rows")
		}
		bar.Add(done-last, "")
		last = done
		if done == total {
			bar.Finish("")
			bar, last = nil, 0
		}
	}
}

func meanCurve(curves [][]float64) []float64 {
	if len(curves) == 0 {
		return nil
	}
	out := make([]float64, len(curves[0]))
	for _, c := range curves {
		for k, v := range c {
			out[k] += v / float64(len(curves))
		}
	}
	for k := range out {
		out[k] = math.Round(out[k]*1e4) / 1e4
	}
	return out
}

func accuracy(preds, labels []int) float64 {
	hits := 0
	for i, p := range preds {
		if p == labels[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(labels))
}

// classNames prefers the model file's class names, then the data set's.
func classNames(meta modelio.Meta, info data.Info) []string {
	if len(meta.Classes) > 0 {
		return meta.Classes
	}
	return info.Classes
}

func className(classes []string, k int) string {
	if k >= 0 && k < len(classes) {
		return classes[k]
	}
	return fmt.Sprint(k)
}

// predictionCaptions writes "class 97%" under each of the first n maps,
// with a leading "x " where the prediction is wrong.
func predictionCaptions(logits *tensor.Tensor, labels []int, classes []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		row := logits.Index(i).Data()
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - row[best]))
		}
		caption := fmt.Sprintf("%s %.0f%%", className(classes, best), 100/sum)
		if best != labels[i] {
			caption = "x " + caption
		}
		out[i] = caption
	}
	return out
}

func printSaliencySummary(w io.Writer, r *saliencyMetrics) {
	fmt.Fprintf(w, "%-14s %6s %7s %7s %7s %7s %7s %8s %8s %8s\n", "model", "acc", "object", "band", "inter", "outer", "point", "del.AUC", "ins.AUC", "rand.rho")
	for _, m := range r.Models {
		obj, band, inter, outer, point := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if m.Mask != nil {
			obj, band, inter, outer, point = m.Mask.Object.Mean, m.Mask.Band.Mean, m.Mask.Interior.Mean, m.Mask.OuterBand.Mean, m.Mask.Pointing.Mean
		}
		rho := math.NaN()
		if m.Randomization != nil {
			rho = m.Randomization.Mean
		} else if len(m.Cascade) > 0 {
			rho = m.Cascade[len(m.Cascade)-1].Summary.Mean
		}
		fmt.Fprintf(w, "%-14s %6.3f %7.3f %7.3f %7.3f %7.3f %7.3f %8.3f %8.3f %8.3f\n", m.Name, m.Accuracy, obj, band, inter, outer, point,
			m.DeletionAUC.Mean, m.InsertionAUC.Mean, rho)
		if m.RelativeCompleteness != nil {
			fmt.Fprintf(w, "%-14s IG completeness error: mean %.4f, relative mean %.4f max %.4f, %.0f%% of images within 5%%\n", "",
				m.Completeness.Mean, m.RelativeCompleteness.Mean, m.RelativeCompleteness.Max, 100**m.Within5)
		}
	}
	for _, p := range r.Pairs {
		fmt.Fprintf(w, "rank correlation %s vs %s: %.3f (std %.3f)\n", p.A, p.B, p.Spearman.Mean, p.Spearman.Std)
	}
}
