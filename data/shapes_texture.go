package data

import "math"

// The ten periodic textures of the shapes set. A texture is a function of
// the pixel position with values in [0, 1] that mixes the image's two
// foreground colours. Each has a base period in pixels at 32x32 (3-8 px, so
// that several periods fit inside an object) that scales with the image
// size, a base orientation, and per image a random phase, a ±15° orientation
// jitter and a ±10% period jitter, so the class is in the pattern, not in
// where its stripes happen to fall. Edges are smoothed over about one pixel
// (a box-filtered square wave), which keeps fine patterns from aliasing into
// moiré at 32x32.

type textureKind struct {
	name   string
	period float32 // pixels at 32x32
	angle  float64 // base orientation, radians
}

var textureKinds = [10]textureKind{
	{"stripes", 6, 0},
	{"checker", 8, 0},
	{"dots", 6, 0},
	{"grid", 6, 0},
	{"zigzag", 6, math.Pi / 2},
	{"crosshatch", 6, math.Pi / 4},
	{"rings", 6, 0},
	{"bricks", 8, 0},
	{"noise", 2, 0},
	{"waves", 6, 0},
}

// texture is one image's texture: its kind and random parameters.
type texture struct {
	kind       int
	cos, sin   float32 // orientation
	pu, pv     float32 // phase, in periods
	cx, cy     float32 // centre of the rings texture, pixels
	noiseSeed  uint64
	invPeriod  float32 // 1 / period in pixels: also one pixel in period units
	noiseScale float32 // 1 / cell size in pixels
}

func newTexture(kind, size int, r *splitmix) texture {
	k := textureKinds[kind]
	scale := float32(size) / 32
	p := k.period * scale * (0.9 + 0.2*r.float32())
	a := k.angle + (r.float64()*2-1)*15*math.Pi/180
	t := texture{
		kind: kind,
		cos:  float32(math.Cos(a)), sin: float32(math.Sin(a)),
		pu: r.float32(), pv: r.float32(),
		cx: r.float32() * float32(size), cy: r.float32() * float32(size),
		noiseSeed: r.next(),
	}
	t.invPeriod = 1 / p
	t.noiseScale = 1 / (k.period * scale)
	return t
}

func frac(v float32) float32 { return v - float32(math.Floor(float64(v))) }

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

// band is a square wave over f in [0, 1): 1 on [0, duty), 0 elsewhere, with
// its edges ramped over aa (one pixel) so that it is the pixel's coverage.
func band(f, duty, aa float32) float32 {
	var s float32
	if f < duty {
		s = min(f, duty-f)
	} else {
		s = -min(f-duty, 1-f)
	}
	return clamp01(s/aa + 0.5)
}

// at returns the texture's value at pixel centre (x, y).
func (t *texture) at(x, y float32) float32 {
	u := (t.cos*x+t.sin*y)*t.invPeriod + t.pu
	v := (-t.sin*x+t.cos*y)*t.invPeriod + t.pv
	// Edges ramp over one pixel.
	aa := t.invPeriod
	switch t.kind {
	case 0: // stripes
		return band(frac(u), 0.5, aa)
	case 1: // checker
		a, b := band(frac(u), 0.5, aa), band(frac(v), 0.5, aa)
		return a + b - 2*a*b
	case 2: // dots on a square lattice
		d := length(frac(u)-0.5, frac(v)-0.5)
		return clamp01((0.3-d)/aa + 0.5)
	case 3: // grid of lines
		return max(band(frac(u), 0.28, aa), band(frac(v), 0.28, aa))
	case 5: // crosshatch: thinner lines on the diagonals
		return max(band(frac(u), 0.2, aa), band(frac(v), 0.2, aa))
	case 4: // zigzag: stripes bent into chevrons
		tri := abs32(2*frac(v) - 1)
		return band(frac(u+0.8*tri), 0.5, aa)
	case 6: // concentric rings around a random centre
		r := length(x-t.cx, y-t.cy)*t.invPeriod + t.pu
		return band(frac(r), 0.5, aa)
	case 7: // bricks: half-period rows, joints offset every other row
		v2 := 2 * v
		row := int(math.Floor(float64(v2)))
		off := float32(row&1) * 0.5
		return max(band(frac(v2), 0.25, 2*aa), band(frac(u+off), 0.14, aa))
	case 8: // fine noise: random cells (no rotation: pixel-aligned cells)
		ix := int64(math.Floor(float64(x * t.noiseScale)))
		iy := int64(math.Floor(float64(y * t.noiseScale)))
		return float32(mix(t.noiseSeed, uint64(ix), uint64(iy)) >> 63)
	default: // waves: stripes with a sinusoidal bend
		w := float32(math.Sin(math.Pi * float64(v)))
		return band(frac(u+0.45*w), 0.5, aa)
	}
}
