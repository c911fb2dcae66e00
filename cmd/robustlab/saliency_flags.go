package main

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/saliency"
)

// saliencyRun is what runSaliency has resolved from the flags.
type saliencyRun struct {
	cfg    saliency.Config
	render saliency.RenderOptions
	files  []string
	names  []string
}

func parseSaliencyFlags(f saliencyFlags, fs *pflag.FlagSet) (*saliencyRun, error) {
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
	if err := checkSaliencyScope(fs, c.Method, f.metrics != ""); err != nil {
		return nil, err
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

// checkSaliencyScope refuses a flag that the method, or the lack of
// --metrics, leaves unread.
func checkSaliencyScope(fs *pflag.FlagSet, m saliency.Method, metrics bool) error {
	sg := []saliency.Method{saliency.SmoothGrad, saliency.SmoothGradSquared, saliency.VarGrad}
	for _, s := range []struct {
		flags   []string
		applies bool
		to      string
	}{
		{[]string{"samples", "noise"}, slices.Contains(sg, m), "--method smoothgrad, smoothgrad-sq or vargrad"},
		{[]string{"steps", "rule", "baseline"}, m == saliency.IntegratedGradients, "--method ig"},
		{[]string{"layer"}, m == saliency.GradCAM, "--method gradcam"},
		{[]string{"metrics-n", "band", "curve-steps", "randomization"}, metrics, "--metrics FILE"},
	} {
		for _, name := range s.flags {
			if fs.Changed(name) && !s.applies {
				return fmt.Errorf("--%s applies to %s only: it would be ignored", name, s.to)
			}
		}
	}
	return nil
}
