package report

import (
	"bytes"
	"fmt"
	"image/png"
	"path/filepath"

	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/study"
)

// gridFigure is a saliency grid the report draws: its file relative to the
// study's folder, its method and its PNG.
type gridFigure struct {
	file, method string
	png          []byte
}

// methodTitle names the study's saliency methods in grid titles.
var methodTitle = map[string]string{
	"gradient":   "Gradient (Simonyan et al. 2014)",
	"smoothgrad": "SmoothGrad (Smilkov et al. 2017)",
}

// gridFigures draws the seed's cover figure for each saliency method of
// the study's grid data (r.SaliencyGrid, relative to dir): the test images,
// then a row of maps per model, in the study's order. None without grid
// data.
func gridFigures(dir string, r *study.Results) ([]gridFigure, error) {
	if r.SaliencyGrid == "" {
		return nil, nil
	}
	file := filepath.Join(dir, filepath.FromSlash(r.SaliencyGrid))
	g, err := study.LoadGrid(file)
	if err != nil {
		return nil, fmt.Errorf("report: saliency grid: %w", err)
	}
	var out []gridFigure
	for _, method := range ordered(keySet(g.Maps), []string{"gradient", "smoothgrad"}) {
		var rows []saliency.Row
		for i := range r.Models {
			m := &r.Models[i]
			maps, ok := g.Maps[method][m.Name]
			if !ok {
				return nil, fmt.Errorf("report: %s has no %s maps of model %s", file, method, m.Name)
			}
			rows = append(rows, saliency.Row{Label: label(m), Maps: maps})
		}
		title := methodTitle[method]
		if title == "" {
			title = method
		}
		img, err := saliency.RenderGrid(g.Images, g.Captions, rows, saliency.RenderOptions{
			Title: title + ": |map| (max over colour channels) for the true class, one row per model"})
		if err != nil {
			return nil, fmt.Errorf("report: saliency grid %s: %w", method, err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return nil, err
		}
		out = append(out, gridFigure{file: FiguresDir + "/saliency_grid_" + method + ".png", method: method, png: b.Bytes()})
	}
	return out, nil
}

// keySet is the set of m's keys.
func keySet[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
