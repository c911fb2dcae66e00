package saliency

import (
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/tensor"
)

// Normalization says which maps share the scale a grid draws them at.
type Normalization int

const (
	// PerRow draws all of a model's maps at one scale, so that its images
	// compare with each other.
	PerRow Normalization = iota
	// PerImage scales each map alone (Captum's and the PAIR code's
	// default): every map uses the whole colour range.
	PerImage
	// Global draws every map of the grid at one scale, so that models
	// compare in magnitude too (a robust model's small gradients show as
	// faint).
	Global
)

var normalizationNames = []string{"row", "image", "global"}

// String returns the normalization's name as ParseNormalization reads it.
func (n Normalization) String() string {
	if n >= 0 && int(n) < len(normalizationNames) {
		return normalizationNames[n]
	}
	return fmt.Sprintf("Normalization(%d)", int(n))
}

// ParseNormalization reads row, image or global.
func ParseNormalization(s string) (Normalization, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "row", "per-row", "model":
		return PerRow, nil
	case "image", "per-image":
		return PerImage, nil
	case "global", "grid":
		return Global, nil
	}
	return 0, fmt.Errorf("saliency: unknown normalization %q (known: %s)", s, strings.Join(normalizationNames, ", "))
}

// Heat draws one aggregated map (h*w values) as a colour image. Values are
// divided by scale, the value that gets the map's full colour (see
// Percentile), and clipped: magnitudes |v|/scale in [0,1] on Viridis, or,
// if signed, v/scale in [-1,1] on BlueWhiteRed with zero white. A scale
// that is not positive draws every value as zero.
func Heat(values []float32, h, w int, scale float64, signed bool) (data.Image, error) {
	if len(values) != h*w || h <= 0 || w <= 0 {
		return data.Image{}, fmt.Errorf("saliency: heat map of %dx%d has %d values", h, w, len(values))
	}
	img := data.Image{C: 3, H: h, W: w, Pix: make([]float32, 3*h*w)}
	for p, v := range values {
		r, g, b := colourOf(float64(v), scale, signed)
		img.Pix[p], img.Pix[h*w+p], img.Pix[2*h*w+p] = float32(r), float32(g), float32(b)
	}
	return img, nil
}

func colourOf(v, scale float64, signed bool) (r, g, b float64) {
	t := 0.0
	if scale > 0 {
		t = v / scale
	}
	if signed {
		return BlueWhiteRed.At((math.Max(-1, math.Min(1, t)) + 1) / 2)
	}
	return Viridis.At(math.Abs(t))
}

// Overlay draws a map over a dimmed grey copy of img (1 or 3 channels):
// each pixel is blended with the map's colour in proportion to the map's
// normalized magnitude (up to 85% at full scale), so that where the map is
// near zero the image shows through.
func Overlay(img data.Image, values []float32, scale float64, signed bool) (data.Image, error) {
	if (img.C != 1 && img.C != 3) || len(img.Pix) != img.C*img.H*img.W {
		return data.Image{}, fmt.Errorf("saliency: overlay needs a 1- or 3-channel image with C*H*W values, got %dx%dx%d with %d", img.C, img.H, img.W, len(img.Pix))
	}
	hw := img.H * img.W
	if len(values) != hw {
		return data.Image{}, fmt.Errorf("saliency: overlay of a %dx%d image with a map of %d values", img.H, img.W, len(values))
	}
	out := data.Image{C: 3, H: img.H, W: img.W, Pix: make([]float32, 3*hw)}
	for p, v := range values {
		grey := float64(img.Pix[p])
		if img.C == 3 {
			// Rec. 601 luma.
			grey = 0.299*float64(img.Pix[p]) + 0.587*float64(img.Pix[hw+p]) + 0.114*float64(img.Pix[2*hw+p])
		}
		grey = 0.2 + 0.6*grey
		alpha := 0.0
		if scale > 0 {
			alpha = 0.85 * math.Min(1, math.Abs(float64(v))/scale)
		}
		r, g, b := colourOf(float64(v), scale, signed)
		for c, col := range [3]float64{r, g, b} {
			out.Pix[c*hw+p] = float32((1-alpha)*grey + alpha*col)
		}
	}
	return out, nil
}

// Row is one model's row of a grid.
type Row struct {
	// Label is written left of the row (the model's name).
	Label string
	// Maps is [N,H,W]: one aggregated map per image of the grid.
	Maps *tensor.Tensor
	// Captions, if given, go under each map (the prediction, say).
	Captions []string
}

