package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
)

// solid returns a w x h NRGBA image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodeTo(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var err error
	switch filepath.Ext(path) {
	case ".png":
		err = png.Encode(&buf, img)
	case ".jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	case ".bmp":
		err = bmp.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolderReadsEveryFormatInSortedOrder(t *testing.T) {
	root := t.TempDir()
	red := color.NRGBA{200, 10, 30, 255}
	// Class folders created out of order: labels follow sorted names.
	encodeTo(t, filepath.Join(root, "zebra", "b.png"), solid(4, 3, red))
	encodeTo(t, filepath.Join(root, "zebra", "a.bmp"), solid(4, 3, color.NRGBA{0, 255, 0, 255}))
	encodeTo(t, filepath.Join(root, "apple", "x.jpg"), solid(4, 3, color.NRGBA{128, 128, 128, 255}))
	grey := image.NewGray(image.Rect(0, 0, 4, 3))
	for i := range grey.Pix {
		grey.Pix[i] = 51
	}
	encodeTo(t, filepath.Join(root, "apple", "y.png"), grey)
	// Transparent pixels keep their colour, as PIL's convert("RGB") does.
	encodeTo(t, filepath.Join(root, "apple", "z.png"), solid(4, 3, color.NRGBA{10, 20, 30, 0}))
	webp, err := os.ReadFile("testdata/tiny.webp")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "mango"), 0o755)
	os.WriteFile(filepath.Join(root, "mango", "w.webp"), webp, 0o644)
	os.WriteFile(filepath.Join(root, "mango", "README.txt"), []byte("not an image"), 0o644)

	ds, err := Open("folder:" + root)
	if err != nil {
		t.Fatal(err)
	}
	info := ds.Info()
	if strings.Join(info.Classes, ",") != "apple,mango,zebra" || ds.Len() != 6 || info.Height != 3 || info.Width != 4 || info.Channels != 3 {
		t.Fatalf("classes %v len %d info %+v", info.Classes, ds.Len(), info)
	}
	px := func(ex Example, c, y, x int) float32 { return ex.Image[(c*3+y)*4+x] }
	type want struct {
		label   int
		r, g, b float32
		tol     float32
	}
	for i, w := range []want{
		{0, 128.0 / 255, 128.0 / 255, 128.0 / 255, 2.0 / 255}, // apple/x.jpg
		{0, 0.2, 0.2, 0.2, 0},                       // apple/y.png, grey
		{0, 10.0 / 255, 20.0 / 255, 30.0 / 255, 0},  // apple/z.png, transparent
		{1, 0, 0, 1, 0},                             // mango/w.webp pixel (0,0), checked below
		{2, 0, 1, 0, 0},                             // zebra/a.bmp
		{2, 200.0 / 255, 10.0 / 255, 30.0 / 255, 0}, // zebra/b.png
	} {
		ex := get(t, ds, i)
		if ex.Label != w.label {
			t.Fatalf("example %d label %d, want %d", i, ex.Label, w.label)
		}
		if i == 3 {
			// tiny.webp: pixel (x, y) = (60x, 100y, 255-20x-30y).
			for y := 0; y < 3; y++ {
				for x := 0; x < 4; x++ {
					got := [3]float32{px(ex, 0, y, x), px(ex, 1, y, x), px(ex, 2, y, x)}
					exp := [3]float32{float32(60*x) / 255, float32(100*y) / 255, float32(255-20*x-30*y) / 255}
					if got != exp {
						t.Fatalf("webp pixel (%d,%d) = %v, want %v", x, y, got, exp)
					}
				}
			}
			continue
		}
		for _, c := range [3]struct {
			ch int
			v  float32
		}{{0, w.r}, {1, w.g}, {2, w.b}} {
			if d := px(ex, c.ch, 2, 3) - c.v; d > w.tol || d < -w.tol {
				t.Fatalf("example %d channel %d = %v, want %v", i, c.ch, px(ex, c.ch, 2, 3), c.v)
			}
		}
	}
	if p := ds.(*Folder).Path(5); filepath.Base(p) != "b.png" {
		t.Fatalf("example 5 is %s", p)
	}
}

func TestFolderSizeAndFit(t *testing.T) {
	root := t.TempDir()
	// 8 wide, 4 high: left half black, right half white.
	img := image.NewGray(image.Rect(0, 0, 8, 4))
	for y := 0; y < 4; y++ {
		for x := 4; x < 8; x++ {
			img.Pix[y*8+x] = 255
		}
	}
	encodeTo(t, filepath.Join(root, "a", "wide.png"), img)
	encodeTo(t, filepath.Join(root, "b", "small.png"), solid(2, 2, color.NRGBA{255, 0, 0, 255}))
	if _, err := Open("folder:" + root); err == nil || !strings.Contains(err.Error(), "give size=") || !strings.Contains(err.Error(), "wide.png") {
		t.Fatalf("mixed sizes without size=: %v", err)
	}
	// crop: the shorter side (4) is already 4, the centre 4x4 is cut:
	// columns 2..5, half black, half white.
	crop, err := Open("folder:" + root + "?size=4")
	if err != nil {
		t.Fatal(err)
	}
	ex := get(t, crop, 0)
	for x, want := range []float32{0, 0, 1, 1} {
		if ex.Image[x] != want {
			t.Fatalf("crop: row 0 = %v", ex.Image[:4])
		}
	}
	// stretch: all 8 columns shrink into 2: black, white.
	stretch, err := Open("folder:" + root + "?size=2&fit=stretch")
	if err != nil {
		t.Fatal(err)
	}
	ex = get(t, stretch, 0)
	if ex.Image[0] != 0 || ex.Image[1] != 1 {
		t.Fatalf("stretch to 2x2: row 0 = %v", ex.Image[:2])
	}
	// The 2x2 red image enlarged to 4x4 stays red.
	ex = get(t, crop, 1)
	for i := 0; i < 16; i++ {
		if !(math.Abs(float64(ex.Image[i]-1)) <= 1e-6) || ex.Image[16+i] != 0 {
			t.Fatalf("enlarged red image: %v", ex.Image[:16])
		}
	}
}

