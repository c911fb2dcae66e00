package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/saliency"
	"github.com/spf13/pflag"
)

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

func runSaliency(ctx context.Context, f saliencyFlags, fs *pflag.FlagSet, log io.Writer) error {
	r, err := parseSaliencyFlags(f, fs)
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
