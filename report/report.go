// Package report turns a study's folder (results.json and the saliency
// maps the study kept for its grids) into a report a researcher can show: report.md with PNG figures beside it and report.html, one
// self-contained file with every figure embedded, which opens from disk in
// any browser and prints cleanly.
//
// The report leads with findings computed from the numbers, an overview of
// how shape bias, adversarial and noise robustness and the saliency maps'
// alignment with the object move together across the models (the seed's
// question), and a results table; then one section per measurement:
// accuracy under attack over eps, shape bias against the published
// ImageNet references, the noise transfer matrix, where saliency mass
// falls, and how alike the models' maps are. Every number comes from
// results.json; a section whose measurements are absent says so instead
// of failing.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/internal/version"
	"github.com/robustlab/robustlab/study"
)

// The files Write produces in the study's folder.
const (
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	// FiguresDir holds the figures the report draws.
	FiguresDir = "figures"
)

// Write draws the report of r into dir, the study's folder: the figures
// into dir/figures (the saliency grids from the maps r.SaliencyGrid names),
// then dir/report.md and dir/report.html, each written atomically.
func Write(dir string, r *study.Results) error {
	if err := Check(r); err != nil {
		return fmt.Errorf("report of %s: %w", dir, err)
	}
	grids, err := gridFigures(dir, r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	drawn := map[string][]byte{}
	for _, f := range drawnFigures {
		png, err := f.draw(r)
		if err != nil {
			return fmt.Errorf("report: draw %s: %w", f.file, err)
		}
		file := filepath.Join(dir, filepath.FromSlash(f.file))
		if png == nil {
			// The measurement is absent now: a figure left by an earlier
			// report of this folder would only mislead.
			if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("report: %w", err)
			}
			continue
		}
		if err := atomicfile.WriteFile(file, png); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		drawn[f.file] = png
	}
	for _, g := range grids {
		if err := atomicfile.WriteFile(filepath.Join(dir, filepath.FromSlash(g.file)), g.png); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	doc := buildDocument(r, drawn, grids)
	var md, html bytes.Buffer
	writeMarkdown(&md, doc)
	if err := writeHTML(&html, doc); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, MarkdownFile), md.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, HTMLFile), html.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// drawnFigure is a figure the report draws and the file it goes to,
// relative to the study's folder.
type drawnFigure struct {
	file string
	draw func(*study.Results) ([]byte, error)
}

// drawnFigures are the report's own figures.
var drawnFigures = []drawnFigure{
	{"figures/overview_links.png", linksFigure},
	{"figures/robust_accuracy.png", robustFigure},
	{"figures/shape_bias.png", shapeBiasFigure},
	{"figures/noise_transfer.png", noiseHeatmapFigure},
	{"figures/noise_severity.png", noiseSeverityFigure},
	{"figures/mask_alignment.png", maskAlignmentFigure},
	{"figures/saliency_agreement.png", agreementFigure},
}

// document is the report's content, written out as Markdown or HTML.
type document struct {
	Title    string
	Meta     []metaItem
	Findings []Finding
	Table    table
	Sections []section
	Models   []modelNote
}

// metaItem is one line of the report's header; Wide ones take a whole
// row in HTML.
type metaItem struct {
	Key, Value string
	Wide       bool
}

// section is a part of the report: what was done, its figures, and a note
// when its measurements are absent.
type section struct {
	ID, Title  string
	Paragraphs []string
	Figures    []figureRef
	Missing    string
}

// figureRef is a figure in a section: its file relative to the study's
// folder (slash-separated), its PNG bytes and words for it.
type figureRef struct {
	File, Alt, Caption string
	PNG                []byte
}

// modelNote is how a model was trained, listed at the report's end.
type modelNote struct {
	Name, Label, Description, Details string
	Warnings                          []string
}

// buildDocument assembles the report from r, the figures drawn (by file)
// and the saliency grids.
func buildDocument(r *study.Results, drawn map[string][]byte, grids []gridFigure) document {
	fig := func(file, alt, caption string) []figureRef {
		if png, ok := drawn[file]; ok {
			return []figureRef{{File: file, Alt: alt, Caption: caption, PNG: png}}
		}
		return nil
	}
	doc := document{
		Title:    "robustlab report: " + orDash(r.Study),
		Meta:     metaItems(r),
		Findings: Findings(r),
		Table:    resultsTable(r),
	}
	doc.Sections = append(doc.Sections, section{
		ID: "overview", Title: "Overview: how the measures move together",
		Paragraphs: []string{"Each point is one model, in the colour it has in every figure. The panels set shape bias, adversarial robustness, corruption robustness and the share of gradient mass on the object against each other: the seed's question is whether these properties are linked. The rank correlations over so few models are a description of this study, not a test of a law."},
		Figures:    fig("figures/overview_links.png", "Scatter plots of shape bias, robustness and saliency alignment, one point per model", "Pairs of measures across the models, with their Spearman rank correlation."),
		Missing:    "No pair of measures was available for two or more models.",
	})
	doc.Sections = append(doc.Sections, robustSection(r, fig))
	doc.Sections = append(doc.Sections, shapeBiasSection(r, fig))
	doc.Sections = append(doc.Sections, noiseSection(r, fig))
	doc.Sections = append(doc.Sections, saliencySection(r, fig, grids))
	doc.Sections = append(doc.Sections, section{
		ID: "agreement", Title: "Do the models' saliency maps agree? (S5)",
		Paragraphs: []string{"For each pair of models and each saliency method, the Spearman rank correlation between their maps of the same test image, averaged over the images: 1 means the two models rank the pixels alike, 0 means unrelated maps. In the seed, the maps of a Stylized-ImageNet-trained ResNet-50 barely differ from a standard one's, while an adversarially trained model's differ a lot."},
		Figures:    fig("figures/saliency_agreement.png", "Matrices of rank correlation between the models' saliency maps", "Mean rank correlation between two models' maps of the same images, per method."),
		Missing:    "The study did not compare the models' saliency maps.",
	})
	for i := range r.Models {
		doc.Models = append(doc.Models, modelNoteOf(&r.Models[i]))
	}
	return doc
}

