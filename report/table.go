package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/robustlab/robustlab/study"
)

// table is the results table: one row per model, every cell already
// formatted, so that Markdown and HTML show the same text.
type table struct {
	Header []string
	Rows   [][]string
	// Labels are the models' figure labels, one per row, "" where the
	// label is the name; they are shown beside the Model column's name.
	Labels []string
	// Numeric marks the columns that hold numbers (right-aligned).
	Numeric []bool
	// Notes explain columns whose meaning a header cannot hold.
	Notes []string
}

// resultsTable builds the table: model, regime, training data, clean and
// cue-split accuracy, shape bias, PGD and worst-case accuracy at the
// middle eps, mean accuracy per noise family, and per saliency method the
// object share and the pointing-game rate. Missing measurements show
// n/a.
func resultsTable(r *study.Results) table {
	t := table{}
	col := func(name string, numeric bool) {
		t.Header = append(t.Header, name)
		t.Numeric = append(t.Numeric, numeric)
	}
	col("Model", false)
	col("Regime", false)
	col("Train data", false)
	col("Clean", true)
	splits := splitNames(r)
	for _, s := range splits {
		col(s, true)
	}
	col("Shape bias", true)
	k, hasEps := middleEps(r)
	if hasEps {
		e := epsText(r.Eps[k])
		col("PGD "+e, true)
		col("Worst "+e, true)
		steps := 0
		for _, m := range r.Models {
			steps = max(steps, m.RobustAccuracy.Steps)
		}
		t.Notes = append(t.Notes, fmt.Sprintf("PGD %s is accuracy under PGD (%d steps, L∞, eps %s); Worst %s is the per-image worst case over FGSM, PGD, APGD-CE and APGD-T at the same eps.", e, steps, e, e))
	}
	for _, f := range r.NoiseFamilies {
		col(f, true)
	}
	if len(r.NoiseFamilies) > 0 {
		t.Notes = append(t.Notes, "Noise columns ("+strings.Join(r.NoiseFamilies, ", ")+") are the mean accuracy over severities "+severityRange(r)+".")
	}
	methods := saliencyMethods(r)
	for _, m := range methods {
		col("Object ("+m+")", true)
		col("Pointing ("+m+")", true)
	}
	if len(methods) > 0 {
		t.Notes = append(t.Notes, "Object is the share of the saliency map's mass on the object; Pointing is the fraction of images whose map peaks on the object.")
	}
	t.Notes = append(t.Notes, "Shape bias is shape / (shape + texture) decisions on cue-conflict images (0 = all texture, 1 = all shape); accuracies are percentages; n/a means not measured. Train data names the data set; its options are under Models.")

	for i := range r.Models {
		m := &r.Models[i]
		row := []string{m.Name}
		if l := label(m); l != m.Name {
			t.Labels = append(t.Labels, l)
		} else {
			t.Labels = append(t.Labels, "")
		}
		// The data set without its options keeps the column narrow; the
		// Models list gives the whole spec.
		data, _, _ := strings.Cut(m.TrainData, "?")
		row = append(row, orDash(m.Regime), orDash(data), pct(m.CleanAccuracy))
		for _, s := range splits {
			row = append(row, pct(splitAccuracy(m, s)))
		}
		sb := "n/a"
		if v := shapeBias(m); !math.IsNaN(v) {
			sb = fmt.Sprintf("%.2f", v)
		}
		row = append(row, sb)
		if hasEps {
			row = append(row, pct(at(m.RobustAccuracy.PGD, k)), pct(at(m.RobustAccuracy.Worst, k)))
		}
		for _, f := range r.NoiseFamilies {
			row = append(row, pct(noiseMean(m, f)))
		}
		for _, method := range methods {
			obj, pt := math.NaN(), math.NaN()
			if s, ok := m.Saliency[method]; ok {
				obj, pt = s.Object, s.Pointing
			}
			row = append(row, pct(obj), pct(pt))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// orDash is s, or a dash for an empty s.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
