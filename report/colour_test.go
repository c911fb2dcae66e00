package report

import (
	"image/color"
	"testing"
)

func TestColourScale(t *testing.T) {
	s := accuracyScale
	first, last := toRGBA(s.anchors[0]), toRGBA(s.anchors[len(s.anchors)-1])
	if s.at(0) != first || s.at(-3) != first {
		t.Errorf("at(0) = %v, want %v", s.at(0), first)
	}
	if s.at(1) != last || s.at(7) != last {
		t.Errorf("at(1) = %v, want %v", s.at(1), last)
	}
	// Half way between anchors 0 and 1 is their mean, rounded.
	a, b := toRGBA(s.anchors[0]), toRGBA(s.anchors[1])
	mid := s.at(0.5 / float64(len(s.anchors)-1))
	for _, c := range []struct{ got, x, y uint8 }{{mid.R, a.R, b.R}, {mid.G, a.G, b.G}, {mid.B, a.B, b.B}} {
		want := (float64(c.x) + float64(c.y)) / 2
		if d := float64(c.got) - want; d < -0.5 || d > 0.5 {
			t.Errorf("mid channel %d, want %.1f", c.got, want)
		}
	}
	// The correlation scale is white-ish at 0.
	if z := correlationScale.at(0); z.R < 0xF0 || z.G < 0xF0 || z.B < 0xF0 {
		t.Errorf("correlation 0 is %v, want near white", z)
	}
}

func TestInkOn(t *testing.T) {
	for _, c := range []struct {
		bg   color.RGBA
		want color.Color
	}{
		{color.RGBA{0, 0, 0, 255}, color.White},
		{color.RGBA{255, 255, 255, 255}, color.Black},
		{color.RGBA{0x08, 0x1D, 0x58, 255}, color.White}, // dark blue
		{color.RGBA{0xE6, 0x9F, 0x00, 255}, color.Black}, // orange
	} {
		if got := inkOn(c.bg); got != c.want {
			t.Errorf("inkOn(%v) = %v, want %v", c.bg, got, c.want)
		}
	}
}

func TestModelColoursAndGlyphsStayDistinct(t *testing.T) {
	seen := map[[2]any]bool{}
	for i := range len(modelColours) * len(modelGlyphs) {
		k := [2]any{modelColour(i), modelGlyph(i)}
		if seen[k] {
			t.Fatalf("model %d repeats colour and glyph %v", i, k)
		}
		seen[k] = true
	}
}