// metaItems is the report's header: what was run, how and for how long.
func metaItems(r *study.Results) []metaItem {
	v := orDash(r.Version)
	if r.Version != version.Version {
		v += " (report drawn by " + version.Version + ")"
	}
	created := "–"
	if !r.Created.IsZero() {
		created = r.Created.UTC().Format("2006-01-02 15:04 UTC")
	}
	size := "–"
	if r.ImageSize > 0 {
		size = fmt.Sprintf("%d×%d", r.ImageSize, r.ImageSize)
	}
	return []metaItem{
		{Key: "Study", Value: orDash(r.Study)},
		{Key: "Preset", Value: orDash(r.Preset)},
		{Key: "Seed", Value: fmt.Sprint(r.Seed)},
		{Key: "robustlab version", Value: v},
		{Key: "Results written", Value: created},
		{Key: "Total compute time", Value: durationText(r.Seconds)},
		{Key: "Architecture", Value: orDash(r.Arch)},
		{Key: "Image size", Value: size},
		{Key: "Models", Value: fmt.Sprint(len(r.Models))},
		{Key: "Test images per evaluation", Value: testImages(r), Wide: true},
	}
}

// durationText writes seconds as a duration rounded to the second.
func durationText(seconds float64) string {
	if seconds <= 0 {
		return "–"
	}
	return (time.Duration(seconds * float64(time.Second))).Round(time.Second).String()
}