// RenderOptions say how RenderGrid draws.
type RenderOptions struct {
	// Clip is the percentile of |values| drawn at full colour, higher
	// values clipped (default 99, as Smilkov et al.'s PAIR code does;
	// Captum clips the top 2% of attribution mass instead).
	Clip float64
	// Normalize says which maps share a scale.
	Normalize Normalization
	// Signed draws values with their sign on BlueWhiteRed; otherwise
	// magnitudes on Viridis.
	Signed bool
	// Overlay draws the maps over the images instead of alone.
	Overlay bool
	// Scale is the pixel upscaling (0: data.Grid's, at least 96 pixels a
	// picture).
	Scale int
	// Title, if given, is written above the grid.
	Title string
}

// scales returns the scale each map of rows is drawn at: [row][image].
func scales(rows []Row, o RenderOptions) [][]float64 {
	clip := o.Clip
	if clip <= 0 {
		clip = 99
	}
	out := make([][]float64, len(rows))
	var all []float32
	for r, row := range rows {
		n := row.Maps.Dim(0)
		out[r] = make([]float64, n)
		switch o.Normalize {
		case PerImage:
			for i := range out[r] {
				out[r][i] = Percentile(row.Maps.Index(i).Data(), clip)
			}
		case Global:
			all = append(all, row.Maps.Data()...)
		default:
			s := Percentile(row.Maps.Data(), clip)
			for i := range out[r] {
				out[r][i] = s
			}
		}
	}
	if o.Normalize == Global {
		s := Percentile(all, clip)
		for r := range out {
			for i := range out[r] {
				out[r][i] = s
			}
		}
	}
	return out
}

// RenderGrid draws the seed's figure: a column per image, the images
// themselves in the first row (captioned with captions, if given), then one
// row per model with its name at the left and its maps as heat maps or
// overlays. images is [N,C,H,W] with 1 (grey) or 3 channels in [0,1];
// every row's Maps is [N,H,W]. Small images are enlarged with nearest
// sampling so that a 32x32 picture stays legible.
func RenderGrid(images *tensor.Tensor, captions []string, rows []Row, o RenderOptions) (*image.RGBA, error) {
	if images == nil || images.NDim() != 4 || (images.Dim(1) != 1 && images.Dim(1) != 3) || images.Dim(0) == 0 {
		return nil, fmt.Errorf("saliency: grid images have shape %s, want [N C H W] with N >= 1 and C = 1 or 3", shapeOf(images))
	}
	n, c, h, w := images.Dim(0), images.Dim(1), images.Dim(2), images.Dim(3)
	if captions != nil && len(captions) != n {
		return nil, fmt.Errorf("saliency: %d captions for %d images", len(captions), n)
	}
	for r, row := range rows {
		if row.Maps == nil || row.Maps.CheckShape("RenderGrid", n, h, w) != nil {
			return nil, fmt.Errorf("saliency: row %d (%s): maps have shape %s, want [%d %d %d]", r, row.Label, shapeOf(row.Maps), n, h, w)
		}
		if row.Captions != nil && len(row.Captions) != n {
			return nil, fmt.Errorf("saliency: row %d (%s): %d captions for %d maps", r, row.Label, len(row.Captions), n)
		}
	}
	scale := scales(rows, o)
	cells := make([]data.GridCell, 0, n*(len(rows)+1))
	pictures := make([]data.Image, n)
	for i := range pictures {
		pictures[i] = data.Image{C: c, H: h, W: w, Pix: images.Index(i).Data()}
		cells = append(cells, data.GridCell{Image: pictures[i], Caption: at(captions, i)})
	}
	labels := []string{"image"}
	for r, row := range rows {
		labels = append(labels, row.Label)
		for i := 0; i < n; i++ {
			var cell data.Image
			var err error
			if o.Overlay {
				cell, err = Overlay(pictures[i], row.Maps.Index(i).Data(), scale[r][i], o.Signed)
			} else {
				cell, err = Heat(row.Maps.Index(i).Data(), h, w, scale[r][i], o.Signed)
			}
			if err != nil {
				return nil, err
			}
			cells = append(cells, data.GridCell{Image: cell, Caption: at(row.Captions, i)})
		}
	}
	return data.Grid(cells, data.GridOptions{Cols: n, Scale: o.Scale, RowLabels: labels, Title: o.Title})
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}
