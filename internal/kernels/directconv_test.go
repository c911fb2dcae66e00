package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refConv64 is the convolution of one image in float64, plain loops:
// out[co][oy][ox] = sum w[co][c][kh][kw] * img[c][iy][ix].
func refConv64(g ConvGeom, img, w []float32, cout int) []float64 {
	oh, ow := g.OutH(), g.OutW()
	out := make([]float64, cout*oh*ow)
	for co := 0; co < cout; co++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := 0.0
				for c := 0; c < g.C; c++ {
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							iy := oy*g.StrideH - g.PadH + kh*g.DilH
							ix := ox*g.StrideW - g.PadW + kw*g.DilW
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							s += float64(w[((co*g.C+c)*g.KH+kh)*g.KW+kw]) * float64(img[(c*g.H+iy)*g.W+ix])
						}
					}
				}
				out[(co*oh+oy)*ow+ox] = s
			}
		}
	}
	return out
}

// refWeightGrad64 is sum over images of dy[co][oy][ox] * img[c][iy][ix].
func refWeightGrad64(g ConvGeom, imgs, dys [][]float32, cout int) []float64 {
	oh, ow := g.OutH(), g.OutW()
	k := g.ColRows()
	dw := make([]float64, cout*k)
	for n := range imgs {
		for co := 0; co < cout; co++ {
			for c := 0; c < g.C; c++ {
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						s := 0.0
						for oy := 0; oy < oh; oy++ {
							for ox := 0; ox < ow; ox++ {
								iy := oy*g.StrideH - g.PadH + kh*g.DilH
								ix := ox*g.StrideW - g.PadW + kw*g.DilW
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								s += float64(dys[n][(co*oh+oy)*ow+ox]) * float64(imgs[n][(c*g.H+iy)*g.W+ix])
							}
						}
						dw[co*k+(c*g.KH+kh)*g.KW+kw] += s
					}
				}
			}
		}
	}
	return dw
}