// testImages says how many test images each evaluation used, all values
// when models differ.
func testImages(r *study.Results) string {
	var parts []string
	for _, e := range []struct {
		name string
		n    func(*study.ModelResult) int
	}{
		{"cue-conflict", func(m *study.ModelResult) int { return m.ShapeBias.N }},
		{"attacks", func(m *study.ModelResult) int { return m.RobustAccuracy.N }},
		{"noise (per severity)", func(m *study.ModelResult) int { return m.Noise.N }},
		{"saliency", func(m *study.ModelResult) int {
			n := 0
			for _, s := range m.Saliency {
				n = max(n, s.N)
			}
			return n
		}},
	} {
		var vals []string
		for i := range r.Models {
			if n := e.n(&r.Models[i]); n > 0 {
				s := fmt.Sprint(n)
				if !slices.Contains(vals, s) {
					vals = append(vals, s)
				}
			}
		}
		if len(vals) > 0 {
			parts = append(parts, e.name+" "+strings.Join(vals, "/"))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// measured is a section's description of how its measurement was made,
// none when it was made on no images (the section's Missing note says so
// instead of "0 test images").
func measured(n int, text string) []string {
	if n == 0 {
		return nil
	}
	return []string{text}
}

// robustSection describes the attacks and shows accuracy over eps.
func robustSection(r *study.Results, fig func(file, alt, caption string) []figureRef) section {
	steps, n := 0, 0
	for _, m := range r.Models {
		steps, n = max(steps, m.RobustAccuracy.Steps), max(n, m.RobustAccuracy.N)
	}
	eps := make([]string, len(r.Eps))
	for i, e := range r.Eps {
		eps[i] = epsText(e)
	}
	text := fmt.Sprintf("Each model was attacked with FGSM (one step) and PGD (%d steps from a random start) under an L∞ budget eps of %s of the [0,1] pixel range, on %d test images, in evaluation mode, and with APGD-CE and APGD-T (Croce & Hein 2020; 10 iterations, 3 target classes), which a model that masks its gradients does not escape. A robust model keeps its accuracy as eps grows; the worst case in the table counts an image as lost if any attack fools the model.",
		steps, orDash(strings.Join(eps, ", ")), n)
	return section{
		ID: "robustness", Title: "Accuracy under adversarial attack (S1, S6)",
		Paragraphs: measured(n, text),
		Figures:    fig("figures/robust_accuracy.png", "Accuracy against eps, one line per model, PGD solid and FGSM dashed", "Accuracy under attack against eps (in 1/255 units): PGD solid, FGSM dashed."),
		Missing:    "The study did not attack the models.",
	}
}

// shapeBiasSection describes the cue-conflict test and shows shape bias.
func shapeBiasSection(r *study.Results, fig func(file, alt, caption string) []figureRef) section {
	n := 0
	for _, m := range r.Models {
		n = max(n, m.ShapeBias.N)
	}
	text := fmt.Sprintf("Each cue-conflict image (%d per model) has the shape of one class filled with the home texture of another. Shape bias is the fraction of the decisions that follow the shape among those that follow either cue (Geirhos et al. 2019); decisions for neither class are left out of it and shown on the right. The dashed lines are the published ImageNet values (ResNet-50 0.21, Stylized-ImageNet-trained ResNet-50 0.81, humans 0.96), measured on other images and drawn for scale only.", n)
	return section{
		ID: "shape-bias", Title: "Shape vs texture bias (S3, S4)",
		Paragraphs: measured(n, text),
		Figures:    fig("figures/shape_bias.png", "Shape bias per model with ImageNet reference lines, and the split of cue-conflict decisions", "Shape bias per model with the "+referenceCitation+"; right, all cue-conflict decisions split into shape, texture and neither."),
		Missing:    "The study did not measure shape bias.",
	}
}

// noiseSection describes the noise tests and shows the transfer matrix.
func noiseSection(r *study.Results, fig func(file, alt, caption string) []figureRef) section {
	n := 0
	for _, m := range r.Models {
		n = max(n, m.Noise.N)
	}
	text := fmt.Sprintf("Each model was tested on %d test images under each noise family (%s) at severities %s. A cell of the matrix is the mean accuracy over the severities; the clean column is the accuracy without noise, for reference. In the seed, training on salt-and-pepper noise makes a model robust to it but barely to uniform noise: read along a noise-trained model's row.",
		n, orDash(strings.Join(r.NoiseFamilies, ", ")), orDash(severityRange(r)))
	return section{
		ID: "noise", Title: "Noise robustness and transfer (S2)",
		Paragraphs: measured(n, text),
		Figures: append(fig("figures/noise_transfer.png", "Matrix of mean accuracy, models by test noise families", "Mean accuracy under each test noise (rows: models; columns: noise families); a frame marks the noise a model was trained with."),
			fig("figures/noise_severity.png", "Accuracy against severity, one panel per noise family", "Accuracy against severity per noise family; severity 0 is clean accuracy.")...),
		Missing: "The study did not test the models under noise.",
	}
}

// saliencySection shows the study's saliency grids and the mask metrics.
func saliencySection(r *study.Results, fig func(file, alt, caption string) []figureRef, grids []gridFigure) section {
	var figs []figureRef
	for _, g := range grids {
		name := "Saliency grid (" + g.method + ")"
		figs = append(figs, figureRef{File: g.file, Alt: name, Caption: name + ": test images and each model's maps of them.", PNG: g.png})
	}
	figs = append(figs, fig("figures/mask_alignment.png", "Share of saliency mass on the object's boundary, interior and background, and pointing-game rates", "Where each model's saliency mass falls, with the object's area (▲) as the share a map blind to the object would get; right, the pointing game.")...)
	methods := saliencyMethods(r)
	n := 0
	for _, m := range r.Models {
		for _, s := range m.Saliency {
			n = max(n, s.N)
		}
	}
	text := fmt.Sprintf("Saliency maps (%s) explain each model's logit for the true class of %d test images. Since the shapes data set knows every object's mask, the maps are scored exactly: the share of the map's mass on the object's boundary band (where the shape is), in its interior (where the texture is) and on the background, and the pointing game (does the map peak on the object?). In the seed, an adversarially trained model's input gradients sit on the object (Tsipras et al. 2019).",
		orDash(strings.Join(methods, ", ")), n)
	return section{
		ID: "saliency", Title: "Where the saliency maps fall (S1)",
		Paragraphs: measured(n, text),
		Figures:    figs,
		Missing:    "The study did not compute saliency maps.",
	}
}

// modelNoteOf describes how m was trained.
func modelNoteOf(m *study.ModelResult) modelNote {
	var details []string
	if m.Regime != "" {
		details = append(details, "regime "+m.Regime)
	}
	if m.TrainData != "" {
		details = append(details, "trained on "+m.TrainData)
	}
	if m.Epochs > 0 {
		details = append(details, fmt.Sprintf("%d epochs", m.Epochs))
	}
	if m.TrainSeconds > 0 {
		details = append(details, "training time "+durationText(m.TrainSeconds))
	}
	if m.ModelFile != "" {
		details = append(details, "model file "+m.ModelFile)
	}
	return modelNote{Name: m.Name, Label: label(m), Description: m.Description,
		Details: strings.Join(details, "; "), Warnings: m.RobustAccuracy.Warnings}
}
