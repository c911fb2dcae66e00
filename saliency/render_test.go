package saliency

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/tensor"
)

func hexRGB(t *testing.T, h string) [3]float64 {
	t.Helper()
	m, err := NewColorMap("one", h, h)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b := m.At(0)
	return [3]float64{r, g, b}
}

func near(a, b [3]float64) bool {
	return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 && math.Abs(a[2]-b[2]) < 1e-9
}

func TestColorMaps(t *testing.T) {
	at := func(m *ColorMap, v float64) [3]float64 {
		r, g, b := m.At(v)
		return [3]float64{r, g, b}
	}
	for _, c := range []struct {
		m   *ColorMap
		v   float64
		hex string
	}{
		{Viridis, 0, "#440154"}, {Viridis, 0.5, "#21908c"}, {Viridis, 1, "#fde725"}, {Viridis, 7, "#fde725"},
		{Viridis, math.NaN(), "#440154"}, {Viridis, -1, "#440154"},
		{BlueWhiteRed, 0, "#2166ac"}, {BlueWhiteRed, 0.5, "#f7f7f7"}, {BlueWhiteRed, 1, "#b2182b"},
	} {
		if got, want := at(c.m, c.v), hexRGB(t, c.hex); !near(got, want) {
			t.Errorf("%s at %g = %v, want %s", c.m.Name, c.v, got, c.hex)
		}
	}
	// Halfway between the first two stops of viridis.
	a, b := hexRGB(t, "#440154"), hexRGB(t, "#472d7b")
	if got := at(Viridis, 1.0/16); !near(got, [3]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2}) {
		t.Errorf("viridis at 1/16 = %v", got)
	}
	// A sequential map must get lighter all the way: its luma rises.
	prev := -1.0
	for k := 0; k <= 100; k++ {
		c := at(Viridis, float64(k)/100)
		luma := 0.299*c[0] + 0.587*c[1] + 0.114*c[2]
		if luma <= prev {
			t.Fatalf("viridis luma falls at %g", float64(k)/100)
		}
		prev = luma
	}
	// The diverging map is lightest at zero and symmetric in lightness.
	for k := 1; k <= 10; k++ {
		lo, hi := at(BlueWhiteRed, 0.5-float64(k)/20), at(BlueWhiteRed, 0.5+float64(k)/20)
		mid := at(BlueWhiteRed, 0.5)
		l := func(c [3]float64) float64 { return c[0] + c[1] + c[2] }
		if !(l(lo) < l(mid) && l(hi) < l(mid)) || lo[2] <= lo[0] || hi[0] <= hi[2] {
			t.Fatalf("blue-white-red at ±%g: %v %v", float64(k)/20, lo, hi)
		}
	}
	for _, bad := range [][]string{{"#000000"}, {"#000000", "red"}, {"#00000", "#ffffff"}, {"#0000001", "#ffffff"}} {
		if _, err := NewColorMap("bad", bad...); err == nil {
			t.Errorf("colour map %v accepted", bad)
		}
	}
}

func pixel(img data.Image, p int) [3]float64 {
	hw := img.H * img.W
	return [3]float64{float64(img.Pix[p]), float64(img.Pix[hw+p]), float64(img.Pix[2*hw+p])}
}

func near32(a, b [3]float64) bool {
	return math.Abs(a[0]-b[0]) < 1e-6 && math.Abs(a[1]-b[1]) < 1e-6 && math.Abs(a[2]-b[2]) < 1e-6
}

