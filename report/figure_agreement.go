package report

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/robustlab/robustlab/study"
)

// agreementFigure draws the seed's S5 comparison: for each saliency method
// a models-by-models matrix of the mean Spearman rank correlation between
// their maps of the same images, side by side. It returns nil without
// agreement results.
func agreementFigure(r *study.Results) ([]byte, error) {
	if len(r.SaliencyAgreement) == 0 {
		return nil, nil
	}
	byName := map[string]*study.ModelResult{}
	for i := range r.Models {
		byName[r.Models[i].Name] = &r.Models[i]
	}
	var row []*plot.Plot
	n := 0
	for _, a := range r.SaliencyAgreement {
		if len(a.Models) < 2 {
			continue // no pair to compare
		}
		names := make([]string, len(a.Models))
		for i, name := range a.Models {
			names[i] = label(byName[name])
		}
		g := &cellGrid{values: a.Matrix, scale: correlationScale, gapAfterCol: -1, fontSize: 9.5,
			format: func(v float64) string { return fmt.Sprintf("%.2f", v) }}
		p := newCellPlot(a.Method+": rank correlation of maps", g, names, names)
		// Column names are turned in a square matrix, whose columns are
		// as narrow as its rows are high.
		turnColumnNames(p)
		row = append(row, p)
		n = max(n, len(a.Models))
	}
	if len(row) == 0 {
		return nil, nil
	}
	// Two matrices side by side at most; more go on further rows.
	var rows [][]*plot.Plot
	for i := 0; i < len(row); i += 2 {
		rows = append(rows, row[i:min(i+2, len(row))])
	}
	// 0.9 inch under each matrix holds its turned column names.
	h := vg.Length(len(rows)) * (2.2*vg.Inch + vg.Length(n)*0.4*vg.Inch)
	return panels(rows, h, 0, nil)
}
