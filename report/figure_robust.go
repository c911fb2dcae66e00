package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/robustlab/robustlab/study"
)

// dashes is the dash pattern of FGSM curves and reference lines.
var dashes = []vg.Length{vg.Points(5), vg.Points(3)}

// robustFigure draws accuracy against eps (in 1/255 units), one colour per
// model, PGD solid and FGSM dashed. It returns nil when no model was
// attacked.
func robustFigure(r *study.Results) ([]byte, error) {
	p := newPlot("Accuracy under L∞ attack", "eps (in units of 1/255 of the [0,1] pixel range)", "accuracy")
	p.Y.Min, p.Y.Max = 0, 1
	var entries []legendEntry
	steps := 0
	for i := range r.Models {
		m := &r.Models[i]
		ra := m.RobustAccuracy
		if len(ra.PGD) == 0 && len(ra.FGSM) == 0 {
			continue
		}
		steps = max(steps, ra.Steps)
		var thumbs []plot.Thumbnailer
		for _, s := range []struct {
			acc    []float64
			dashed bool
		}{{ra.PGD, false}, {ra.FGSM, true}} {
			if len(s.acc) == 0 {
				continue
			}
			pts := make(plotter.XYs, len(s.acc))
			for j, a := range s.acc {
				pts[j] = plotter.XY{X: r.Eps[j] * 255, Y: a}
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, fmt.Errorf("robust accuracy of %s: %w", m.Name, err)
			}
			line.Color = modelColour(i)
			line.Width = vg.Points(1.8)
			if s.dashed {
				line.Dashes = dashes
				line.Width = vg.Points(1.3)
			}
			points.Shape = modelGlyph(i)
			points.Color = modelColour(i)
			points.Radius = vg.Points(2.6)
			p.Add(line, points)
			if !s.dashed {
				thumbs = []plot.Thumbnailer{line, points}
			}
		}
		if thumbs == nil {
			thumbs = []plot.Thumbnailer{solidLine(modelColour(i), 1.8)}
		}
		entries = append(entries, legendEntry{label(m), thumbs})
	}
	if len(entries) == 0 {
		return nil, nil
	}
	pgdName := "PGD"
	if steps > 0 {
		pgdName = "PGD-" + strconv.Itoa(steps)
	}
	fgsm := solidLine(color.Gray{0x55}, 1.3)
	fgsm.Dashes = dashes
	entries = append(entries,
		legendEntry{pgdName + " (solid)", []plot.Thumbnailer{solidLine(color.Gray{0x55}, 1.8)}},
		legendEntry{"FGSM (dashed)", []plot.Thumbnailer{fgsm}})
	p.X.Tick.Marker = epsTicks(r.Eps)
	p.Y.Tick.Marker = fractionTicks{}
	p.Add(plotter.NewGrid())
	lh := legendHeight(entries)
	return panels([][]*plot.Plot{{p}}, 4.6*vg.Inch+lh, lh, func(c draw.Canvas) { legendRow(c, entries) })
}

// solidLine is a line style usable as a legend thumbnail.
func solidLine(c color.Color, width float64) *plotter.Line {
	return &plotter.Line{LineStyle: draw.LineStyle{Color: c, Width: vg.Points(width)}}
}

// epsTicks puts a labelled tick at every eps of the study, in 1/255 units.
type epsTicks []float64

// Ticks returns one tick per eps between min and max.
func (e epsTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range e {
		x := v * 255
		if x < lo-1e-9 || x > hi+1e-9 {
			continue
		}
		out = append(out, plot.Tick{Value: x, Label: strconv.FormatFloat(math.Round(x*100)/100, 'g', -1, 64)})
	}
	return out
}

// fractionTicks labels an axis from 0 to 1 in steps of 0.2 with minor
// ticks at 0.1.
type fractionTicks struct{}

// Ticks returns the ticks between lo and hi.
func (fractionTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for k := 0; k <= 10; k++ {
		v := float64(k) / 10
		if v < lo-1e-9 || v > hi+1e-9 {
			continue
		}
		t := plot.Tick{Value: v}
		if k%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		out = append(out, t)
	}
	return out
}