func TestFolderBadInput(t *testing.T) {
	root := t.TempDir()
	encodeTo(t, filepath.Join(root, "a", "ok.png"), solid(3, 3, color.NRGBA{1, 2, 3, 255}))
	encodeTo(t, filepath.Join(root, "a", "ok2.png"), solid(3, 3, color.NRGBA{1, 2, 3, 255}))
	os.MkdirAll(filepath.Join(root, "b"), 0o755)
	os.WriteFile(filepath.Join(root, "b", "notes.txt"), []byte("x"), 0o644)
	if _, err := Open("folder:" + root); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "b")) || !strings.Contains(err.Error(), "no image files") {
		t.Fatalf("empty class folder: %v", err)
	}
	encodeTo(t, filepath.Join(root, "b", "ok.png"), solid(3, 3, color.NRGBA{1, 2, 3, 255}))
	garbage := filepath.Join(root, "b", "garbage.png")
	os.WriteFile(garbage, []byte("this is not a png at all"), 0o644)
	_, err := Open("folder:" + root)
	if err == nil || !strings.Contains(err.Error(), garbage) || !strings.Contains(err.Error(), "skip_bad=1") {
		t.Fatalf("unreadable file: %v", err)
	}
	// A PNG cut in the middle has a good header: found when decoded.
	var buf bytes.Buffer
	png.Encode(&buf, solid(3, 3, color.NRGBA{9, 9, 9, 255}))
	cut := filepath.Join(root, "a", "cut.png")
	os.WriteFile(cut, buf.Bytes()[:buf.Len()-20], 0o644)
	ds, err := Open("folder:" + root + "?skip_bad=1")
	if err != nil {
		t.Fatal(err)
	}
	if Skipped(ds) != 2 || ds.Len() != 3 {
		t.Fatalf("skip_bad: skipped %d, kept %d", Skipped(ds), ds.Len())
	}
	os.Remove(garbage)
	ds, err = Open("folder:" + root)
	if err != nil {
		t.Fatal(err)
	}
	var ex Example
	err = ds.Get(0, &ex) // a/cut.png sorts first
	if err == nil || !strings.Contains(err.Error(), cut) {
		t.Fatalf("truncated PNG: %v", err)
	}
	if _, err := Open("folder:" + filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing root: %v", err)
	}
	if _, err := Open("folder:" + filepath.Join(root, "a")); err == nil || !strings.Contains(err.Error(), "no class sub-folders") {
		t.Fatalf("root without class folders: %v", err)
	}
}

func TestCueConflictFolder(t *testing.T) {
	root := t.TempDir()
	c := color.NRGBA{5, 6, 7, 255}
	for _, p := range []string{
		"airplane/airplane1-bicycle2.png", "airplane/airplane10-fire-truck3.png",
		"bicycle/bicycle4-airplane1.png", "fire-truck/fire-truck2-bicycle7.png",
		"fire-truck/fire-truck5-fire-truck6.png",
	} {
		encodeTo(t, filepath.Join(root, filepath.FromSlash(p)), solid(5, 5, c))
	}
	ds, err := Open("cue-conflict:" + root)
	if err != nil {
		t.Fatal(err)
	}
	info := ds.Info()
	if strings.Join(info.Classes, ",") != "airplane,bicycle,fire-truck" || strings.Join(info.FactorNames, ",") != "shape,texture" {
		t.Fatalf("info %+v", info)
	}
	want := [][3]int{{0, 0, 1}, {0, 0, 2}, {1, 1, 0}, {2, 2, 1}, {2, 2, 2}}
	for i, w := range want {
		ex := get(t, ds, i)
		if ex.Label != w[0] || ex.Factors[0] != w[1] || ex.Factors[1] != w[2] {
			t.Fatalf("example %d: label %d factors %v, want %v", i, ex.Label, ex.Factors, w)
		}
	}
	bad := filepath.Join(root, "bicycle", "bicycle3-giraffe1.png")
	encodeTo(t, bad, solid(5, 5, c))
	if _, err := Open("cue-conflict:" + root); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("unknown texture class: %v", err)
	}
	os.Remove(bad)
	wrong := filepath.Join(root, "bicycle", "airplane3-bicycle1.png")
	encodeTo(t, wrong, solid(5, 5, c))
	if _, err := Open("cue-conflict:" + root); err == nil || !strings.Contains(err.Error(), "is in folder \"bicycle\"") {
		t.Fatalf("file in the wrong folder: %v", err)
	}
}
