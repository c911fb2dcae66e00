package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinograd checks Forward over blocks of images against float64 loops
// for the geometries it takes (3x3, stride 1, paddings 0 to 2, even
// outputs), with output channels that are not a multiple of 8, and that
// WinogradFits turns the others away.
func TestWinograd(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	geoms := []ConvGeom{
		{C: 3, H: 8, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 2, H: 6, W: 10, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 4, H: 10, W: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{C: 1, H: 4, W: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1},
		{C: 16, H: 16, W: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 9, H: 32, W: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	}
	for gi, g := range geoms {
		if !WinogradFits(g) {
			t.Fatalf("geometry %d: %+v should fit", gi, g)
		}
		for _, cout := range []int{1, 8, 11} {
			for _, images := range []int{1, 3} {
				name := fmt.Sprintf("geom%d cout%d images%d", gi, cout, images)
				w := NewWinograd(g, images)
				k := g.ColRows()
				wt := randSlice(rng, cout*k)
				packed := nanSlice(w.PackedLen(cout))
				w.PackWeights(packed, wt, cout)
				lowered := nanSlice(w.LoweredLen())
				imgs := make([][]float32, images)
				for j := range imgs {
					imgs[j] = randSlice(rng, g.C*g.H*g.W)
					w.Lower(lowered, imgs[j], j)
				}
				out := nanSlice(w.OutputLen(cout))
				w.Forward(out, packed, cout, lowered, nanSlice(w.ScratchLen(cout)))
				oh, ow := g.OutH(), g.OutW()
				for j := range imgs {
					want := refConv64(g, imgs[j], wt, cout)
					off, chanLen, half, pitch := w.Output(j)
					for co := 0; co < cout; co++ {
						for oy := 0; oy < oh; oy++ {
							for ox := 0; ox < ow; ox++ {
								got := float64(out[co*chanLen+off+(oy%2)*half+(oy/2)*pitch+ox])
								ref := want[(co*oh+oy)*ow+ox]
								if math.Abs(got-ref) > 2e-5*(1+math.Abs(ref)) || math.IsNaN(got) {
									t.Fatalf("%s: image %d output (%d,%d,%d) = %g, want %g", name, j, co, oy, ox, got, ref)
								}
							}
						}
					}
				}
			}
		}
	}
	for _, g := range []ConvGeom{
		{C: 1, H: 7, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}, // odd height
		{C: 1, H: 8, W: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1}, // stride 2
		{C: 1, H: 8, W: 8, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1}, // 5x5
		{C: 1, H: 8, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2}, // dilated
	} {
		if WinogradFits(g) {
			t.Fatalf("%+v should not fit", g)
		}
	}
}

// TestWinogradTransforms runs the dispatched transforms (assembly where
// the CPU has AVX-512) and the Go ones on the same data, bit for bit.
func TestWinogradTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	const phase, pw = 200, 17
	p := specialVector(rng, 4*phase+pw+wintile+8, false)
	for _, n := range []int{16, 48, wintile} {
		got, want := nanSlice(16*wintile), nanSlice(16*wintile)
		winoInput(got, p, phase, pw, n)
		winoInputGo(want, p, phase, pw, n)
		sameBits(t, "winoInput", n, got, want)
		m := specialVector(rng, 16*wintile, false)
		g0, g1, w0, w1 := nanSlice(2*wintile), nanSlice(2*wintile), nanSlice(2*wintile), nanSlice(2*wintile)
		winoOutput(g0, g1, m, n)
		winoOutputGo(w0, w1, m, n)
		sameBits(t, "winoOutput row 0", n, g0, w0)
		sameBits(t, "winoOutput row 1", n, g1, w1)
	}
}

func BenchmarkWinograd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct {
		name      string
		c, hw, co int
		im        int
	}{
		{"3x32x32", 3, 32, 16, 1},
		{"16x32x32to3", 16, 32, 3, 1},
		{"8x32x32", 8, 32, 8, 1},
		{"16x32x32", 16, 32, 16, 1},
		{"32x16x16", 32, 16, 32, 4},
		{"64x8x8", 64, 8, 64, 11},
	} {
		g := ConvGeom{C: s.c, H: s.hw, W: s.hw, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		w := NewWinograd(g, s.im)
		packed := make([]float32, w.PackedLen(s.co))
		w.PackWeights(packed, randSlice(rng, s.co*g.ColRows()), s.co)
		lowered := make([]float32, w.LoweredLen())
		img := randSlice(rng, s.c*s.hw*s.hw)
		for j := 0; j < s.im; j++ {
			w.Lower(lowered, img, j)
		}
		out := make([]float32, w.OutputLen(s.co))
		scratch := make([]float32, w.ScratchLen(s.co))
		flops := 2 * float64(s.co*g.ColRows()*g.OutH()*g.OutW()*s.im)
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				w.Forward(out, packed, s.co, lowered, scratch)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS(direct-equivalent)")
		})
	}
}
