package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The fused loops are checked against their Go bodies bit for bit (the
// dispatched versions run the assembly on amd64) and both against float64
// arithmetic rounded to float32 after every operation, which is what each
// step of the float32 loops computes exactly.

func r32(x float64) float32 { return float32(x) }

func TestReluGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range vectorSizes {
		for _, special := range []bool{false, true} {
			g, out := specialVector(rng, n, special), specialVector(rng, n, special)
			got, gob, want := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range want {
				if out[i] > 0 {
					want[i] = g[i]
				}
			}
			ReluGrad(got, g, out)
			reluGradGo(gob, g, out)
			sameBits(t, "ReluGrad", n, got, want)
			sameBits(t, "reluGradGo", n, gob, want)
		}
	}
}

func TestAffineRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	const sentinel = float32(-12345)
	for _, cols := range []int{1, 5, 7, 8, 9, 16, 17, 32, 33} {
		for _, rows := range []int{1, 3} {
			for _, relu := range []bool{false, true} {
				for _, withRes := range []bool{false, true} {
					pitch := cols + 3
					src := specialVector(rng, rows*pitch, true)
					var res []float32
					if withRes {
						res = specialVector(rng, rows*pitch, true)
					}
					a, b := float32(rng.NormFloat64()), float32(rng.NormFloat64())
					want := make([]float32, rows*pitch)
					for i := range want {
						want[i] = sentinel
					}
					for r := 0; r < rows; r++ {
						for c := 0; c < cols; c++ {
							i := r*pitch + c
							v := r32(float64(r32(float64(src[i])*float64(a))) + float64(b))
							if withRes {
								v = r32(float64(v) + float64(res[i]))
							}
							if relu && 0 > v {
								v = 0
							}
							want[i] = v
						}
					}
					for _, impl := range []struct {
						name string
						fn   func(dst []float32)
					}{
						{"AffineRows", func(d []float32) { AffineRows(d, pitch, src, pitch, res, pitch, rows, cols, a, b, relu) }},
						{"affineRowsGo", func(d []float32) { affineRowsGo(d, pitch, src, pitch, res, pitch, rows, cols, a, b, relu) }},
					} {
						got := make([]float32, rows*pitch)
						for i := range got {
							got[i] = sentinel
						}
						impl.fn(got)
						sameBits(t, impl.name, cols, got, want)
					}
				}
			}
		}
	}
	// In place, as batch norm applies itself to its input's copy.
	x := []float32{1, -2, 3, -4, 5, -6, 7, -8, 9}
	AffineRows(x, 9, x, 9, nil, 0, 1, 9, 2, 1, true)
	sameBits(t, "AffineRows in place", 9, x, []float32{3, 0, 7, 0, 11, 0, 15, 0, 19})
}

func TestMaskedSumDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, n := range vectorSizes {
		for _, withMask := range []bool{false, true} {
			for _, resMode := range []int{0, 1, 2} { // no dres, set, add
				g, x := specialVector(rng, n, false), specialVector(rng, n, false)
				var mask []float32
				if withMask {
					mask = specialVector(rng, n, true)
				}
				dz := make([]float32, n)
				var ws, wd float64
				for i := range g {
					if mask == nil || mask[i] > 0 {
						dz[i] = g[i]
					}
					ws += float64(dz[i])
					wd += float64(dz[i]) * float64(x[i])
				}
				base := specialVector(rng, n, false)
				wantRes := append([]float32(nil), base...)
				for i := range wantRes {
					switch resMode {
					case 1:
						wantRes[i] = dz[i]
					case 2:
						wantRes[i] = r32(float64(base[i]) + float64(dz[i]))
					}
				}
				var res1, res2 []float32
				if resMode > 0 {
					res1, res2 = append([]float32(nil), base...), append([]float32(nil), base...)
				}
				s, d := MaskedSumDot(g, mask, x, res1, resMode == 2)
				var ls, ld [sumLanes]float64
				maskedSumDotGo(&ls, &ld, g, mask, x, res2, resMode == 2)
				gs, gd := addLanes(&ls), addLanes(&ld)
				if s != gs || d != gd {
					t.Fatalf("n=%d: MaskedSumDot = %v, %v; Go body %v, %v", n, s, d, gs, gd)
				}
				if math.Abs(s-ws) > 1e-9*(1+math.Abs(ws)) || math.Abs(d-wd) > 1e-9*(1+math.Abs(wd)) {
					t.Fatalf("n=%d: MaskedSumDot = %v, %v; want %v, %v", n, s, d, ws, wd)
				}
				if resMode > 0 {
					sameBits(t, "MaskedSumDot dres", n, res1, wantRes)
					sameBits(t, "maskedSumDotGo dres", n, res2, wantRes)
				}
			}
		}
	}
}

func TestNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, n := range vectorSizes {
		for _, withMask := range []bool{false, true} {
			for _, withX := range []bool{false, true} {
				for _, add := range []bool{false, true} {
					g, base := specialVector(rng, n, true), specialVector(rng, n, false)
					var mask, x []float32
					if withMask {
						mask = specialVector(rng, n, true)
					}
					if withX {
						x = specialVector(rng, n, false)
					}
					k1, k2, k0 := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
					want := make([]float32, n)
					for i := range want {
						dz := g[i]
						if mask != nil && !(mask[i] > 0) {
							dz = 0
						}
						v := r32(float64(dz) * float64(k1))
						if x != nil {
							v = r32(float64(v) - float64(r32(float64(x[i])*float64(k2))))
						}
						v = r32(float64(v) + float64(k0))
						if add {
							v = r32(float64(v) + float64(base[i]))
						}
						want[i] = v
					}
					got, gob := append([]float32(nil), base...), append([]float32(nil), base...)
					NormGrad(got, g, mask, x, k1, k2, k0, add)
					normGradGo(gob, g, mask, x, k1, k2, k0, add)
					sameBits(t, "NormGrad", n, got, want)
					sameBits(t, "normGradGo", n, gob, want)
				}
			}
		}
	}
}

func BenchmarkAffineRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	src, res, dst := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
	b.SetBytes(3 * 4 * n)
	for b.Loop() {
		AffineRows(dst, n, src, n, res, n, 1, n, 1.5, 0.25, true)
	}
}

func BenchmarkNormGrad(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	g, mask, x, dx := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), make([]float32, n)
	b.SetBytes(4 * 4 * n)
	for b.Loop() {
		NormGrad(dx, g, mask, x, 1.5, 0.25, 0.125, false)
	}
}

func BenchmarkMaskedSumDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	g, mask, x := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	b.SetBytes(3 * 4 * n)
	for b.Loop() {
		MaskedSumDot(g, mask, x, nil, false)
	}
}
