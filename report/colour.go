package report

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/vg/draw"
)

// modelColours are Okabe & Ito's colour-blind-safe colours (Color
// Universal Design, 2008) less yellow, which is unreadable on white. A
// model keeps its colour (by its index in Results.Models) in every figure.
var modelColours = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// modelGlyphs mark a model's points; after the colours run out the glyph
// changes, so that every (colour, glyph) pair stays unique.
var modelGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
	draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// modelColour is the colour of the i-th model.
func modelColour(i int) color.RGBA { return modelColours[i%len(modelColours)] }

// modelGlyph is the glyph shape of the i-th model.
func modelGlyph(i int) draw.GlyphDrawer {
	return modelGlyphs[(i/len(modelColours))%len(modelGlyphs)]
}

// Fixed colours of the parts of a decision or of a saliency map.
var (
	colourShape      = color.RGBA{0x00, 0x72, 0xB2, 0xFF}
	colourTexture    = color.RGBA{0xE6, 0x9F, 0x00, 0xFF}
	colourNeither    = color.RGBA{0xBB, 0xBB, 0xBB, 0xFF}
	colourBoundary   = color.RGBA{0x00, 0x5A, 0x8C, 0xFF}
	colourInterior   = color.RGBA{0x7F, 0xB8, 0xDA, 0xFF}
	colourBackground = color.RGBA{0xDD, 0xDD, 0xDD, 0xFF}
	colourReference  = color.RGBA{0x55, 0x55, 0x55, 0xFF}
	// colourFrame marks a heat-map cell; vermillion stands out on both
	// ends of the blue accuracy scale.
	colourFrame = color.RGBA{0xD5, 0x5E, 0x00, 0xFF}
)

// colourScale maps a value in [lo, hi] to a colour by linear interpolation
// between evenly spaced anchor colours.
type colourScale struct {
	lo, hi  float64
	anchors []color.Color
}

// accuracyScale runs from pale yellow (0) through green to dark blue (1),
// the ColorBrewer YlGnBu sequence (Harrower & Brewer 2003): lightness falls
// monotonically, so the order of cells reads without the numbers.
var accuracyScale = colourScale{lo: 0, hi: 1,
	anchors: brewer.SequentialPalettes["YlGnBu"][9].Colors()}

// correlationScale is ColorBrewer's RdBu, red for -1, white for 0 and blue
// for +1: a diverging scale for rank correlations.
var correlationScale = colourScale{lo: -1, hi: 1,
	anchors: brewer.DivergingPalettes["RdBu"][11].Colors()}

// at is the colour of v; values outside [lo, hi] take the end colours.
func (s colourScale) at(v float64) color.RGBA {
	t := (v - s.lo) / (s.hi - s.lo)
	t = math.Max(0, math.Min(1, t))
	pos := t * float64(len(s.anchors)-1)
	i := int(pos)
	if i >= len(s.anchors)-1 {
		return toRGBA(s.anchors[len(s.anchors)-1])
	}
	f := pos - float64(i)
	a := toRGBA(s.anchors[i])
	b := toRGBA(s.anchors[i+1])
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xFF}
}

// inkOn is black or white, whichever reads better on background c: white
// when c's relative luminance (WCAG 2.x, sRGB) is below the point where
// both contrasts are equal.
func inkOn(c color.RGBA) color.Color {
	lin := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
	// Contrast with black is (l+0.05)/0.05 and with white 1.05/(l+0.05);
	// they are equal at l = sqrt(1.05*0.05) - 0.05 ≈ 0.179.
	if l < math.Sqrt(1.05*0.05)-0.05 {
		return color.White
	}
	return color.Black
}

// toRGBA converts any colour to 8-bit RGBA.
func toRGBA(c color.Color) color.RGBA {
	return color.RGBAModel.Convert(c).(color.RGBA)
}
