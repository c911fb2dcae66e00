package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/robustlab/robustlab/study"
)

// measure is one number per model that the overview sets against
// another; value is NaN where a model lacks it.
type measure struct {
	name  string
	value func(m *study.ModelResult) float64
}

// link is a pair of measures and their rank correlation over the models
// that have both.
type link struct {
	x, y measure
	xs   []float64
	ys   []float64
	who  []int // model indices of the pairs
	rho  float64
}

// links are the pairs of measures the seed asks about: shape bias,
// adversarial robustness, corruption robustness and where the gradients
// fall, each pair over the models that have both.
func links(r *study.Results) []link {
	shape := measure{"shape bias", shapeBias}
	var out []link
	var pairs [][2]measure
	if k, ok := middleEps(r); ok {
		pgd := measure{"PGD accuracy at eps " + epsText(r.Eps[k]), func(m *study.ModelResult) float64 {
			return at(m.RobustAccuracy.PGD, k)
		}}
		pairs = append(pairs, [2]measure{shape, pgd})
		if method := primaryMethod(r); method != "" {
			pairs = append(pairs, [2]measure{objectMeasure(method), pgd})
		}
	}
	if method := primaryMethod(r); method != "" {
		pairs = append(pairs, [2]measure{shape, objectMeasure(method)})
	}
	if len(r.NoiseFamilies) > 0 {
		pairs = append(pairs, [2]measure{shape, measure{"mean accuracy under all test noises", func(m *study.ModelResult) float64 {
			s := 0.0
			for _, f := range r.NoiseFamilies {
				s += noiseMean(m, f)
			}
			return s / float64(len(r.NoiseFamilies))
		}}})
	}
	for _, p := range pairs {
		l := link{x: p[0], y: p[1]}
		for i := range r.Models {
			x, y := p[0].value(&r.Models[i]), p[1].value(&r.Models[i])
			if math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			l.xs, l.ys, l.who = append(l.xs, x), append(l.ys, y), append(l.who, i)
		}
		if len(l.who) < 2 {
			continue
		}
		l.rho = spearman(l.xs, l.ys)
		out = append(out, l)
	}
	return out
}

// objectMeasure is the share of a method's saliency mass on the object.
func objectMeasure(method string) measure {
	return measure{method + " mass on the object", func(m *study.ModelResult) float64 {
		s, ok := m.Saliency[method]
		if !ok {
			return math.NaN()
		}
		return s.Object
	}}
}

// rhoText writes a rank correlation with its sample size.
func rhoText(rho float64, n int) string {
	if math.IsNaN(rho) {
		return fmt.Sprintf("rank correlation undefined (n = %d)", n)
	}
	return fmt.Sprintf("Spearman ρ = %.2f (n = %d)", rho, n)
}

// linksFigure is the report's overview: a scatter plot per pair of
// measures, one point per model in its colour, so that how shape bias,
// robustness and saliency move together across the models shows at a
// glance. It returns nil when no pair has two models.
func linksFigure(r *study.Results) ([]byte, error) {
	ls := links(r)
	if len(ls) == 0 {
		return nil, nil
	}
	var rows [][]*plot.Plot
	shown := map[int]bool{}
	for k, l := range ls {
		p := newPlot(rhoText(l.rho, len(l.who)), l.x.name, l.y.name)
		p.Title.TextStyle.Font.Size = vg.Points(10.5)
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		p.X.Tick.Marker, p.Y.Tick.Marker = fractionTicks{}, fractionTicks{}
		p.Add(plotter.NewGrid())
		for j, i := range l.who {
			s, err := plotter.NewScatter(plotter.XYs{{X: l.xs[j], Y: l.ys[j]}})
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: modelColour(i), Shape: modelGlyph(i), Radius: vg.Points(4.5)}
			p.Add(s)
			shown[i] = true
		}
		if k%2 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], p)
	}
	var entries []legendEntry
	for i := range r.Models {
		if shown[i] {
			e := modelEntry(r, i)
			e.thumbs = e.thumbs[1:] // the glyph only: points here have no lines
			entries = append(entries, e)
		}
	}
	lh := legendHeight(entries)
	h := vg.Length(len(rows))*3.6*vg.Inch + lh
	return panels(rows, h, lh, func(c draw.Canvas) { legendRow(c, entries) })
}
