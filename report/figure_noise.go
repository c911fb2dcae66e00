package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/robustlab/robustlab/study"
)

// hasNoise reports whether any model was tested under noise.
func hasNoise(r *study.Results) bool {
	for i := range r.Models {
		for _, f := range r.NoiseFamilies {
			if !math.IsNaN(noiseMean(&r.Models[i], f)) {
				return true
			}
		}
	}
	return false
}

// noiseHeatmapFigure draws the noise transfer matrix of the seed's S2:
// one row per model, one column per test noise family, each cell the mean
// accuracy over the severities; clean accuracy comes first as the
// reference each column drops from. It returns nil without noise results.
func noiseHeatmapFigure(r *study.Results) ([]byte, error) {
	if !hasNoise(r) {
		return nil, nil
	}
	cols := append([]string{"clean"}, r.NoiseFamilies...)
	values := make([][]float64, len(r.Models))
	for i := range r.Models {
		m := &r.Models[i]
		values[i] = []float64{m.CleanAccuracy}
		for _, f := range r.NoiseFamilies {
			values[i] = append(values[i], noiseMean(m, f))
		}
	}
	g := &cellGrid{values: values, scale: accuracyScale, gapAfterCol: 0, fontSize: 10, outlined: trainedNoiseCells(r),
		format: func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }}
	p := newCellPlot("Accuracy under test noise (mean over severities "+severityRange(r)+")", g, labels(r), cols)
	p.X.Label.Text = "test noise"
	h := 1.3*vg.Inch + vg.Length(len(r.Models))*rowHeight
	if p.X.Tick.Label.Rotation != 0 {
		h += 0.4 * vg.Inch
	}
	return panels([][]*plot.Plot{{p}}, h, 0, nil)
}

// trainedNoiseCells are the heat map's cells {model, 1 + family} of the
// noise each noise-trained model saw in training: framed, so that
// transfer reads along a row away from its frame.
func trainedNoiseCells(r *study.Results) map[[2]int]bool {
	cells := map[[2]int]bool{}
	for _, nm := range cast(r).noise {
		i := slices.IndexFunc(r.Models, func(m study.ModelResult) bool { return m.Name == nm.model.Name })
		cells[[2]int{i, 1 + slices.Index(r.NoiseFamilies, nm.family)}] = true
	}
	return cells
}

// severityRange writes the study's severities as "1-5" or "1, 3, 5".
func severityRange(r *study.Results) string {
	s := r.NoiseSeverities
	if len(s) == 0 {
		return ""
	}
	contiguous := true
	for i := 1; i < len(s); i++ {
		contiguous = contiguous && s[i] == s[i-1]+1
	}
	if contiguous && len(s) > 2 {
		return fmt.Sprintf("%d-%d", s[0], s[len(s)-1])
	}
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += strconv.Itoa(v)
	}
	return out
}

// noiseSeverityFigure draws small multiples, one panel per noise family,
// of accuracy against severity, one line per model; severity 0 is the
// clean accuracy. It returns nil without noise results.
func noiseSeverityFigure(r *study.Results) ([]byte, error) {
	if !hasNoise(r) {
		return nil, nil
	}
	const perRow = 3
	var rows [][]*plot.Plot
	drawn := map[int]bool{}
	for k, f := range r.NoiseFamilies {
		p := newPlot(f, "severity (0 = clean)", "accuracy")
		p.Y.Min, p.Y.Max = 0, 1
		p.Y.Tick.Marker = fractionTicks{}
		p.X.Tick.Marker = severityTicks(r.NoiseSeverities)
		p.Add(plotter.NewGrid())
		for i := range r.Models {
			m := &r.Models[i]
			acc := m.Noise.Accuracy[f]
			if len(acc) == 0 {
				continue
			}
			pts := plotter.XYs{{X: 0, Y: m.CleanAccuracy}}
			for j, a := range acc {
				pts = append(pts, plotter.XY{X: float64(r.NoiseSeverities[j]), Y: a})
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, fmt.Errorf("noise accuracy of %s under %s: %w", m.Name, f, err)
			}
			line.Color, line.Width = modelColour(i), vg.Points(1.6)
			points.Color, points.Shape, points.Radius = modelColour(i), modelGlyph(i), vg.Points(2.3)
			p.Add(line, points)
			drawn[i] = true
		}
		if k%perRow == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], p)
	}
	var entries []legendEntry
	for i := range r.Models {
		if drawn[i] {
			entries = append(entries, modelEntry(r, i))
		}
	}
	lh := legendHeight(entries)
	h := vg.Length(len(rows))*3.1*vg.Inch + lh
	return panels(rows, h, lh, func(c draw.Canvas) { legendRow(c, entries) })
}

// modelEntry is model i's legend entry: its line and glyph.
func modelEntry(r *study.Results, i int) legendEntry {
	line := solidLine(modelColour(i), 1.6)
	pts := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: modelColour(i), Shape: modelGlyph(i), Radius: vg.Points(2.6)}}
	return legendEntry{label(&r.Models[i]), []plot.Thumbnailer{line, pts}}
}

// severityTicks labels 0 (clean) and every severity.
func severityTicks(sev []int) plot.Ticker {
	ticks := plot.ConstantTicks{{Value: 0, Label: "0"}}
	for _, s := range sev {
		ticks = append(ticks, plot.Tick{Value: float64(s), Label: strconv.Itoa(s)})
	}
	return ticks
}
