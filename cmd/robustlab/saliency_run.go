package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/saliency"
)

// saliencyRun is what runSaliency has resolved from the flags.
type saliencyRun struct {
	cfg    saliency.Config
	render saliency.RenderOptions
	files  []string
	names  []string
}

func parseSaliencyFlags(f saliencyFlags) (*saliencyRun, error) {
	r := &saliencyRun{}
	c := &r.cfg
	var err error
	if c.Method, err = saliency.ParseMethod(f.method); err != nil {
		return nil, fmt.Errorf("--method: %w", err)
	}
	switch f.target {
	case "label":
	case "pred", "prediction":
		c.ByPrediction = true
	default:
		return nil, fmt.Errorf("--target %q: want label or pred", f.target)
	}
	c.Aggregation = saliency.DefaultAggregation(c.Method)
	if f.agg != "" {
		if c.Aggregation, err = saliency.ParseAggregation(f.agg); err != nil {
			return nil, fmt.Errorf("--agg: %w", err)
		}
	}
	if r.render.Normalize, err = saliency.ParseNormalization(f.norm); err != nil {
		return nil, fmt.Errorf("--norm: %w", err)
	}
	if !(f.clip > 0 && f.clip <= 100) {
		return nil, fmt.Errorf("--clip %g: want a percentile in (0, 100]", f.clip)
	}
	r.render.Clip, r.render.Overlay, r.render.Signed = f.clip, f.overlay, c.Aggregation.Signed()
	c.Options = saliency.Options{BatchSize: f.batch, Samples: f.samples, NoiseLevel: f.noise, Steps: f.steps,
		BlurSigma: f.blurSigma, Layer: f.layer, Seed: f.seed}
	if c.Options.Rule, err = saliency.ParseRule(f.rule); err != nil {
		return nil, fmt.Errorf("--rule: %w", err)
	}
	if c.Options.Baseline, err = saliency.ParseBaseline(f.baseline); err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	for name, v := range map[string]int{"--n": f.n, "--batch": f.batch, "--samples": f.samples, "--steps": f.steps,
		"--curve-steps": f.curveSteps, "--metrics-n": f.metricsN} {
		if v < 1 {
			return nil, fmt.Errorf("%s %d: want at least 1", name, v)
		}
	}
	if !(f.noise > 0) || math.IsInf(f.noise, 0) {
		return nil, fmt.Errorf("--noise %g: want a positive fraction", f.noise)
	}
	if f.blurSigma < 0 || f.start < 0 || f.band < 0 {
		return nil, fmt.Errorf("--blur-sigma, --start and --band must not be negative")
	}
	if c.Randomization, err = saliency.ParseRandomization(f.randomization); err != nil {
		return nil, fmt.Errorf("--randomization: %w", err)
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
	r.names = strings.Split(f.names, ",")
	if f.names == "" {
		r.names = r.names[:0]
		for _, p := range r.files {
			r.names = append(r.names, modelLabel(p))
		}
	} else if len(r.names) != len(r.files) {
		return nil, fmt.Errorf("--names has %d names for %d models", len(r.names), len(r.files))
	}
	// Without --metrics only the grid's images are explained, and nothing
	// costly is measured.
	c.Start, c.N, c.Mask = f.start, f.n, saliency.MaskOptions{BandWidth: f.band}
	if f.metrics != "" {
		c.N = max(f.n, f.metricsN)
		c.Curves = &saliency.CurveOptions{Steps: f.curveSteps, BlurSigma: f.blurSigma, Seed: f.seed, BatchSize: f.batch}
	} else {
		c.Randomization = saliency.NoRandomization
	}
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

// saliencyMetrics is the JSON written by --metrics: every model's report
// on the same images, and the rank correlation of every two models' maps.
type saliencyMetrics struct {
	Data        string          `json:"data"`
	Start       int             `json:"start"`
	N           int             `json:"n"`
	Method      string          `json:"method"`
	Target      string          `json:"target"`
	Aggregation string          `json:"aggregation"`
	Options     map[string]any  `json:"options"`
	Models      []saliencyModel `json:"models"`
	Pairs       []saliency.Pair `json:"pairs,omitempty"`
	Seconds     float64         `json:"seconds"`
	reports     []*saliency.Report
}

// saliencyModel is one model's report with its architecture.
type saliencyModel struct {
	Arch string `json:"arch"`
	*saliency.Report
}

func runSaliency(ctx context.Context, f saliencyFlags, log io.Writer) error {
	r, err := parseSaliencyFlags(f)
	if err != nil {
		return err
	}
	began := time.Now()
	ds, err := data.Open(f.spec)
	if err != nil {
		return err
	}
	info := ds.Info()
	out := &saliencyMetrics{}
	var rows []saliency.Row
	for k, file := range r.files {
		model, meta, err := modelio.Load(file)
		if err != nil {
			return err
		}
		if err := models.CheckInput(meta.Arch, meta.Options, []int{info.Channels, info.Height, info.Width}); err != nil {
			return fmt.Errorf("%s on %s: %w", file, f.spec, err)
		}
		cfg := r.cfg
		cfg.Log = log
		if cfg.Method == saliency.GradCAM && cfg.Options.Layer == "" {
			d, err := models.Describe(meta.Arch)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			cfg.Options.Layer = d.FeatureLayer
		}
		if cfg.Randomization != saliency.NoRandomization {
			o := meta.Options
			o.Seed++ // another seed gives other initial weights: "full randomization"
			if cfg.Randomized, err = models.New(meta.Arch, o); err != nil {
				return err
			}
		}
		rep, err := saliency.Evaluate(ctx, model, ds, cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		rep.Name, rep.Model = r.names[k], file
		out.Models = append(out.Models, saliencyModel{meta.Arch, rep})
		out.reports = append(out.reports, rep)
		classes := meta.Classes
		if len(classes) == 0 {
			classes = rep.Classes
		}
		rows = append(rows, saliency.Row{Label: rep.Name, Maps: rep.Maps.Slice(0, min(f.n, rep.N)), Captions: rep.Captions(f.n, classes)})
	}
	first := out.reports[0]
	if f.out != "" {
		n := min(f.n, first.N)
		r.render.Title = fmt.Sprintf("%s, %s, clip %g%%, %s scale, target %s", first.Method, first.Aggregation, r.render.Clip, r.render.Normalize, f.target)
		grid, err := saliency.RenderGrid(first.Images.Slice(0, n), first.ImageCaptions(n), rows, r.render)
		if err != nil {
			return err
		}
		if err := data.WritePNG(f.out, grid); err != nil {
			return err
		}
		fmt.Fprintf(log, "saliency: wrote %s (%d models x %d images)\n", f.out, len(rows), n)
	}
	if f.metrics == "" {
		return nil
	}
	if out.Pairs, err = saliency.Compare(out.reports); err != nil {
		return err
	}
	out.Data, out.Start, out.N, out.Method, out.Target = first.Data, first.Start, first.N, first.Method, first.Target
	out.Aggregation, out.Options, out.Seconds = first.Aggregation, first.Options, time.Since(began).Seconds()
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(f.metrics, append(b, '\n')); err != nil {
		return err
	}
	printSaliencySummary(log, out)
	fmt.Fprintf(log, "saliency: wrote %s\n", f.metrics)
	return nil
}

func printSaliencySummary(w io.Writer, r *saliencyMetrics) {
	fmt.Fprintf(w, "%-14s %6s %7s %7s %7s %7s %7s %8s %8s %8s\n", "model", "acc", "object", "band", "inter", "outer", "point", "del.AUC", "ins.AUC", "rand.rho")
	for _, m := range r.reports {
		nan := math.NaN()
		obj, band, inter, outer, point, rho := nan, nan, nan, nan, nan, nan
		if m.Mask != nil {
			obj, band, inter, outer, point = m.Mask.Object.Mean, m.Mask.Band.Mean, m.Mask.Interior.Mean, m.Mask.OuterBand.Mean, m.Mask.Pointing.Mean
		}
		if m.Randomization != nil {
			rho = m.Randomization.Mean
		} else if len(m.Cascade) > 0 {
			rho = m.Cascade[len(m.Cascade)-1].Summary.Mean
		}
		fmt.Fprintf(w, "%-14s %6.3f %7.3f %7.3f %7.3f %7.3f %7.3f %8.3f %8.3f %8.3f\n", m.Name, m.Accuracy, obj, band, inter, outer, point,
			m.DeletionAUC.Mean, m.InsertionAUC.Mean, rho)
		if m.RelativeCompleteness != nil && m.Within5 != nil {
			fmt.Fprintf(w, "%-14s IG completeness error: mean %.4f, relative mean %.4f max %.4f, %.0f%% of images within 5%%\n", "",
				m.Completeness.Mean, m.RelativeCompleteness.Mean, m.RelativeCompleteness.Max, 100**m.Within5)
		}
	}
	for _, p := range r.Pairs {
		fmt.Fprintf(w, "rank correlation %s vs %s: %.3f (std %.3f)\n", p.A, p.B, p.Spearman.Mean, p.Spearman.Std)
	}
}
