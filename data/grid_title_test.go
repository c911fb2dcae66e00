package data

import "testing"

// TestGridTitleShiftsTheGridDown: a title takes a caption line and a pad
// above the grid, and the grid below it is drawn exactly as without one.
func TestGridTitleShiftsTheGridDown(t *testing.T) {
	cells := []GridCell{{Image: newImage(3, 4, 6)}, {Image: newImage(3, 4, 6)}}
	for p := range cells[1].Image.Pix {
		cells[1].Image.Pix[p] = float32(p%5) / 4
	}
	plain, err := Grid(cells, GridOptions{Cols: 2, Scale: 3, RowLabels: []string{"row"}})
	if err != nil {
		t.Fatal(err)
	}
	titled, err := Grid(cells, GridOptions{Cols: 2, Scale: 3, RowLabels: []string{"row"}, Title: "saliency"})
	if err != nil {
		t.Fatal(err)
	}
	if titled.Bounds().Dx() != plain.Bounds().Dx() || titled.Bounds().Dy() != plain.Bounds().Dy()+gridCaption+gridPad {
		t.Fatalf("titled grid %v, plain %v", titled.Bounds(), plain.Bounds())
	}
	for y := 0; y < plain.Bounds().Dy(); y++ {
		for x := 0; x < plain.Bounds().Dx(); x++ {
			if plain.RGBAAt(x, y) != titled.RGBAAt(x, y+gridCaption+gridPad) {
				t.Fatalf("pixel (%d,%d) moved differently", x, y)
			}
		}
	}
	dark := 0
	for y := 0; y < gridCaption; y++ {
		for x := 0; x < titled.Bounds().Dx(); x++ {
			if titled.RGBAAt(x, y).R < 128 {
				dark++
			}
		}
	}
	if dark == 0 {
		t.Fatal("no title drawn")
	}
}