var directConvGeoms = []ConvGeom{
	{C: 3, H: 8, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{C: 2, H: 7, W: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{C: 4, H: 9, W: 10, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{C: 5, H: 6, W: 6, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
	{C: 3, H: 8, W: 7, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1},
	{C: 2, H: 9, W: 11, KH: 5, KW: 3, StrideH: 2, StrideW: 1, PadH: 2, PadW: 0, DilH: 1, DilW: 2},
	{C: 1, H: 12, W: 12, KH: 3, KW: 3, StrideH: 3, StrideW: 3, PadH: 0, PadW: 2, DilH: 2, DilW: 1},
	{C: 16, H: 16, W: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
}

// TestDirectConv checks Forward and WeightGrad over blocks of one to three
// images against float64 loops, for geometries with every kind of stride,
// padding and dilation and output channels that are not a multiple of the
// kernels' 8 rows. The lowered block and the grids start out full of NaN,
// so a kernel that read an element the lowering did not write would show.
func TestDirectConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for gi, g := range directConvGeoms {
		for _, cout := range []int{1, 8, 11} {
			for _, images := range []int{1, 3} {
				name := fmt.Sprintf("geom%d cout%d images%d", gi, cout, images)
				d := NewDirectConv(g, images)
				k := g.ColRows()
				w := randSlice(rng, cout*k)
				packed := nanSlice(d.PackedLen(cout))
				d.PackWeights(packed, w, cout)
				lowered := nanSlice(d.LoweredLen())
				imgs, dys := make([][]float32, images), make([][]float32, images)
				dyGrid := nanSlice(roundUp(cout, 8) * d.DotLen())
				oh, ow := g.OutH(), g.OutW()
				for j := range imgs {
					imgs[j] = randSlice(rng, g.C*g.H*g.W)
					dys[j] = randSlice(rng, cout*oh*ow)
					d.Lower(lowered, imgs[j], j)
					d.ExpandGrad(dyGrid, dys[j], cout, j)
				}
				for j := range imgs {
					want := refConv64(g, imgs[j], w, cout)
					grid := nanSlice(d.GridSize(cout))
					d.Forward(grid, packed, cout, lowered, j)
					for co := 0; co < cout; co++ {
						for oy := 0; oy < oh; oy++ {
							for ox := 0; ox < ow; ox++ {
								got := float64(grid[co*d.GridLen()+oy*d.GridPitch()+ox])
								ref := want[(co*oh+oy)*ow+ox]
								if math.Abs(got-ref) > 1e-5*(1+math.Abs(ref)) || math.IsNaN(got) {
									t.Fatalf("%s: image %d output (%d,%d,%d) = %g, want %g", name, j, co, oy, ox, got, ref)
								}
							}
						}
					}
				}
				dw := make([]float32, d.WeightGradLen(cout))
				d.WeightGrad(dw, dyGrid, cout, lowered, nanSlice(d.WeightGradScratchLen()))
				want := refWeightGrad64(g, imgs, dys, cout)
				for co := 0; co < cout; co++ {
					for tp := 0; tp < k; tp++ {
						got := float64(dw[co*d.WeightGradPitch()+tp])
						ref := want[co*k+tp]
						if math.Abs(got-ref) > 1e-4*(1+math.Abs(ref)) || math.IsNaN(got) {
							t.Fatalf("%s: dw[%d][%d] = %g, want %g", name, co, tp, got, ref)
						}
					}
				}
			}
		}
	}
}

// TestDirectConvKernels runs the dispatched micro-kernels (assembly where
// the CPU has AVX-512) and the Go ones on the same data.
func TestDirectConvKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, k := range []int{1, 3, 4, 5, 27, 144} {
		b := randSlice(rng, 4096)
		offs := make([]int32, k)
		for p := range offs {
			offs[p] = int32(rng.IntN(4096 - 32))
		}
		a := randSlice(rng, 8*k)
		for _, wide := range []bool{false, true} {
			got, want := make([]float32, 8*40), make([]float32, 8*40)
			dconvTile(wide, k, a, b, offs, got, 40)
			dconvTileGo(wide, k, a, b, offs, want, 40)
			closeSlices(t, fmt.Sprintf("dconvTile k=%d wide=%v", k, wide), got, want, 1e-5)
		}
	}
	for _, stride := range []int{1, 2, 3} {
		for _, n := range []int{1, 5, 15, 16, 17, 31, 32, 33, 40} {
			for _, j0 := range []int{0, 1, 2} {
				const rows = 3
				pw := j0 + n + 2
				srcPitch := n*stride + 3
				src := randSlice(rng, (rows-1)*srcPitch+(n-1)*stride+1)
				got, want := nanSlice(rows*(pw+4)), nanSlice(rows*(pw+4))
				lowerRows(got, pw+4, src, srcPitch, rows, pw, j0, n, stride)
				lowerRowsGo(want, pw+4, src, srcPitch, rows, pw, j0, n, stride)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("lowerRows stride %d n %d j0 %d: element %d = %g, want %g", stride, n, j0, i, got[i], want[i])
					}
				}
			}
		}
	}
	for _, c := range []struct{ n, segs, skip int }{{16, 1, 0}, {32, 1, 0}, {48, 3, 5}, {80, 2, 20}, {1088, 1, 0}} {
		span := (c.segs-1)*(c.n+c.skip) + c.n
		pitch := span + 5
		dy, x := randSlice(rng, 8*pitch), randSlice(rng, span+64)
		offs := []int32{0, 1, int32(rng.IntN(60))}
		got := randSlice(rng, dotTile)
		want := append([]float32(nil), got...)
		dconvDot(c.n, c.segs, c.skip, dy, pitch, x, offs, got)
		dconvDotGo(c.n, c.segs, c.skip, dy, pitch, x, offs, want)
		closeSlices(t, fmt.Sprintf("dconvDot %+v", c), got, want, 1e-4)
		out := randSlice(rng, 8*5)
		wantOut := append([]float32(nil), out...)
		dconvSum(got, out, 5)
		dconvSumGo(want, wantOut, 5)
		closeSlices(t, fmt.Sprintf("dconvSum %+v", c), out, wantOut, 1e-4)
	}
}

func nanSlice(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

func closeSlices(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) != math.IsNaN(float64(want[i])) {
			t.Fatalf("%s: element %d = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func BenchmarkDirectConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct {
		name       string
		c, hw, co  int
		stride, im int
	}{
		{"3x32x32", 3, 32, 16, 1, 1},
		{"16x32x32to3", 16, 32, 3, 1, 1},
		{"8x32x32", 8, 32, 8, 1, 1},
		{"16x32x32", 16, 32, 16, 1, 1},
		{"16x32x32j4", 16, 32, 16, 1, 4},
		{"64x8x8j16", 64, 8, 64, 1, 16},
		{"32x16x16", 32, 16, 32, 1, 13},
		{"64x8x8", 64, 8, 64, 1, 8},
		{"16x32x32s2", 16, 32, 32, 2, 2},
	} {
		g := ConvGeom{C: s.c, H: s.hw, W: s.hw, KH: 3, KW: 3, StrideH: s.stride, StrideW: s.stride, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		d := NewDirectConv(g, s.im)
		packed := make([]float32, d.PackedLen(s.co))
		d.PackWeights(packed, randSlice(rng, s.co*g.ColRows()), s.co)
		lowered := make([]float32, d.LoweredLen())
		img := randSlice(rng, s.c*s.hw*s.hw)
		dyGrid := make([]float32, roundUp(s.co, 8)*d.DotLen())
		dy := randSlice(rng, s.co*g.OutH()*g.OutW())
		for j := 0; j < s.im; j++ {
			d.Lower(lowered, img, j)
			d.ExpandGrad(dyGrid, dy, s.co, j)
		}
		grid := make([]float32, d.GridSize(s.co))
		flops := 2 * float64(s.co*g.ColRows()*g.OutH()*g.OutW()*s.im)
		b.Run("Forward/"+s.name, func(b *testing.B) {
			for b.Loop() {
				for j := 0; j < s.im; j++ {
					d.Forward(grid, packed, s.co, lowered, j)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
		b.Run("Lower/"+s.name, func(b *testing.B) {
			for b.Loop() {
				for j := 0; j < s.im; j++ {
					d.Lower(lowered, img, j)
				}
			}
		})
		dw := make([]float32, d.WeightGradLen(s.co))
		scratch := make([]float32, d.WeightGradScratchLen())
		b.Run("WeightGrad/"+s.name, func(b *testing.B) {
			for b.Loop() {
				d.WeightGrad(dw, dyGrid, s.co, lowered, scratch)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}
