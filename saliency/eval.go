package saliency

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/robustlab/robustlab/accuracy"
	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Randomization chooses Evaluate's model-randomization check (Adebayo et
// al. 2018).
type Randomization int

const (
	// NoRandomization skips the check.
	NoRandomization Randomization = iota
	// FullRandomization correlates the maps with those of the same
	// architecture freshly initialized (RandomizationCheck).
	FullRandomization
	// CascadeRandomization randomizes one more top-level layer at a
	// time, from the output (CascadingRandomization).
	CascadeRandomization
)

var randomizationNames = []string{"none", "full", "cascade"}

// String returns the check's name as ParseRandomization reads it.
func (r Randomization) String() string {
	if r >= 0 && int(r) < len(randomizationNames) {
		return randomizationNames[r]
	}
	return fmt.Sprintf("Randomization(%d)", int(r))
}

// ParseRandomization reads none, full or cascade.
func ParseRandomization(s string) (Randomization, error) {
	for i, n := range randomizationNames {
		if s == n {
			return Randomization(i), nil
		}
	}
	return 0, fmt.Errorf("saliency: unknown randomization check %q (known: none, full, cascade)", s)
}

// DefaultAggregation is the channel reduction a method's maps are usually
// drawn and measured with: the signed sum for attributions whose sign is
// evidence (IntegratedGradients, InputXGradient), the absolute maximum
// (Simonyan et al. 2014) otherwise.
func DefaultAggregation(m Method) Aggregation {
	if m == IntegratedGradients || m == InputXGradient {
		return SignedSum
	}
	return AbsMax
}

// Config configures Evaluate.
type Config struct {
	// Method and Options are the saliency method and its settings
	// (GradCAM needs Options.Layer).
	Method  Method
	Options Options
	// Aggregation reduces the maps' channels (see DefaultAggregation).
	Aggregation Aggregation
	// ByPrediction explains the model's predicted class instead of the
	// label.
	ByPrediction bool
	// Start and N choose the images: examples Start .. Start+N-1 of the
	// data set (N 0: to its end; fewer if it ends first).
	Start, N int
	// Mask configures the mask metrics, computed where the data set has
	// object masks.
	Mask MaskOptions
	// Curves, if set, also computes deletion and insertion curves.
	Curves *CurveOptions
	// Randomization chooses the model-randomization check; it needs
	// Randomized, the same architecture freshly initialized.
	Randomization Randomization
	Randomized    nn.Module
	// Log receives progress bars (nil: nothing is written).
	Log io.Writer
}

// MaskReport is where the maps' mass falls on the object, over the images.
type MaskReport struct {
	BandWidth  int  `json:"band_width_px"`
	Object     Stat `json:"object"`
	Background Stat `json:"background"`
	Band       Stat `json:"band"`
	Interior   Stat `json:"interior"`
	OuterBand  Stat `json:"outer_band"`
	ObjectArea Stat `json:"object_area"`
	BandArea   Stat `json:"band_area"`
	OuterArea  Stat `json:"outer_band_area"`
	Pointing   Stat `json:"pointing_game"`
}