func TestHeatAndOverlay(t *testing.T) {
	values := []float32{0, 1, -2, 4, 8, 0.5}
	heat, err := Heat(values, 2, 3, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range [][3]float64{hexRGB(t, "#440154"), {}, {}, hexRGB(t, "#fde725"), hexRGB(t, "#fde725")} {
		if want != ([3]float64{}) && !near32(pixel(heat, p), want) {
			t.Errorf("sequential pixel %d = %v, want %v", p, pixel(heat, p), want)
		}
	}
	// |-2|/4 = 1/2: viridis's middle.
	if !near32(pixel(heat, 2), hexRGB(t, "#21908c")) {
		t.Errorf("sequential |-2|/4 = %v", pixel(heat, 2))
	}
	signed, _ := Heat(values, 2, 3, 4, true)
	for p, hex := range map[int]string{0: "#f7f7f7", 3: "#b2182b", 4: "#b2182b"} {
		if !near32(pixel(signed, p), hexRGB(t, hex)) {
			t.Errorf("signed pixel %d = %v, want %s", p, pixel(signed, p), hex)
		}
	}
	if r, _, b := BlueWhiteRed.At(0.25); !near32(pixel(signed, 2), [3]float64{r, pixel(signed, 2)[1], b}) {
		t.Errorf("signed -2/4 = %v", pixel(signed, 2))
	}
	flat, _ := Heat(values, 2, 3, 0, false)
	for p := range values {
		if !near32(pixel(flat, p), hexRGB(t, "#440154")) {
			t.Fatal("a zero scale does not draw everything as zero")
		}
	}
	// Overlay on a grey image: the image shows where the map is 0, the
	// colour at 85% where it is at full scale.
	img := data.Image{C: 1, H: 2, W: 3, Pix: []float32{0.5, 0.5, 0.5, 1, 0, 0.5}}
	ov, err := Overlay(img, values, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	g0 := 0.2 + 0.6*0.5
	if !near32(pixel(ov, 0), [3]float64{g0, g0, g0}) {
		t.Errorf("overlay where the map is 0: %v", pixel(ov, 0))
	}
	top := hexRGB(t, "#fde725")
	g3 := 0.2 + 0.6*1.0
	want := [3]float64{0.15*g3 + 0.85*top[0], 0.15*g3 + 0.85*top[1], 0.15*g3 + 0.85*top[2]}
	if !near32(pixel(ov, 3), want) {
		t.Errorf("overlay at full scale: %v, want %v", pixel(ov, 3), want)
	}
	rgb := data.Image{C: 3, H: 1, W: 1, Pix: []float32{1, 0, 0}}
	red, _ := Overlay(rgb, []float32{0}, 1, true)
	if g := 0.2 + 0.6*0.299; !near32(pixel(red, 0), [3]float64{g, g, g}) {
		t.Errorf("overlay on red: %v", pixel(red, 0))
	}
	if _, err := Heat(values, 2, 2, 1, false); err == nil {
		t.Error("a heat map of the wrong size was drawn")
	}
	if _, err := Overlay(img, values[:4], 1, false); err == nil {
		t.Error("an overlay of the wrong size was drawn")
	}
	if _, err := Overlay(data.Image{C: 2, H: 1, W: 1, Pix: []float32{0, 0}}, values[:1], 1, false); err == nil {
		t.Error("an overlay of a 2-channel image was drawn")
	}
}

func TestScalesFollowTheNormalization(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 2, 3, 4, 10, 20, 30, 40}, 2, 2, 2)
	b := tensor.FromSlice([]float32{-100, 0, 0, 0, 0, 0, 0, 0}, 2, 2, 2)
	rows := []Row{{Maps: a}, {Maps: b}}
	for norm, want := range map[Normalization][][]float64{
		PerImage: {{Percentile(a.Index(0).Data(), 50), Percentile(a.Index(1).Data(), 50)}, {0, 0}},
		PerRow:   {{Percentile(a.Data(), 50), Percentile(a.Data(), 50)}, {0, 0}},
		Global:   {{1.5, 1.5}, {1.5, 1.5}}, // the median of 0 x7, 1, 2, 3, 4, 10, ..., 100
	} {
		got := scales(rows, RenderOptions{Clip: 50, Normalize: norm})
		for r := range want {
			for i := range want[r] {
				if !(math.Abs(got[r][i]-want[r][i]) <= 1e-12) {
					t.Errorf("%v: scale[%d][%d] = %g, want %g", norm, r, i, got[r][i], want[r][i])
				}
			}
		}
	}
	if s := scales(rows, RenderOptions{Normalize: PerImage}); !(math.Abs(s[1][0]-Percentile(b.Index(0).Data(), 99)) <= 1e-12) {
		t.Errorf("default clip: %v", s)
	}
}

