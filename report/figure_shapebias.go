package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/robustlab/robustlab/study"
)

// shapeBiasReference is a published shape bias on the 16-class ImageNet
// cue-conflict stimuli.
type shapeBiasReference struct {
	name  string
	value float64
}

// shapeBiasReferences are Geirhos et al. 2019's numbers (ICLR, "ImageNet-
// trained CNNs are biased towards texture", Fig. 4 and Table 2): they were
// measured on ImageNet stimuli, not on shapes, and are drawn as context.
var shapeBiasReferences = []shapeBiasReference{
	{"ImageNet ResNet-50", 0.21},
	{"SIN-trained ResNet-50", 0.81},
	{"humans", 0.96},
}

// referenceCitation labels the reference lines wherever they appear.
const referenceCitation = "ImageNet references (Geirhos et al. 2019)"

// shapeBiasFigure draws each model's shape bias as a bar in its colour
// with the ImageNet reference lines, beside the split of all cue-conflict
// decisions into shape, texture and neither. A model without a shape bias
// gets no bar but "n/a"; nil when no model has cue-conflict results.
func shapeBiasFigure(r *study.Results) ([]byte, error) {
	measured := false
	for i := range r.Models {
		measured = measured || r.Models[i].ShapeBias.N > 0
	}
	if !measured {
		return nil, nil
	}
	n := len(r.Models)
	names := labels(r)
	rowY := func(i int) float64 { return float64(n - 1 - i) }

	bias := newPlot("Shape bias = shape / (shape + texture)", "shape bias", "")
	bias.X.Min, bias.X.Max = 0, 1
	bias.X.Tick.Marker = fractionTicks{}
	// Room above the top bar for the reference lines' names.
	bias.Y.Min, bias.Y.Max = -0.6, float64(n)-0.5+0.9
	refLabels := plotter.XYLabels{}
	for k, ref := range shapeBiasReferences {
		line, err := plotter.NewLine(plotter.XYs{{X: ref.value, Y: -0.6}, {X: ref.value, Y: float64(n) - 0.5}})
		if err != nil {
			return nil, err
		}
		line.Color = colourReference
		line.Dashes = dashes
		line.Width = vg.Points(1.2)
		// Drawn before the bars, which cover them.
		bias.Add(line)
		// Neighbouring references are staggered in height so that their
		// names do not overlap.
		refLabels.XYs = append(refLabels.XYs, plotter.XY{X: ref.value, Y: float64(n) - 0.5 + 0.2 + 0.38*float64(k%2)})
		refLabels.Labels = append(refLabels.Labels, fmt.Sprintf("%s %.2f", ref.name, ref.value))
	}
	rl, err := plotter.NewLabels(refLabels)
	if err != nil {
		return nil, err
	}
	for i := range rl.TextStyle {
		rl.TextStyle[i] = textStyle(8.5)
		rl.TextStyle[i].Color = colourReference
	}
	rl.TextStyle[0].XAlign = draw.XLeft
	rl.TextStyle[len(rl.TextStyle)-1].XAlign = draw.XRight
	bias.Add(rl)
	for i := range r.Models {
		sb := shapeBias(&r.Models[i])
		if math.IsNaN(sb) {
			continue
		}
		bar, err := plotter.NewBarChart(plotter.Values{sb}, barWidth)
		if err != nil {
			return nil, fmt.Errorf("shape bias of %s: %w", r.Models[i].Name, err)
		}
		bar.Horizontal = true
		bar.XMin = rowY(i)
		bar.Color = modelColour(i)
		bar.LineStyle.Width = 0
		bias.Add(bar)
	}
	// A bar's value is written inside its end where it fits, else just
	// past it, so that it never sits on a reference line.
	valueLabels := plotter.XYLabels{}
	var valueStyles []text.Style
	for i := range r.Models {
		sb := shapeBias(&r.Models[i])
		sty := textStyle(9)
		switch {
		case math.IsNaN(sb):
			sty.XAlign = draw.XLeft
			valueLabels.Labels = append(valueLabels.Labels, " n/a")
			sb = 0
		case sb >= 0.1:
			sty.XAlign = draw.XRight
			sty.Color = inkOn(modelColour(i))
			valueLabels.Labels = append(valueLabels.Labels, fmt.Sprintf("%.2f ", sb))
		default:
			sty.XAlign = draw.XLeft
			valueLabels.Labels = append(valueLabels.Labels, fmt.Sprintf(" %.2f", sb))
		}
		valueLabels.XYs = append(valueLabels.XYs, plotter.XY{X: sb, Y: rowY(i)})
		valueStyles = append(valueStyles, sty)
	}
	vl, err := plotter.NewLabels(valueLabels)
	if err != nil {
		return nil, err
	}
	vl.TextStyle = valueStyles
	bias.Add(vl)
	bias.NominalY(reverse(names)...)
	bias.Y.Tick.Marker = nominalTicks(names, rowY)

	split := newPlot("Decisions on cue-conflict images", "fraction of cue-conflict images", "")
	split.X.Min, split.X.Max = 0, 1
	split.X.Tick.Marker = fractionTicks{}
	split.Y.Min, split.Y.Max = bias.Y.Min, bias.Y.Max
	parts := []struct {
		name   string
		colour color.Color
		value  func(study.ShapeBias) float64
	}{
		{"shape", colourShape, func(s study.ShapeBias) float64 { return s.Shape }},
		{"texture", colourTexture, func(s study.ShapeBias) float64 { return s.Texture }},
		{"neither", colourNeither, func(s study.ShapeBias) float64 { return s.Neither }},
	}
	for k := range parts {
		// A model without cue-conflict images has no decisions to split.
		f := parts[k].value
		parts[k].value = func(s study.ShapeBias) float64 {
			if s.N == 0 {
				return 0
			}
			return f(s)
		}
	}
	entries := []legendEntry{{referenceCitation + ", dashed", []plot.Thumbnailer{referenceThumb()}}}
	var below *plotter.BarChart
	var segLabels plotter.XYLabels
	var segColours []color.Color
	start := make([]float64, n)
	for _, part := range parts {
		vals := make(plotter.Values, n)
		for i := range r.Models {
			// Bars are indexed bottom up.
			vals[n-1-i] = part.value(r.Models[i].ShapeBias)
		}
		bar, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, fmt.Errorf("cue-conflict decisions: %w", err)
		}
		bar.Horizontal = true
		bar.Color = part.colour
		bar.LineStyle.Width = 0
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		split.Add(bar)
		entries = append(entries, legendEntry{part.name + " decisions", []plot.Thumbnailer{swatch{part.colour}}})
		for i := range r.Models {
			v := part.value(r.Models[i].ShapeBias)
			if v >= 0.07 {
				segLabels.XYs = append(segLabels.XYs, plotter.XY{X: start[i] + v/2, Y: rowY(i)})
				segLabels.Labels = append(segLabels.Labels, fmt.Sprintf("%.0f%%", 100*v))
				segColours = append(segColours, part.colour)
			}
			start[i] += v
		}
	}
	if len(segLabels.XYs) > 0 {
		sl, err := plotter.NewLabels(segLabels)
		if err != nil {
			return nil, err
		}
		for i := range sl.TextStyle {
			sl.TextStyle[i] = textStyle(8.5)
			sl.TextStyle[i].Color = inkOn(toRGBA(segColours[i]))
		}
		split.Add(sl)
	}
	split.NominalY(reverse(names)...)
	split.Y.Tick.Marker = nominalTicks(names, rowY)

	lh := legendHeight(entries)
	h := 1.5*vg.Inch + vg.Length(n)*rowHeight + lh
	return panels([][]*plot.Plot{{bias, split}}, h, lh, func(c draw.Canvas) { legendRow(c, entries) })
}

// referenceThumb is the legend thumbnail of a reference line.
func referenceThumb() *plotter.Line {
	l := solidLine(colourReference, 1.2)
	l.Dashes = dashes
	return l
}

// rowHeight is the height given to each model in a bar chart, and
// barWidth the thickness of its bar.
const (
	rowHeight = 0.42 * vg.Inch
	barWidth  = 0.25 * vg.Inch
)

// nominalTicks labels row i (at y = rowY(i)) with names[i] and nothing
// else, so that an axis with room above its rows shows no stray ticks.
func nominalTicks(names []string, rowY func(int) float64) plot.Ticker {
	ticks := make(plot.ConstantTicks, len(names))
	for i, n := range names {
		ticks[i] = plot.Tick{Value: rowY(i), Label: n}
	}
	return ticks
}

// reverse is a reversed copy of s.
func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
