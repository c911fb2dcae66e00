package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convGeoms covers the ResNet cases (3x3 pad 1 at strides 1 and 2, 1x1 at
// strides 1 and 2), dilation, asymmetric kernels and padding, and kernels
// that read only padding in some positions.
var convGeoms = []ConvGeom{
	{C: 3, H: 8, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{C: 2, H: 9, W: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{C: 4, H: 5, W: 6, KH: 1, KW: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
	{C: 4, H: 8, W: 8, KH: 1, KW: 1, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
	{C: 2, H: 10, W: 11, KH: 3, KW: 2, StrideH: 1, StrideW: 3, PadH: 2, PadW: 1, DilH: 2, DilW: 3},
	{C: 1, H: 3, W: 3, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3, DilH: 1, DilW: 1},
	{C: 3, H: 7, W: 5, KH: 7, KW: 3, StrideH: 2, StrideW: 1, PadH: 3, PadW: 0, DilH: 1, DilW: 2},
	{C: 2, H: 6, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
	{C: 1, H: 2, W: 4, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1},
}

// refIm2col is the definition, element by element.
func refIm2col(g ConvGeom, img []float32) []float32 {
	oh, ow := g.OutH(), g.OutW()
	col := make([]float32, g.ColRows()*oh*ow)
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				r := (c*g.KH+kh)*g.KW + kw
				for y := 0; y < oh; y++ {
					for x := 0; x < ow; x++ {
						iy, ix := y*g.StrideH-g.PadH+kh*g.DilH, x*g.StrideW-g.PadW+kw*g.DilW
						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
							col[(r*oh+y)*ow+x] = img[(c*g.H+iy)*g.W+ix]
						}
					}
				}
			}
		}
	}
	return col
}

func TestIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, g := range convGeoms {
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		img := randSlice(rng, g.C*g.H*g.W)
		want := refIm2col(g, img)
		col := randSlice(rng, len(want)) // stale values must be overwritten
		Im2col(g, img, col)
		sameBits(t, fmt.Sprintf("Im2col %+v", g), len(want), col, want)
	}
}

// TestCol2imAdjoint checks <Im2col(x), y> = <x, Col2im(y)> in float64, and
// that Col2im accumulates into what img held.
func TestCol2imAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, g := range convGeoms {
		x := randSlice(rng, g.C*g.H*g.W)
		y := randSlice(rng, g.ColRows()*g.OutH()*g.OutW())
		base := randSlice(rng, len(x))
		img := append([]float32(nil), base...)
		Col2im(g, y, img)
		var lhs, rhs float64
		for i, v := range refIm2col(g, x) {
			lhs += float64(v) * float64(y[i])
		}
		for i := range x {
			rhs += float64(x[i]) * (float64(img[i]) - float64(base[i]))
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Fatalf("%+v: <Im2col(x), y> = %v, <x, Col2im(y)> = %v", g, lhs, rhs)
		}
		// Exactness per pixel: the sum over the column entries that read it.
		want := append([]float32(nil), base...)
		oh, ow := g.OutH(), g.OutW()
		for r := 0; r < g.ColRows(); r++ {
			c, kh, kw := r/(g.KH*g.KW), r/g.KW%g.KH, r%g.KW
			for yy := 0; yy < oh; yy++ {
				for xx := 0; xx < ow; xx++ {
					iy, ix := yy*g.StrideH-g.PadH+kh*g.DilH, xx*g.StrideW-g.PadW+kw*g.DilW
					if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
						want[(c*g.H+iy)*g.W+ix] += y[(r*oh+yy)*ow+xx]
					}
				}
			}
		}
		sameBits(t, fmt.Sprintf("Col2im %+v", g), len(want), img, want)
	}
}

func TestConvGeomValidate(t *testing.T) {
	good := convGeoms[0]
	bad := []struct {
		mod  func(*ConvGeom)
		want string
	}{
		{func(g *ConvGeom) { g.StrideW = 0 }, "StrideW = 0"},
		{func(g *ConvGeom) { g.C = -1 }, "C = -1"},
		{func(g *ConvGeom) { g.PadH = -1 }, "negative padding"},
		{func(g *ConvGeom) { g.KH, g.PadH = 11, 1 }, "larger than the padded"},
	}
	for _, b := range bad {
		g := good
		b.mod(&g)
		if err := g.Validate(); err == nil || !contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want one containing %q", g, err, b.want)
		}
	}
}

func BenchmarkIm2col(b *testing.B) {
	for _, g := range []ConvGeom{
		{C: 16, H: 32, W: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 32, H: 32, W: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 64, H: 8, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	} {
		img := make([]float32, g.C*g.H*g.W)
		col := make([]float32, g.ColRows()*g.OutH()*g.OutW())
		name := fmt.Sprintf("C%dH%ds%d", g.C, g.H, g.StrideH)
		b.Run("Im2col/"+name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for b.Loop() {
				Im2col(g, img, col)
			}
		})
		b.Run("Col2im/"+name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for b.Loop() {
				Col2im(g, col, img)
			}
		})
	}
}
