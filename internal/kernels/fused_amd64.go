//go:build amd64 && !noasm

package kernels

// The fused loops run their AVX2 bodies where the CPU has AVX2 (vecAVX2,
// as the loops of vector.go) and the Go bodies otherwise.

func reluGrad(dst, g, out []float32) {
	n := 0
	if vecAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			reluGradAVX2(&dst[0], &g[0], &out[0], n)
		}
	}
	reluGradGo(dst[n:], g[n:], out[n:])
}

func affineRows(dst []float32, dstPitch int, src []float32, srcPitch int, res []float32, resPitch int,
	rows, cols int, a, b float32, relu bool) {
	if !vecAVX2 {
		affineRowsGo(dst, dstPitch, src, srcPitch, res, resPitch, rows, cols, a, b, relu)
		return
	}
	flags := 0
	if relu {
		flags |= 1
	}
	var rp *float32
	if res != nil {
		flags |= 2
		rp = &res[0]
	}
	affineRowsAVX2(&dst[0], dstPitch, &src[0], srcPitch, rp, resPitch, rows, cols, a, b, flags)
}

func maskedSumDot(ls, ld *[sumLanes]float64, g, mask, x, dres []float32, addRes bool) {
	n := 0
	if vecAVX2 {
		if n = len(g) &^ (sumLanes - 1); n > 0 {
			flags := 0
			var mp, rp *float32
			if mask != nil {
				flags |= 1
				mp = &mask[0]
			}
			if dres != nil {
				flags |= 2
				rp = &dres[0]
				if addRes {
					flags |= 4
				}
			}
			maskedSumDotAVX2(ls, ld, &g[0], mp, &x[0], rp, n, flags)
		}
	}
	maskedSumDotGo(ls, ld, g[n:], tail(mask, n), x[n:], tail(dres, n), addRes)
}

func normGrad(dx, g, mask, x []float32, k1, k2, k0 float32, add bool) {
	n := 0
	if vecAVX2 {
		if n = len(dx) &^ 7; n > 0 {
			flags := 0
			var mp, xp *float32
			if mask != nil {
				flags |= 1
				mp = &mask[0]
			}
			if x != nil {
				flags |= 2
				xp = &x[0]
			}
			if add {
				flags |= 4
			}
			normGradAVX2(&dx[0], &g[0], mp, xp, n, k1, k2, k0, flags)
		}
	}
	normGradGo(dx[n:], g[n:], tail(mask, n), tail(x, n), k1, k2, k0, add)
}

//go:noescape
func reluGradAVX2(dst, grad, out *float32, n int)

//go:noescape
func affineRowsAVX2(dst *float32, dstPitch int, src *float32, srcPitch int, res *float32, resPitch int, rows, cols int, a, b float32, flags int)

//go:noescape
func maskedSumDotAVX2(ls, ld *[sumLanes]float64, grad, mask, x, dres *float32, n int, flags int)

//go:noescape
func normGradAVX2(dx, grad, mask, x *float32, n int, k1, k2, k0 float32, flags int)
