package data

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGridLayoutAndCrispPixels(t *testing.T) {
	cells := make([]GridCell, 5)
	for i := range cells {
		m := newImage(3, 4, 6)
		for p := range m.Pix {
			m.Pix[p] = float32((p*7+i)%11) / 10
		}
		cells[i] = GridCell{Image: m, Caption: "cell"}
	}
	g, err := Grid(cells, GridOptions{Cols: 3, Scale: 5, RowLabels: []string{"row A", "row B"}})
	if err != nil {
		t.Fatal(err)
	}
	labelW := g.Bounds().Dx() - (3*(6*5+gridPad) + gridPad)
	if labelW <= 0 || g.Bounds().Dy() != 2*(4*5+gridCaption+gridPad)+gridPad {
		t.Fatalf("grid is %v", g.Bounds())
	}
	// Cell 4 (row 1, column 1): every 5x5 block is one source pixel.
	x0 := labelW + gridPad + (6*5 + gridPad)
	y0 := gridPad + (4*5 + gridCaption + gridPad)
	for y := 0; y < 4*5; y++ {
		for x := 0; x < 6*5; x++ {
			o := g.PixOffset(x0+x, y0+y)
			for c := 0; c < 3; c++ {
				want := to8(cells[4].Image.Pix[(c*4+y/5)*6+x/5])
				if g.Pix[o+c] != want {
					t.Fatalf("pixel (%d,%d) channel %d = %d, want %d", x, y, c, g.Pix[o+c], want)
				}
			}
		}
	}
	// Captions and row labels put dark text on the white margin.
	dark := 0
	for y := y0 + 4*5; y < y0+4*5+gridCaption; y++ {
		for x := x0; x < x0+6*5; x++ {
			if g.Pix[g.PixOffset(x, y)] < 128 {
				dark++
			}
		}
	}
	if dark == 0 {
		t.Fatal("no caption drawn")
	}
}

func TestGridErrors(t *testing.T) {
	if _, err := Grid(nil, GridOptions{}); err == nil {
		t.Fatal("empty grid accepted")
	}
	a, b := newImage(3, 4, 4), newImage(3, 5, 4)
	if _, err := Grid([]GridCell{{Image: a}, {Image: b}}, GridOptions{}); err == nil || !strings.Contains(err.Error(), "picture 1 is 5x4") {
		t.Fatalf("mixed sizes: %v", err)
	}
	if _, err := ToRGBA(newImage(2, 3, 3), 1); err == nil {
		t.Fatal("2-channel image accepted")
	}
	if _, err := ToRGBA(Image{C: 3, H: 3, W: 3, Pix: make([]float32, 5)}, 1); err == nil {
		t.Fatal("short pixel slice accepted")
	}
}

func TestShowGridWritesAReadablePNG(t *testing.T) {
	ds := mustShapes(t, ShapesOptions{Split: SplitCueConflict, N: 90})
	g, err := ShowGrid(ds, 10, 12, GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 32x32 images are enlarged 3x to 96 pixels; 12 cells in 4 columns.
	if g.Bounds().Dx() != 4*(96+gridPad)+gridPad || g.Bounds().Dy() != 3*(96+gridCaption+gridPad)+gridPad {
		t.Fatalf("grid is %v", g.Bounds())
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	if err := WritePNG(path, g); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("WritePNG left %d files", len(entries))
	}
	f, _ := os.Open(path)
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil || back.Bounds() != g.Bounds() {
		t.Fatalf("reading the PNG back: %v", err)
	}
	if _, err := ShowGrid(ds, 90, 1, GridOptions{}); err == nil {
		t.Fatal("start past the end accepted")
	}
	if err := WritePNG(filepath.Join(t.TempDir(), "no", "such", "dir.png"), g); err == nil || !strings.Contains(err.Error(), "dir.png") {
		t.Fatalf("unwritable path: %v", err)
	}
}
