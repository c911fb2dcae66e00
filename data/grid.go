package data

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/robustlab/robustlab/internal/atomicfile"
)

// Image grids: pictures in rows and columns with a caption under each and an
// optional label left of each row, upscaled by an integer factor with
// nearest-neighbour sampling so that the pixels of a 32x32 image stay crisp.
// `robustlab data show` uses them; so can anything else that shows images
// side by side (saliency maps, report figures).

// GridCell is one picture of a grid.
type GridCell struct {
	// Image has 1 (grey) or 3 (RGB) channels with values in [0, 1]; values
	// outside are clipped.
	Image Image
	// Caption is written under the picture (cut to the cell's width).
	Caption string
}

// GridOptions lays out a grid.
type GridOptions struct {
	// Cols is the number of columns; 0 means about the square root of the
	// number of cells.
	Cols int
	// Scale is the integer upscaling factor; 0 picks the smallest that makes
	// pictures at least 96 pixels wide (1 for large pictures).
	Scale int
	// RowLabels, if given, are written left of each row.
	RowLabels []string
	// Title, if given, is written on a line above the grid.
	Title string
}

var gridFace = basicfont.Face7x13

const (
	gridPad     = 4
	gridCaption = 15 // caption line height in pixels
)

// ToRGBA converts an Image with 1 or 3 channels to an 8-bit image, each
// pixel repeated scale x scale times.
func ToRGBA(m Image, scale int) (*image.RGBA, error) {
	if m.C != 1 && m.C != 3 {
		return nil, fmt.Errorf("image with %d channels: want 1 (grey) or 3 (RGB)", m.C)
	}
	if len(m.Pix) != m.C*m.H*m.W || m.H <= 0 || m.W <= 0 {
		return nil, fmt.Errorf("image of %dx%dx%d has %d values", m.C, m.H, m.W, len(m.Pix))
	}
	scale = max(scale, 1)
	out := image.NewRGBA(image.Rect(0, 0, m.W*scale, m.H*scale))
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			var rgb [3]uint8
			for c := 0; c < 3; c++ {
				src := c
				if m.C == 1 {
					src = 0
				}
				rgb[c] = to8(m.Pix[(src*m.H+y)*m.W+x])
			}
			for dy := 0; dy < scale; dy++ {
				o := out.PixOffset(x*scale, y*scale+dy)
				for dx := 0; dx < scale; dx++ {
					p := out.Pix[o+4*dx : o+4*dx+4]
					p[0], p[1], p[2], p[3] = rgb[0], rgb[1], rgb[2], 255
				}
			}
		}
	}
	return out, nil
}

// to8 maps [0, 1] to 0..255 with rounding; NaN becomes 0.
func to8(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// Grid draws cells into one picture. All cells must have the same height and
// width.
func Grid(cells []GridCell, opt GridOptions) (*image.RGBA, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("grid: no pictures")
	}
	h, w := cells[0].Image.H, cells[0].Image.W
	for i, c := range cells {
		if c.Image.H != h || c.Image.W != w {
			return nil, fmt.Errorf("grid: picture %d is %dx%d, picture 0 is %dx%d", i, c.Image.H, c.Image.W, h, w)
		}
	}
	cols := opt.Cols
	if cols <= 0 {
		cols = 1
		for cols*cols < len(cells) {
			cols++
		}
	}
	rows := (len(cells) + cols - 1) / cols
	scale := opt.Scale
	if scale <= 0 {
		scale = max(1, (96+w-1)/w)
	}
	cw, ch := w*scale, h*scale
	labelW := 0
	for _, l := range opt.RowLabels {
		labelW = max(labelW, font.MeasureString(gridFace, l).Ceil()+gridPad)
	}
	cellW, cellH := cw+gridPad, ch+gridCaption+gridPad
	titleH := 0
	if opt.Title != "" {
		titleH = gridCaption + gridPad // room for descenders above the first row
	}
	out := image.NewRGBA(image.Rect(0, 0, labelW+cols*cellW+gridPad, titleH+rows*cellH+gridPad))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if opt.Title != "" {
		drawText(out, fitText(opt.Title, out.Bounds().Dx()-2*gridPad), gridPad, gridPad+gridCaption-4)
	}
	for i, c := range cells {
		pic, err := ToRGBA(c.Image, scale)
		if err != nil {
			return nil, fmt.Errorf("grid: picture %d: %w", i, err)
		}
		x := labelW + gridPad + (i%cols)*cellW
		y := titleH + gridPad + (i/cols)*cellH
		draw.Draw(out, image.Rect(x, y, x+cw, y+ch), pic, image.Point{}, draw.Src)
		drawText(out, fitText(c.Caption, cw), x, y+ch+gridCaption-3)
	}
	for r, l := range opt.RowLabels {
		if r < rows {
			drawText(out, l, 2, titleH+gridPad+r*cellH+ch/2+5)
		}
	}
	return out, nil
}

// fitText cuts s to at most width pixels of the grid font.
func fitText(s string, width int) string {
	r := []rune(s)
	for len(r) > 0 && font.MeasureString(gridFace, string(r)).Ceil() > width {
		r = r[:len(r)-1]
	}
	return string(r)
}

func drawText(dst draw.Image, s string, x, baseline int) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.Black), Face: gridFace,
		Dot: fixed.P(x, baseline)}
	d.DrawString(s)
}

// WritePNG writes img to path atomically: to a temporary file in the same
// folder, then renamed, so a reader never sees half a file.
func WritePNG(path string, img image.Image) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := png.Encode(f, img); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// ShowGrid draws examples start .. start+n-1 of ds (fewer if the set ends
// first) as a grid with the class name under each. Where a set has a
// "texture" factor that differs from the label (cue-conflict images, or
// off-home textures), the caption is "shape/texture".
func ShowGrid(ds Dataset, start, n int, opt GridOptions) (*image.RGBA, error) {
	info := ds.Info()
	if start < 0 || start >= ds.Len() {
		return nil, fmt.Errorf("%s: start %d is outside [0, %d)", info.Name, start, ds.Len())
	}
	if n <= 0 {
		return nil, fmt.Errorf("%s: number of examples %d must be positive", info.Name, n)
	}
	n = min(n, ds.Len()-start)
	tex := -1
	for i, f := range info.FactorNames {
		if f == "texture" {
			tex = i
		}
	}
	_, isShapes := ds.(*Shapes)
	if sub, ok := ds.(*subset); ok {
		_, isShapes = sub.Dataset.(*Shapes)
	}
	cells := make([]GridCell, n)
	for k := range cells {
		var ex Example
		if err := ds.Get(start+k, &ex); err != nil {
			return nil, err
		}
		caption := className(info.Classes, ex.Label)
		if tex >= 0 && tex < len(ex.Factors) && ex.Factors[tex] >= 0 && ex.Factors[tex] != ex.Label {
			t := ex.Factors[tex]
			if isShapes {
				caption += "/" + TextureNames[t]
			} else {
				caption += "/" + className(info.Classes, t)
			}
		}
		cells[k] = GridCell{Image: Image{C: info.Channels, H: info.Height, W: info.Width, Pix: ex.Image}, Caption: caption}
	}
	return Grid(cells, opt)
}

func className(classes []string, label int) string {
	if label >= 0 && label < len(classes) {
		return classes[label]
	}
	return fmt.Sprint(label)
}
