package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/robustlab/robustlab/study"
)

// maskAlignmentFigure draws, for each saliency method (one row of panels),
// where each model's saliency mass falls, as stacked bars of the object's
// boundary band, its interior and the rest of the image, with the object's
// area marked on each bar (the object fraction of a map blind to the
// object); and beside it the pointing-game rate, with the same blind-map
// baseline. It returns nil without saliency results.
func maskAlignmentFigure(r *study.Results) ([]byte, error) {
	methods := saliencyMethods(r)
	if len(methods) == 0 {
		return nil, nil
	}
	n := len(r.Models)
	names := labels(r)
	rowY := func(i int) float64 { return float64(n - 1 - i) }
	var rows [][]*plot.Plot
	entries := []legendEntry{
		{"object boundary band (shape cue)", []plot.Thumbnailer{swatch{colourBoundary}}},
		{"object interior (texture cue)", []plot.Thumbnailer{swatch{colourInterior}}},
		{"rest of the image (background)", []plot.Thumbnailer{swatch{colourBackground}}},
	}
	for _, method := range methods {
		mass := newPlot(method+": share of saliency mass", "fraction of the map's mass", "")
		mass.X.Min, mass.X.Max = 0, 1
		mass.X.Tick.Marker = fractionTicks{}
		mass.Y.Min, mass.Y.Max = -0.6, float64(n)-0.4
		parts := []struct {
			colour color.Color
			value  func(study.SaliencyStats) float64
		}{
			{colourBoundary, func(s study.SaliencyStats) float64 { return s.Boundary }},
			{colourInterior, func(s study.SaliencyStats) float64 { return s.Interior }},
			{colourBackground, func(s study.SaliencyStats) float64 { return max(0, 1-s.Boundary-s.Interior) }},
		}
		start := make([]float64, n)
		prev := make([]*plotter.BarChart, n)
		var segLabels plotter.XYLabels
		var segStyles []text.Style
		for _, part := range parts {
			for i := range r.Models {
				s, ok := r.Models[i].Saliency[method]
				if !ok {
					continue
				}
				v := part.value(s)
				bar, err := plotter.NewBarChart(plotter.Values{v}, barWidth)
				if err != nil {
					return nil, fmt.Errorf("saliency of %s (%s): %w", r.Models[i].Name, method, err)
				}
				bar.Horizontal = true
				bar.XMin = rowY(i)
				bar.Color = part.colour
				bar.LineStyle.Width = 0
				if prev[i] != nil {
					bar.StackOn(prev[i])
				}
				prev[i] = bar
				mass.Add(bar)
				if v >= 0.07 {
					segLabels.XYs = append(segLabels.XYs, plotter.XY{X: start[i] + v/2, Y: rowY(i)})
					segLabels.Labels = append(segLabels.Labels, fmt.Sprintf("%.0f%%", 100*v))
					sty := textStyle(8.5)
					sty.Color = inkOn(toRGBA(part.colour))
					segStyles = append(segStyles, sty)
				}
				start[i] += v
			}
		}
		if len(segLabels.XYs) > 0 {
			sl, err := plotter.NewLabels(segLabels)
			if err != nil {
				return nil, err
			}
			sl.TextStyle = segStyles
			mass.Add(sl)
		}
		// A mark under each bar at the object's area: the object share a
		// map blind to the object would have.
		var areaPts plotter.XYs
		for i := range r.Models {
			if s, ok := r.Models[i].Saliency[method]; ok {
				areaPts = append(areaPts, plotter.XY{X: s.ObjectArea, Y: rowY(i) - 0.4})
			}
		}
		if len(areaPts) > 0 {
			marks, err := plotter.NewScatter(areaPts)
			if err != nil {
				return nil, err
			}
			marks.GlyphStyle = areaMark
			mass.Add(marks)
		}
		mass.Y.Tick.Marker = nominalTicks(names, rowY)

		point := newPlot(method+": pointing game", "hit rate (map's maximum on the object)", "")
		point.X.Min, point.X.Max = 0, 1
		point.X.Tick.Marker = fractionTicks{}
		point.Y.Min, point.Y.Max = mass.Y.Min, mass.Y.Max
		var areaSum float64
		var areaN int
		var valueLabels plotter.XYLabels
		var valueStyles []text.Style
		for i := range r.Models {
			s, ok := r.Models[i].Saliency[method]
			if !ok {
				continue
			}
			areaSum += s.ObjectArea
			areaN++
			bar, err := plotter.NewBarChart(plotter.Values{s.Pointing}, barWidth)
			if err != nil {
				return nil, err
			}
			bar.Horizontal = true
			bar.XMin = rowY(i)
			bar.Color = modelColour(i)
			bar.LineStyle.Width = 0
			point.Add(bar)
			sty := textStyle(9)
			label := fmt.Sprintf(" %.0f%%", 100*s.Pointing)
			sty.XAlign = draw.XLeft
			if s.Pointing >= 0.15 {
				label = fmt.Sprintf("%.0f%% ", 100*s.Pointing)
				sty.XAlign = draw.XRight
				sty.Color = inkOn(modelColour(i))
			}
			valueLabels.XYs = append(valueLabels.XYs, plotter.XY{X: s.Pointing, Y: rowY(i)})
			valueLabels.Labels = append(valueLabels.Labels, label)
			valueStyles = append(valueStyles, sty)
		}
		if areaN > 0 {
			// A blind map's maximum lands on the object as often as a
			// uniformly random pixel does: with probability its area.
			a := areaSum / float64(areaN)
			base, err := plotter.NewLine(plotter.XYs{{X: a, Y: mass.Y.Min}, {X: a, Y: mass.Y.Max}})
			if err != nil {
				return nil, err
			}
			base.Color, base.Width = color.Black, vg.Points(1.5)
			base.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			point.Add(base)
			vl, err := plotter.NewLabels(valueLabels)
			if err != nil {
				return nil, err
			}
			vl.TextStyle = valueStyles
			point.Add(vl)
		}
		point.Y.Tick.Marker = nominalTicks(names, rowY)
		rows = append(rows, []*plot.Plot{mass, point})
	}
	tick := &plotter.Scatter{GlyphStyle: areaMark}
	base := solidLine(color.Black, 1.5)
	base.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	entries = append(entries,
		legendEntry{"object area = a blind map's object share", []plot.Thumbnailer{tick}},
		legendEntry{"a blind map's pointing rate (mean object area)", []plot.Thumbnailer{base}})
	lh := legendHeight(entries)
	h := vg.Length(len(rows))*(1.2*vg.Inch+vg.Length(n)*rowHeight) + lh
	return panels(rows, h, lh, func(c draw.Canvas) { legendRow(c, entries) })
}

// areaMark is the triangle that points up at a bar where the object's area
// lies along it.
var areaMark = draw.GlyphStyle{Color: color.Black, Shape: draw.PyramidGlyph{}, Radius: vg.Points(4)}
