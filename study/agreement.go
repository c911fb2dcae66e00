package study

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
)

// The last stage compares the models' saliency maps (S5 of the seed) and
// keeps the first GridImages test images with every model's maps of them,
// from which the report draws the seed's cover figure.

// GridFile holds the grid's data, relative to the study's folder
// (slash-separated, as results.json writes it).
const GridFile = StagesDir + "/saliency_grid.safetensors"

// agreementFile is the last stage's file, relative to the study's folder.
var agreementFile = filepath.Join(StagesDir, "saliency_agreement.json")

// agreementRecord is the last stage's result.
type agreementRecord struct {
	Agreement []Agreement `json:"agreement"`
	Grid      string      `json:"grid"`
}

// agreementStage compares the models' maps (Spearman rank correlation per
// image, averaged) per method and writes the grid's data.
func (r *runner) agreementStage() stage {
	sp := r.spec.Eval.Saliency
	return stage{
		name: "saliency across models (rank correlations, grids)",
		file: agreementFile,
		cost: float64(len(r.spec.Models) * sp.GridImages),
		run: func(ctx context.Context) (any, error) {
			k := min(sp.GridImages, sp.N)
			grid := &Grid{Maps: map[string]map[string]*tensor.Tensor{}}
			var err error
			if grid.Images, grid.Captions, err = r.gridImages(k); err != nil {
				return nil, err
			}
			all := map[string]map[string]*tensor.Tensor{}
			var names []string
			for _, m := range r.spec.Models {
				ts, _, err := modelio.LoadTensors(r.mapsFile(m.Name))
				if err != nil {
					return nil, err
				}
				all[m.Name] = ts
				names = append(names, m.Name)
			}
			rec := agreementRecord{Grid: GridFile}
			for _, mn := range sp.Methods {
				var reps []*saliency.Report
				grid.Maps[mn] = map[string]*tensor.Tensor{}
				for _, name := range names {
					maps, ok := all[name][mn]
					if !ok {
						return nil, fmt.Errorf("%s has no %s maps", r.mapsFile(name), mn)
					}
					reps = append(reps, &saliency.Report{Name: name, Maps: maps})
					grid.Maps[mn][name] = maps.Slice(0, k)
				}
				pairs, err := saliency.Compare(reps)
				if err != nil {
					return nil, err
				}
				rec.Agreement = append(rec.Agreement, agreementOf(mn, names, pairs))
			}
			if err := grid.Save(filepath.Join(r.out, filepath.FromSlash(GridFile))); err != nil {
				return nil, err
			}
			return rec, nil
		},
	}
}

// agreementOf is the symmetric matrix of pairs' mean correlations, 1 on the
// diagonal.
func agreementOf(method string, names []string, pairs []saliency.Pair) Agreement {
	ag := Agreement{Method: method, Models: names, Matrix: make([][]float64, len(names))}
	for i := range names {
		ag.Matrix[i] = make([]float64, len(names))
		ag.Matrix[i][i] = 1
	}
	idx := map[string]int{}
	for i, n := range names {
		idx[n] = i
	}
	for _, p := range pairs {
		i, j := idx[p.A], idx[p.B]
		ag.Matrix[i][j], ag.Matrix[j][i] = p.Spearman.Mean, p.Spearman.Mean
	}
	return ag
}

// gridImages reads the first k test images and names their classes.
func (r *runner) gridImages(k int) (*tensor.Tensor, []string, error) {
	ds, err := r.open("test", k)
	if err != nil {
		return nil, nil, err
	}
	info := ds.Info()
	images := tensor.New(k, info.Channels, info.Height, info.Width)
	captions := make([]string, k)
	var ex data.Example
	for i := range k {
		if err := ds.Get(i, &ex); err != nil {
			return nil, nil, err
		}
		copy(images.Index(i).Data(), ex.Image)
		captions[i] = info.Classes[ex.Label]
	}
	return images, captions, nil
}

func assembleAgreement(read func(v any) error, res *Results) error {
	var rec agreementRecord
	if err := read(&rec); err != nil {
		return err
	}
	res.SaliencyAgreement, res.SaliencyGrid = rec.Agreement, rec.Grid
	return nil
}

// Grid is the data of the saliency grids: test images, their classes, and
// every model's aggregated maps of them per method, Maps[method][model]
// ([N,H,W]).
type Grid struct {
	Images   *tensor.Tensor
	Captions []string
	Maps     map[string]map[string]*tensor.Tensor
}

// Save writes g to file as safetensors: "images", and "maps/METHOD/MODEL" per map,
// the captions in the metadata.
func (g *Grid) Save(file string) error {
	ts := map[string]*tensor.Tensor{"images": g.Images}
	for method, byModel := range g.Maps {
		for model, m := range byModel {
			ts["maps/"+method+"/"+model] = m
		}
	}
	captions, err := json.Marshal(g.Captions)
	if err != nil {
		return err
	}
	return modelio.SaveTensors(file, ts, map[string]string{"captions": string(captions)})
}

// LoadGrid reads the grid data a study wrote (Results.SaliencyGrid).
func LoadGrid(file string) (*Grid, error) {
	ts, meta, err := modelio.LoadTensors(file)
	if err != nil {
		return nil, err
	}
	g := &Grid{Images: ts["images"], Maps: map[string]map[string]*tensor.Tensor{}}
	if g.Images == nil || g.Images.NDim() != 4 {
		return nil, fmt.Errorf("%s: no images [N C H W]", file)
	}
	if err := json.Unmarshal([]byte(meta["captions"]), &g.Captions); err != nil || len(g.Captions) != g.Images.Dim(0) {
		return nil, fmt.Errorf("%s: the captions metadata does not name the %d images' classes", file, g.Images.Dim(0))
	}
	n, h, w := g.Images.Dim(0), g.Images.Dim(2), g.Images.Dim(3)
	for key, t := range ts {
		rest, ok := strings.CutPrefix(key, "maps/")
		if !ok {
			continue
		}
		method, model, ok := strings.Cut(rest, "/")
		if !ok || !tensor.SameShape(t.Shape(), []int{n, h, w}) {
			return nil, fmt.Errorf("%s: tensor %q of shape %s is not a map [%d %d %d] named maps/METHOD/MODEL", file, key, tensor.FormatShape(t.Shape()), n, h, w)
		}
		if g.Maps[method] == nil {
			g.Maps[method] = map[string]*tensor.Tensor{}
		}
		g.Maps[method][model] = t
	}
	return g, nil
}