// Report is one model's maps of a data set's images and what was measured
// on them. Its JSON holds the measurements; the images, maps and
// predictions stay in memory, for grids and comparisons.
type Report struct {
	// Name is how grids and comparisons label the model; Model names it
	// (its file). Both are the caller's to set.
	Name  string `json:"name,omitempty"`
	Model string `json:"model,omitempty"`
	// Data, Start and N are the images explained.
	Data  string `json:"data"`
	Start int    `json:"start"`
	N     int    `json:"n"`
	// Method, Target ("label" or "pred") and Aggregation say how.
	Method      string         `json:"method"`
	Target      string         `json:"target"`
	Aggregation string         `json:"aggregation"`
	Options     map[string]any `json:"options"`
	// Accuracy is the model's accuracy on the N images.
	Accuracy float64 `json:"accuracy"`
	// Mask is present where the data has object masks.
	Mask *MaskReport `json:"mask,omitempty"`
	// The deletion and insertion curves' areas, and the curves averaged
	// over the images (with Config.Curves).
	DeletionAUC   *Stat     `json:"deletion_auc,omitempty"`
	InsertionAUC  *Stat     `json:"insertion_auc,omitempty"`
	DeletionMean  []float64 `json:"deletion_curve,omitempty"`
	InsertionMean []float64 `json:"insertion_curve,omitempty"`
	// Randomization is the rank correlation with a freshly initialized
	// copy's maps (full) and, for cascade, per stage.
	Randomization *Stat              `json:"randomization_spearman,omitempty"`
	Cascade       []LayerCorrelation `json:"cascading_randomization,omitempty"`
	// Completeness is Integrated Gradients' |sum - (f(x) - f(x'))|, absolute
	// and relative to |f(x) - f(x')|; Within5 is the fraction of the images
	// where it is defined whose relative error is at most 5%, the bar
	// Integrated Gradients' approximation is held to.
	Completeness         *Stat    `json:"ig_completeness_error,omitempty"`
	RelativeCompleteness *Stat    `json:"ig_relative_completeness_error,omitempty"`
	Within5              *float64 `json:"ig_within_5pct,omitempty"`
	// Seconds is the evaluation's wall time.
	Seconds float64 `json:"seconds"`

	// Images [N,C,H,W] and their Labels, Indices in the data set and
	// Masks ([N,1,H,W], nil without masks); the data set's Classes.
	Images  *tensor.Tensor `json:"-"`
	Masks   *tensor.Tensor `json:"-"`
	Labels  []int          `json:"-"`
	Indices []int          `json:"-"`
	Classes []string       `json:"-"`
	// Predictions are the model's classes for the images, Confidences
	// their softmax probabilities.
	Predictions []int     `json:"-"`
	Confidences []float64 `json:"-"`
	// Maps are the aggregated maps, [N,H,W].
	Maps *tensor.Tensor `json:"-"`
}

