package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2 runs the dispatched pool (AVX-512 where the CPU has it) and
// the Go one against a plain scan of each window, on planes with odd sizes
// (the last row or column is dropped), rows that are not a multiple of the
// 16 lanes, ties, zeros of both signs and NaNs.
func TestMaxPool2x2(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, h := range []int{2, 3, 4, 9} {
		for _, w := range []int{2, 5, 16, 31, 32, 33, 70} {
			src := specialVector(rng, h*w, true)
			for i := range src {
				if rng.IntN(5) == 0 { // ties
					src[i] = 0.5
				}
			}
			oh, ow := h/2, w/2
			want, wantArg := make([]float32, oh*ow), make([]int32, oh*ow)
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					bi := 2*oy*w + 2*ox
					for _, j := range []int{bi + 1, bi + w, bi + w + 1} {
						if v, b := src[j], src[bi]; v > b || math.IsNaN(float64(v)) {
							bi = j
						}
					}
					want[oy*ow+ox], wantArg[oy*ow+ox] = src[bi], int32(bi)
				}
			}
			for _, impl := range []struct {
				name string
				fn   func(dst []float32, arg []int32)
			}{
				{"MaxPool2x2", func(d []float32, a []int32) { MaxPool2x2(d, a, src, h, w) }},
				{"maxPool2x2Go", func(d []float32, a []int32) { maxPool2x2Go(d, a, src, oh, ow, w) }},
			} {
				got, arg := make([]float32, oh*ow+3), make([]int32, oh*ow+3)
				got[oh*ow], arg[oh*ow] = 7, 7
				impl.fn(got, arg)
				what := fmt.Sprintf("%s %dx%d", impl.name, h, w)
				sameBits(t, what, oh*ow, got[:oh*ow], want)
				for k := range wantArg {
					if arg[k] != wantArg[k] {
						t.Fatalf("%s: arg[%d] = %d, want %d", what, k, arg[k], wantArg[k])
					}
				}
				if got[oh*ow] != 7 || arg[oh*ow] != 7 {
					t.Fatalf("%s wrote past its output", what)
				}
			}
		}
	}
}

func BenchmarkMaxPool2x2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const h, w = 32, 32
	src := randSlice(rng, h*w)
	dst, arg := make([]float32, h*w/4), make([]int32, h*w/4)
	b.SetBytes(4 * h * w)
	for b.Loop() {
		MaxPool2x2(dst, arg, src, h, w)
	}
}
