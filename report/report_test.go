package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/study"
)

// writeReport writes r's report into a fresh study folder holding the
// study's saliency grid data, and returns the folder.
func writeReport(t *testing.T, r *study.Results) string {
	t.Helper()
	dir := t.TempDir()
	writeGrid(t, dir, r)
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWriteProducesEveryFile(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	files := []string{MarkdownFile, HTMLFile}
	for _, f := range drawnFigures {
		files = append(files, f.file)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.HasSuffix(f, ".png") {
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Figures are 9 inches wide at the report's resolution.
		if w := img.Bounds().Dx(); w != 9*dpi {
			t.Errorf("%s is %d pixels wide, want %d", f, w, 9*dpi)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// imgSrc matches an <img> tag's src attribute.
var imgSrc = regexp.MustCompile(`<img[^>]*\ssrc="([^"]*)"`)

func TestHTMLIsSelfContained(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, bad := range []string{"<script", "<link", "<iframe", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"?(https?:)?//`).FindString(html); m != "" {
		t.Errorf("report.html fetches from the network: %q", m)
	}
	srcs := imgSrc.FindAllStringSubmatch(html, -1)
	want := len(drawnFigures) + 2 // and a saliency grid per method
	if len(srcs) != want {
		t.Fatalf("report.html has %d images, want %d", len(srcs), want)
	}
	if n := strings.Count(html, "<img"); n != len(srcs) {
		t.Fatalf("%d <img> tags but %d with a src", n, len(srcs))
	}
	for _, s := range srcs {
		b64, ok := strings.CutPrefix(s[1], "data:image/png;base64,")
		if !ok {
			t.Fatalf("image source %.60q is not a PNG data URI", s[1])
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("embedded image: %v", err)
		}
	}
	// The saliency grid is drawn from the saved maps and embedded as
	// written.
	grid, err := os.ReadFile(filepath.Join(dir, "figures", "saliency_grid_gradient.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, base64.StdEncoding.EncodeToString(grid)) {
		t.Error("the saliency grid is not embedded as written")
	}
}

func TestMarkdownLinksExistingFigures(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(string(md), -1)
	if len(links) != len(drawnFigures)+2 {
		t.Fatalf("report.md links %d figures, want %d", len(links), len(drawnFigures)+2)
	}
	for _, l := range links {
		if filepath.IsAbs(l[1]) {
			t.Errorf("link %s is absolute", l[1])
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l[1]))); err != nil {
			t.Errorf("link %s: %v", l[1], err)
		}
	}
}

// markdownTable parses the pipe table under "## Results" into its header
// and rows, undoing the Markdown escapes.
func markdownTable(t *testing.T, md string) (header []string, rows [][]string) {
	t.Helper()
	_, after, ok := strings.Cut(md, "## Results\n\n")
	if !ok {
		t.Fatal("no Results section")
	}
	unescape := strings.NewReplacer(`\|`, "|", `\\`, `\`, `\*`, "*", `\_`, "_", `\[`, "[", `\]`, "]", `\<`, "<", `\>`, ">", `\#`, "#", "\\`", "`")
	for i, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		if i == 1 {
			continue // the alignment row
		}
		var cells []string
		for _, c := range regexp.MustCompile(`\s\|\s?`).Split(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), -1) {
			cells = append(cells, unescape.Replace(strings.TrimSpace(c)))
		}
		if i == 0 {
			header = cells
		} else {
			rows = append(rows, cells)
		}
	}
	return header, rows
}

func TestMarkdownTableMatchesResults(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	header, rows := markdownTable(t, string(md))
	if len(rows) != len(r.Models) {
		t.Fatalf("%d rows for %d models", len(rows), len(r.Models))
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	// Percentages are written independently of the package's formatting.
	p := func(v float64) string { return strconv1(100*v) + "%" }
	for i, m := range r.Models {
		row := rows[i]
		if len(row) != len(header) {
			t.Fatalf("row %d has %d cells for %d columns", i, len(row), len(header))
		}
		if want := m.Name + " — " + m.Label; row[0] != want {
			t.Errorf("row %d model %q, want %q", i, row[0], want)
		}
		checks := map[string]string{
			"Clean":                 p(m.CleanAccuracy),
			"silhouette":            p(m.SplitAccuracy["silhouette"]),
			"Shape bias":            fmt.Sprintf("%.2f", m.ShapeBias.ShapeBias),
			"PGD 8/255":             p(m.RobustAccuracy.PGD[4]),
			"Worst 8/255":           p(m.RobustAccuracy.Worst[4]),
			"uniform":               p(m.Noise.Mean["uniform"]),
			"Object (gradient)":     p(m.Saliency["gradient"].Object),
			"Pointing (smoothgrad)": p(m.Saliency["smoothgrad"].Pointing),
			"Train data":            strings.Split(m.TrainData, "?")[0],
		}
		for name, want := range checks {
			j, ok := col[name]
			if !ok {
				t.Fatalf("no column %q in %v", name, header)
			}
			if row[j] != want {
				t.Errorf("%s, %s: %q, want %q", m.Name, name, row[j], want)
			}
		}
	}
}

// strconv1 writes v with one decimal, rounding half away from zero as a
// person would.
func strconv1(v float64) string {
	r := math.Round(v*10) / 10
	s := fmt.Sprint(r)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func TestMissingOptionalFieldsStillRender(t *testing.T) {
	r := syntheticResults()
	r.SaliencyGrid = ""
	r.SaliencyAgreement = nil
	r.Models[1].Noise = study.Noise{}
	r.Models[2].Saliency = nil
	r.Models[3].RobustAccuracy = study.Robust{}
	delete(r.Models[4].SplitAccuracy, "silhouette")
	dir := writeReport(t, r)
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	header, rows := markdownTable(t, string(md))
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, c := range []struct {
		row  int
		col  string
		want string
	}{
		{1, "salt-pepper", "n/a"}, {1, "gaussian", "n/a"}, {2, "Object (gradient)", "n/a"},
		{3, "PGD 8/255", "n/a"}, {4, "silhouette", "n/a"}, {0, "salt-pepper", "46.8%"},
	} {
		if got := rows[c.row][col[c.col]]; got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
		}
	}
	if strings.Contains(string(md), "saliency_grid") {
		t.Error("report.md links a saliency grid without the study's maps")
	}
	if _, err := os.Stat(filepath.Join(dir, "figures", "saliency_agreement.png")); err == nil {
		t.Error("an agreement figure was drawn without agreement results")
	}
	if !strings.Contains(string(md), "The study did not compare the models' saliency maps.") {
		t.Error("the agreement section does not say it has no results")
	}
}

func TestMinimalResultsRender(t *testing.T) {
	r := &study.Results{Study: "mine", Models: []study.ModelResult{{Name: "only", CleanAccuracy: 0.5}}}
	dir := writeReport(t, r)
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| only | – | – | 50.0% | n/a |", "The study did not attack the models.", "The study did not test the models under noise.",
		"The study did not measure shape bias."} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if strings.Contains(string(md), " 0 test images") || strings.Contains(string(md), "(0 per model)") {
		t.Errorf("report.md describes a measurement made on 0 images:\n%s", md)
	}
	// No figure is drawn: every one needs measurements the study lacks (a
	// shape bias figure would draw an empty bar for a measurement not made).
	entries, err := os.ReadDir(filepath.Join(dir, "figures"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("figures drawn: %v", entries)
	}
}

// TestUnmeasuredIsNotZero reads a results.json whose models lack a clean
// accuracy or made no decision for either cue: the report says n/a, not
// 0.0% or a shape bias.
func TestUnmeasuredIsNotZero(t *testing.T) {
	dir := t.TempDir()
	raw := `{"models": [
		{"name": "a", "shape_bias": {"shape_bias": null, "shape_fraction": 0, "texture_fraction": 0, "neither_fraction": 1, "n": 90}},
		{"name": "b", "clean_accuracy": 0.75, "shape_bias": {"shape_bias": 0.25, "shape_fraction": 0.25, "texture_fraction": 0.75, "neither_fraction": 0, "n": 90}}]}`
	if err := os.WriteFile(filepath.Join(dir, ResultsFile), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.Models[0].CleanAccuracy) || !math.IsNaN(r.Models[0].ShapeBias.ShapeBias) {
		t.Fatalf("unmeasured values read as %v and %v, want NaN", r.Models[0].CleanAccuracy, r.Models[0].ShapeBias.ShapeBias)
	}
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| a | – | – | n/a | n/a |", "| b | – | – | 75.0% | 0.25 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "0.0%") {
		t.Errorf("report.md shows 0.0%% for a measurement not made:\n%s", md)
	}
	// The shape bias figure is drawn for b, with n/a for a.
	if _, err := os.Stat(filepath.Join(dir, "figures", "shape_bias.png")); err != nil {
		t.Error(err)
	}
}

func TestWriteRemovesFiguresOfAbsentMeasurements(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	for i := range r.Models {
		r.Models[i].Noise = study.Noise{}
	}
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"noise_transfer.png", "noise_severity.png"} {
		if _, err := os.Stat(filepath.Join(dir, "figures", f)); err == nil {
			t.Errorf("stale %s left in place", f)
		}
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	a, b := writeReport(t, syntheticResults()), writeReport(t, syntheticResults())
	files := []string{MarkdownFile, HTMLFile}
	for _, f := range drawnFigures {
		files = append(files, f.file)
	}
	for _, f := range files {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two writes of the same results", f)
		}
	}
}

func TestWriteRejectsBadSaliencyGrids(t *testing.T) {
	for _, c := range []struct {
		name string
		prep func(dir string, r *study.Results)
		want string
	}{
		{"missing", func(dir string, r *study.Results) {
			r.SaliencyGrid = "stages/nothing.safetensors"
		}, "nothing.safetensors"},
		{"not safetensors", func(dir string, r *study.Results) {
			os.WriteFile(filepath.Join(dir, "grid.safetensors"), []byte("GIF89a"), 0o644)
			r.SaliencyGrid = "grid.safetensors"
		}, "grid.safetensors"},
		{"a model without maps", func(dir string, r *study.Results) {
			r.Models[2].Name = "ghost"
		}, "no gradient maps of model ghost"},
		{"leaves the folder", func(dir string, r *study.Results) {
			r.SaliencyGrid = "../grid.safetensors"
		}, "leaves the study folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := syntheticResults()
			dir := t.TempDir()
			writeGrid(t, dir, r)
			c.prep(dir, r)
			for i := range r.SaliencyAgreement {
				r.SaliencyAgreement[i].Models = []string{r.Models[0].Name}
				r.SaliencyAgreement[i].Matrix = [][]float64{{1}}
			}
			err := Write(dir, r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestGridIsDrawnFromTheSavedMaps: the report's grid is what
// saliency.RenderGrid draws from the grid data, byte for byte.
func TestGridIsDrawnFromTheSavedMaps(t *testing.T) {
	r := syntheticResults()
	dir := writeReport(t, r)
	g, err := study.LoadGrid(filepath.Join(dir, r.SaliencyGrid))
	if err != nil {
		t.Fatal(err)
	}
	var rows []saliency.Row
	for i := range r.Models {
		rows = append(rows, saliency.Row{Label: r.Models[i].Label, Maps: g.Maps["smoothgrad"][r.Models[i].Name]})
	}
	img, err := saliency.RenderGrid(g.Images, g.Captions, rows, saliency.RenderOptions{
		Title: "SmoothGrad (Smilkov et al. 2017): |map| (max over colour channels) for the true class, one row per model"})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := png.Encode(&want, img); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "figures", "saliency_grid_smoothgrad.png"))
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the grid drawn differs from the maps' rendering (%v)", err)
	}
}