// TestRenderGridLaysOutImagesThenOneRowPerModel builds the expected grid
// from its parts (the images, then each model's heat maps at its row's
// scale) and compares pixels, for grey and colour images.
func TestRenderGridLaysOutImagesThenOneRowPerModel(t *testing.T) {
	for _, c := range []int{1, 3} {
		const n, h, w = 8, 12, 10
		images := randImages(uint64(c), n, c, h, w)
		var rows []Row
		var cells []data.GridCell
		for i := 0; i < n; i++ {
			cells = append(cells, data.GridCell{Image: data.Image{C: c, H: h, W: w, Pix: images.Index(i).Data()}, Caption: "img"})
		}
		for r, name := range []string{"standard", "noise", "shape-biased"} {
			maps := tensor.Scale(randImages(uint64(10+r), n, 1, h, w).Reshape(n, h, w), float32(r+1))
			rows = append(rows, Row{Label: name, Maps: maps})
			scale := Percentile(maps.Data(), 99)
			for i := 0; i < n; i++ {
				heat, _ := Heat(maps.Index(i).Data(), h, w, scale, false)
				cells = append(cells, data.GridCell{Image: heat})
			}
		}
		captions := []string{"img", "img", "img", "img", "img", "img", "img", "img"}
		got, err := RenderGrid(images, captions, rows, RenderOptions{Title: "gradient"})
		if err != nil {
			t.Fatal(err)
		}
		want, err := data.Grid(cells, data.GridOptions{Cols: n, RowLabels: []string{"image", "standard", "noise", "shape-biased"}, Title: "gradient"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != want.Bounds() || !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("%d channels: the grid differs from its parts drawn directly", c)
		}
		// 12x10 pictures are enlarged 10x: at least 96 pixels wide.
		if got.Bounds().Dx() < n*100 || got.Bounds().Dy() < 4*120 {
			t.Fatalf("grid is %v", got.Bounds())
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, got); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(&buf); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderGridErrors(t *testing.T) {
	images := randImages(1, 2, 3, 4, 4)
	good := Row{Label: "m", Maps: tensor.New(2, 4, 4)}
	for _, c := range []struct {
		images   *tensor.Tensor
		captions []string
		rows     []Row
		want     string
	}{
		{randImages(1, 2, 2, 4, 4), nil, []Row{good}, "C = 1 or 3"},
		{images.Reshape(2, 3, 16), nil, []Row{good}, "want [N C H W]"},
		{images, []string{"a"}, []Row{good}, "1 captions for 2 images"},
		{images, nil, []Row{good, {Label: "bad", Maps: tensor.New(2, 4, 5)}}, "row 1 (bad): maps have shape [2 4 5], want [2 4 4]"},
		{images, nil, []Row{{Label: "nil"}}, "row 0 (nil): maps have shape nil"},
		{images, nil, []Row{{Label: "m", Maps: tensor.New(2, 4, 4), Captions: []string{"x"}}}, "1 captions for 2 maps"},
	} {
		if _, err := RenderGrid(c.images, c.captions, c.rows, RenderOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestAggregate(t *testing.T) {
	maps := randImages(3, 2, 3, 4, 5)
	for i := range maps.Data() {
		maps.Data()[i] -= 0.5
	}
	for _, a := range []Aggregation{AbsMax, L2, SignedSum} {
		got, err := Aggregate(maps, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := got.CheckShape("aggregate", 2, 4, 5); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			for p := 0; p < 20; p++ {
				var want float64
				for ch := 0; ch < 3; ch++ {
					v := float64(maps.At(i, ch, p/5, p%5))
					switch a {
					case AbsMax:
						want = math.Max(want, math.Abs(v))
					case L2:
						want = math.Hypot(want, v)
					case SignedSum:
						want += v
					}
				}
				if g := float64(got.At(i, p/5, p%5)); !(math.Abs(g-want) <= 1e-6) {
					t.Fatalf("%v image %d pixel %d = %g, want %g", a, i, p, g, want)
				}
			}
		}
	}
	if !SignedSum.Signed() || AbsMax.Signed() || L2.Signed() {
		t.Error("Signed")
	}
	if _, err := Aggregate(tensor.New(2, 4, 5), AbsMax); err == nil {
		t.Error("3-D maps aggregated")
	}
	if _, err := Aggregate(maps, Aggregation(7)); err == nil {
		t.Error("unknown aggregation accepted")
	}
}
