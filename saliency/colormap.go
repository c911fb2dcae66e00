package saliency

import (
	"fmt"
	"math"
)

// ColorMap maps a number in [0,1] to a colour by linear interpolation in
// sRGB between evenly spaced control colours.
type ColorMap struct {
	// Name says what the map is.
	Name  string
	stops [][3]float64 // sRGB in [0,1]
}

// NewColorMap returns a colour map through the given colours (hex
// "#rrggbb"), evenly spaced from 0 to 1.
func NewColorMap(name string, hex ...string) (*ColorMap, error) {
	if len(hex) < 2 {
		return nil, fmt.Errorf("saliency: colour map %q needs at least 2 colours, got %d", name, len(hex))
	}
	m := &ColorMap{Name: name, stops: make([][3]float64, len(hex))}
	for i, h := range hex {
		var r, g, b uint8
		if n, err := fmt.Sscanf(h, "#%02x%02x%02x", &r, &g, &b); n != 3 || err != nil || len(h) != 7 {
			return nil, fmt.Errorf("saliency: colour map %q: colour %d is %q, want #rrggbb", name, i, h)
		}
		m.stops[i] = [3]float64{float64(r) / 255, float64(g) / 255, float64(b) / 255}
	}
	return m, nil
}

func mustColorMap(name string, hex ...string) *ColorMap {
	m, err := NewColorMap(name, hex...)
	if err != nil {
		panic(err)
	}
	return m
}

// Viridis is a sequential map for magnitudes, dark purple through blue and
// green to yellow, with lightness rising steadily so that it reads in grey
// too. It interpolates the nine colours R's viridisLite::viridis(9) lists
// for van der Walt and Smith's viridis (2015).
var Viridis = mustColorMap("viridis",
	"#440154", "#472d7b", "#3b528b", "#2c728e", "#21908c", "#27ad81", "#5dc863", "#aadc32", "#fde725")

// BlueWhiteRed is a diverging map for signed values: 0 is blue (most
// negative), 1/2 near-white (zero), 1 red (most positive). It interpolates
// Brewer's seven-class RdBu scheme (colorbrewer2.org), reversed.
var BlueWhiteRed = mustColorMap("blue-white-red",
	"#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")

// At returns the colour at t in [0,1] (clamped; NaN is 0) as sRGB values in
// [0,1].
func (m *ColorMap) At(t float64) (r, g, b float64) {
	if !(t > 0) {
		t = 0
	}
	t = math.Min(t, 1)
	pos := t * float64(len(m.stops)-1)
	i := min(int(pos), len(m.stops)-2)
	f := pos - float64(i)
	a, c := m.stops[i], m.stops[i+1]
	return a[0] + f*(c[0]-a[0]), a[1] + f*(c[1]-a[1]), a[2] + f*(c[2]-a[2])
}