// WriteJSON writes the report's measurements to path, atomically, as
// indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// Evaluate computes the maps of cfg.Method for images of ds, the model in
// evaluation mode, and measures them: the mask metrics where ds has object
// masks, Integrated Gradients' completeness, and, as cfg asks, deletion
// and insertion curves and the model-randomization check.
func Evaluate(ctx context.Context, model nn.Module, ds data.Dataset, cfg Config) (*Report, error) {
	began := time.Now()
	if cfg.Randomization != NoRandomization && cfg.Randomized == nil {
		return nil, fmt.Errorf("saliency: the %s randomization check needs the randomized model", cfg.Randomization)
	}
	r, err := load(ctx, model, ds, cfg)
	if err != nil {
		return nil, err
	}
	targets := r.Labels
	if cfg.ByPrediction {
		targets = r.Predictions
	}
	opt := cfg.Options
	opt.Progress = progressTo(cfg.Log, r.Method)
	var ig *IGResult
	var maps *tensor.Tensor
	if cfg.Method == IntegratedGradients {
		if ig, err = ComputeIG(ctx, model, r.Images, targets, opt); err == nil {
			maps = ig.Attributions
		}
	} else {
		maps, err = Compute(ctx, model, r.Images, targets, cfg.Method, opt)
	}
	if err != nil {
		return nil, err
	}
	if r.Maps, err = Aggregate(maps, cfg.Aggregation); err != nil {
		return nil, err
	}
	if r.Masks != nil {
		if err := r.measureMask(cfg.Mask); err != nil {
			return nil, err
		}
	}
	if ig != nil {
		r.completeness(ig)
	}
	if cfg.Curves != nil {
		if err := r.measureCurves(ctx, model, targets, *cfg.Curves, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Randomization != NoRandomization {
		opt.Progress = progressTo(cfg.Log, "randomized copy")
		if err := r.randomize(ctx, model, targets, opt, cfg); err != nil {
			return nil, err
		}
	}
	r.Seconds = time.Since(began).Seconds()
	return r, nil
}

// load reads the images of cfg from ds, with the model's predictions.
func load(ctx context.Context, model nn.Module, ds data.Dataset, cfg Config) (*Report, error) {
	info := ds.Info()
	switch {
	case cfg.Start < 0 || cfg.N < 0:
		return nil, fmt.Errorf("saliency: start %d and n %d must not be negative", cfg.Start, cfg.N)
	case cfg.Start >= ds.Len():
		return nil, fmt.Errorf("saliency: start %d: %s has %d examples", cfg.Start, info.Name, ds.Len())
	}
	n := ds.Len() - cfg.Start
	if cfg.N > 0 {
		n = min(cfg.N, n)
	}
	c, h, w := info.Channels, info.Height, info.Width
	o := cfg.Options.withDefaults(w)
	r := &Report{Data: info.Name, Start: cfg.Start, N: n, Method: cfg.Method.String(), Target: "label",
		Aggregation: cfg.Aggregation.String(), Options: map[string]any{"batch": o.BatchSize, "seed": o.Seed},
		Images: tensor.New(n, c, h, w), Labels: make([]int, n), Indices: make([]int, n), Classes: info.Classes,
		Predictions: make([]int, n), Confidences: make([]float64, n)}
	if cfg.ByPrediction {
		r.Target = "pred"
	}
	switch cfg.Method {
	case SmoothGrad, SmoothGradSquared, VarGrad:
		r.Options["samples"], r.Options["noise"] = o.Samples, o.NoiseLevel
	case IntegratedGradients:
		r.Options["steps"], r.Options["rule"], r.Options["baseline"] = o.Steps, o.Rule.String(), o.Baseline.String()
	case GradCAM:
		r.Options["layer"] = o.Layer
	}
	if info.HasMask {
		r.Masks = tensor.New(n, 1, h, w)
	}
	correct, k := 0, 0
	err := accuracy.Batches(ctx, model, window{ds, cfg.Start, n}, accuracy.Config{BatchSize: o.BatchSize},
		func(b *data.Batch, logits *autograd.Var) error {
			k = logits.Shape()[1]
			z := logits.Data()
			for j, i := range b.Indices {
				copy(r.Images.Index(i).Data(), b.Images.Index(j).Data())
				if r.Masks != nil {
					copy(r.Masks.Index(i).Data(), b.Masks.Index(j).Data())
				}
				y := b.Labels[j]
				if y < 0 || y >= k {
					return fmt.Errorf("saliency: the model has %d outputs, but image %d of %s has label %d", k, cfg.Start+i, info.Name, y)
				}
				r.Labels[i], r.Indices[i] = y, cfg.Start+i
				r.Predictions[i], r.Confidences[i] = softmaxMax(z[j*k : (j+1)*k])
				if r.Predictions[i] == y {
					correct++
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	r.Accuracy = float64(correct) / float64(n)
	return r, nil
}

// softmaxMax returns the most probable class of logits z (the first of
// ties) and its softmax probability.
func softmaxMax(z []float32) (int, float64) {
	best := 0
	for k, v := range z {
		if v > z[best] {
			best = k
		}
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v - z[best]))
	}
	return best, 1 / sum
}

// window is examples start .. start+n-1 of a data set.
type window struct {
	data.Dataset
	start, n int
}

// Len implements data.Dataset.
func (w window) Len() int { return w.n }

// Get implements data.Dataset.
func (w window) Get(i int, ex *data.Example) error { return w.Dataset.Get(w.start+i, ex) }

func (r *Report) measureMask(o MaskOptions) error {
	scores, err := MaskMetrics(r.Maps, r.Masks, o)
	if err != nil {
		return err
	}
	s := SummarizeMask(scores)
	bw := o.BandWidth
	if bw == 0 {
		bw = BandWidth(r.Images.Dim(2), r.Images.Dim(3))
	}
	r.Mask = &MaskReport{BandWidth: bw, Object: s.Object, Background: s.Background, Band: s.Band, Interior: s.Interior,
		OuterBand: s.OuterBand, ObjectArea: s.ObjectArea, BandArea: s.BandArea, OuterArea: s.OuterBandArea, Pointing: s.Pointing}
	return nil
}

func (r *Report) completeness(ig *IGResult) {
	rels := ig.RelativeCompletenessErrors()
	e, rel := Summarize(ig.CompletenessErrors()), Summarize(rels)
	r.Completeness, r.RelativeCompleteness = &e, &rel
	within, defined := 0, 0
	for _, v := range rels {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		defined++
		if v <= 0.05 {
			within++
		}
	}
	if defined > 0 {
		frac := float64(within) / float64(defined)
		r.Within5 = &frac
	}
}

func (r *Report) measureCurves(ctx context.Context, model nn.Module, targets []int, co CurveOptions, cfg Config) error {
	co.Progress = progressTo(cfg.Log, "deletion/insertion")
	// Order pixels by magnitude, except where the sign is kept on purpose:
	// then the positive evidence goes first.
	order := r.Maps
	if !cfg.Aggregation.Signed() {
		order = AbsMaps(r.Maps)
	}
	c, err := DeletionInsertion(ctx, model, r.Images, targets, order, co)
	if err != nil {
		return err
	}
	del, ins := Summarize(c.DeletionAUC), Summarize(c.InsertionAUC)
	r.DeletionAUC, r.InsertionAUC = &del, &ins
	r.DeletionMean, r.InsertionMean = meanCurve(c.Deletion), meanCurve(c.Insertion)
	return nil
}

func (r *Report) randomize(ctx context.Context, model nn.Module, targets []int, opt Options, cfg Config) error {
	if cfg.Randomization == CascadeRandomization {
		var err error
		r.Cascade, err = CascadingRandomization(ctx, model, cfg.Randomized, r.Images, targets, cfg.Method, opt, cfg.Aggregation)
		return err
	}
	fresh, err := aggregated(ctx, cfg.Randomized, r.Images, targets, cfg.Method, opt, cfg.Aggregation)
	if err != nil {
		return fmt.Errorf("saliency: randomized copy: %w", err)
	}
	rho, err := RankCorrelation(r.Maps, fresh)
	if err != nil {
		return err
	}
	s := Summarize(rho)
	r.Randomization = &s
	return nil
}

// meanCurve averages curves point by point, rounded to 4 decimals.
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

// progressTo returns a Progress callback that draws a bar labelled label
// on w, or nil without w.
func progressTo(w io.Writer, label string) func(done, total int) {
	if w == nil {
		return nil
	}
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

// Captions writes "class 97%" under each of the first n maps, the model's
// prediction and its probability, with a leading "x " where it is wrong;
// classes names the classes (nil: the data set's).
func (r *Report) Captions(n int, classes []string) []string {
	if classes == nil {
		classes = r.Classes
	}
	out := make([]string, min(n, r.N))
	for i := range out {
		c := fmt.Sprintf("%s %.0f%%", className(classes, r.Predictions[i]), 100*r.Confidences[i])
		if r.Predictions[i] != r.Labels[i] {
			c = "x " + c
		}
		out[i] = c
	}
	return out
}

// ImageCaptions names the true class of each of the first n images.
func (r *Report) ImageCaptions(n int) []string {
	out := make([]string, min(n, r.N))
	for i := range out {
		out[i] = className(r.Classes, r.Labels[i])
	}
	return out
}

func className(classes []string, k int) string {
	if k >= 0 && k < len(classes) {
		return classes[k]
	}
	return fmt.Sprint(k)
}

// Pair is the rank correlation between two models' maps of the same
// images, per image, summarized.
type Pair struct {
	A        string `json:"a"`
	B        string `json:"b"`
	Spearman Stat   `json:"spearman"`
}

// Compare returns the Spearman rank correlation of every two reports'
// maps (Names label them), each pair once in order: the agreement between
// models that the seed's S5 asks about. The reports must hold maps of the
// same images.
func Compare(reports []*Report) ([]Pair, error) {
	var out []Pair
	for a := range reports {
		for b := a + 1; b < len(reports); b++ {
			ra, rb := reports[a], reports[b]
			if ra.Data != rb.Data || ra.Start != rb.Start {
				return nil, fmt.Errorf("saliency: comparing %s's maps of %s from %d with %s's of %s from %d: not the same images", ra.Name, ra.Data, ra.Start, rb.Name, rb.Data, rb.Start)
			}
			rho, err := RankCorrelation(ra.Maps, rb.Maps)
			if err != nil {
				return nil, fmt.Errorf("saliency: comparing %s with %s: %w", ra.Name, rb.Name, err)
			}
			out = append(out, Pair{A: ra.Name, B: rb.Name, Spearman: Summarize(rho)})
		}
	}
	return out, nil
}
