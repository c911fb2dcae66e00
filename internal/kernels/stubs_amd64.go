//go:build amd64 && !noasm

package kernels

import "math"

// avx512Kernel is an 8x32 tile in sixteen zmm accumulators: per step of k it
// loads two vectors of B and multiplies them by eight elements of A taken
// as embedded-broadcast memory operands, sixteen FMAs for ten loads. MR = 8
// divides the channel counts of the common layers (16, 32, 64), and the
// 8 x kc A micro-panel (8 KiB at kc = 256) stays in L1 while B streams from
// L2.
var avx512Kernel = microKernel{
	name: "avx512_8x32", mr: 8, nr: 32,
	kc: 256, bBlockFloats: 128 << 10,
	fn:   sgemmKernel8x32AVX512,
	half: sgemmKernel8x16AVX512,
}

// avx2Kernel is a 4x24 tile in twelve ymm accumulators, which with three B
// vectors and one broadcast A element uses all sixteen ymm registers.
var avx2Kernel = microKernel{
	name: "avx2_4x24", mr: 4, nr: 24,
	kc: 256, bBlockFloats: 96 << 10,
	fn: sgemmKernel4x24AVX2,
}

// gemmKernel is the micro-kernel Sgemm uses, the widest of the instruction
// set in use (applyISA sets it).
var gemmKernel *microKernel

// gemmKernels lists every micro-kernel the instruction set in use can run,
// widest first, for the tests.
var gemmKernels []*microKernel

func sgemmKernel8x32AVX512(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[8*k-1]
	_ = b[(k-1)*bstride+31]
	_ = c[7*ldc+31]
	sgemm8x32AVX512(k, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

func sgemmKernel8x16AVX512(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[8*k-1]
	_ = b[(k-1)*bstride+15]
	_ = c[7*ldc+15]
	sgemm8x16AVX512(k, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

func sgemmKernel4x24AVX2(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[4*k-1]
	_ = b[(k-1)*bstride+23]
	_ = c[3*ldc+23]
	sgemm4x24AVX2(k, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

// sgemm8x32AVX512 computes C[0:8, 0:32] = alpha*Ap*Bp + beta*C, Ap packed
// 8 x k (a[p*8+i]), row p of B at b[p*bstride:]; k >= 1.
//
//go:noescape
func sgemm8x32AVX512(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)

// sgemm8x16AVX512 computes C[0:8, 0:16] = alpha*Ap*Bp + beta*C, the left
// half of sgemm8x32AVX512's tile.
//
//go:noescape
func sgemm8x16AVX512(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)

// sgemm4x24AVX2 computes C[0:4, 0:24] = alpha*Ap*Bp + beta*C, Ap packed
// 4 x k (a[p*4+i]), row p of B at b[p*bstride:]; k >= 1.
//
//go:noescape
func sgemm4x24AVX2(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)

// vecAVX2 selects the AVX2 bodies of the element-wise and reduction loops
// (applyISA sets it).
var vecAVX2 bool

func axpy(a float32, x, y []float32) {
	n := 0
	if vecAVX2 {
		if n = len(x) &^ 7; n > 0 {
			axpyAVX2(a, &x[0], &y[0], n)
		}
	}
	axpyGo(a, x[n:], y[n:])
}

func scal(a float32, x []float32) {
	n := 0
	if vecAVX2 {
		if n = len(x) &^ 7; n > 0 {
			scalAVX2(a, &x[0], n)
		}
	}
	scalGo(a, x[n:])
}

func add(dst, a, b []float32) {
	n := 0
	if vecAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			addAVX2(&dst[0], &a[0], &b[0], n)
		}
	}
	addGo(dst[n:], a[n:], b[n:])
}

func mul(dst, a, b []float32) {
	n := 0
	if vecAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			mulAVX2(&dst[0], &a[0], &b[0], n)
		}
	}
	mulGo(dst[n:], a[n:], b[n:])
}

func relu(dst, src []float32) {
	n := 0
	if vecAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			reluAVX2(&dst[0], &src[0], n)
		}
	}
	reluGo(dst[n:], src[n:])
}

func reluBackward(dst, g, out []float32) {
	n := 0
	if vecAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			reluBackwardAVX2(&dst[0], &g[0], &out[0], n)
		}
	}
	reluBackwardGo(dst[n:], g[n:], out[n:])
}

func sumInto(lanes *[sumLanes]float64, x []float32) {
	n := 0
	if vecAVX2 {
		if n = len(x) &^ (sumLanes - 1); n > 0 {
			sumAVX2(lanes, &x[0], n)
		}
	}
	sumIntoGo(lanes, x[n:])
}

func dotInto(lanes *[sumLanes]float64, x, y []float32) {
	n := 0
	if vecAVX2 {
		if n = len(x) &^ (sumLanes - 1); n > 0 {
			dotAVX2(lanes, &x[0], &y[0], n)
		}
	}
	dotIntoGo(lanes, x[n:], y[n:])
}

func maxAbs(x []float32) float32 {
	n := 0
	var m float32
	nan := false
	if vecAVX2 {
		if n = len(x) &^ 7; n > 0 {
			m, nan = maxAbsAVX2(&x[0], n)
		}
	}
	t := maxAbsGo(x[n:])
	if nan || t != t {
		return float32(math.NaN())
	}
	return max(m, t)
}

//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

//go:noescape
func scalAVX2(a float32, x *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func reluAVX2(dst, src *float32, n int)

//go:noescape
func reluBackwardAVX2(dst, grad, out *float32, n int)

//go:noescape
func sumAVX2(lanes *[sumLanes]float64, x *float32, n int)

//go:noescape
func dotAVX2(lanes *[sumLanes]float64, x, y *float32, n int)

//go:noescape
func maxAbsAVX2(x *float32, n int) (max float32, nan bool)

// transpose8 writes dst[p*dstStride+i] = src[i*srcStride+p] for the 8 rows
// i < 8 and the columns p < n of src.
func transpose8(dst []float32, dstStride int, src []float32, srcStride, n int) {
	done := 0
	if vecAVX2 {
		if done = n &^ 7; done > 0 {
			_ = dst[(done-1)*dstStride+7]
			_ = src[7*srcStride+done-1]
			transpose8AVX2(&dst[0], dstStride, &src[0], srcStride, done)
		}
	}
	if done < n {
		transpose8Go(dst[done*dstStride:], dstStride, src[done:], srcStride, n-done)
	}
}

//go:noescape
func transpose8AVX2(dst *float32, dstStride int, src *float32, srcStride int, n int)

// packRows packs kc rows of w*panels floats of src (leading dimension ld)
// into panels of w columns: dst[q*kc*w + p*w + x] = src[p*ld + q*w + x].
// Widths 32, 8 and 4 (the micro-kernels' panels) have AVX2 loops.
func packRows(dst, src []float32, ld, kc, panels, w int) {
	if !vecAVX2 || (w != 32 && w != 8 && w != 4) {
		packRowsGo(dst, src, ld, kc, panels, w)
		return
	}
	if kc == 0 || panels == 0 {
		return
	}
	_ = dst[panels*kc*w-1]
	_ = src[(kc-1)*ld+panels*w-1]
	switch w {
	case 32:
		packRows32AVX2(&dst[0], &src[0], ld, kc, panels)
	case 8:
		packRows8AVX2(&dst[0], &src[0], ld, kc, panels)
	default:
		packRows4AVX2(&dst[0], &src[0], ld, kc, panels)
	}
}

//go:noescape
func packRows32AVX2(dst, src *float32, srcStride, kc, panels int)

//go:noescape
func packRows8AVX2(dst, src *float32, srcStride, kc, panels int)

//go:noescape
func packRows4AVX2(dst, src *float32, srcStride, kc, panels int)

// prefetchRect asks for the rows x width block of src at offset off
// (leading dimension ld) to be brought towards the core.
func prefetchRect(src []float32, off, ld, rows, width int) {
	if rows <= 0 || width <= 0 {
		return
	}
	_ = src[off+(rows-1)*ld+width-1]
	prefetchRows(&src[off], ld, rows, width)
}

//go:noescape
func prefetchRows(src *float32, ld, rows, width int)

// transpose4 writes dst[p*4+i] = src[i*srcStride+p] for the 4 rows i < 4
// and the columns p < n of src.
func transpose4(dst, src []float32, srcStride, n int) {
	done := 0
	if vecAVX2 {
		if done = n &^ 7; done > 0 {
			_ = dst[done*4-1]
			_ = src[3*srcStride+done-1]
			transpose4AVX2(&dst[0], &src[0], srcStride, done)
		}
	}
	if done < n {
		transpose4Go(dst[done*4:], src[done:], srcStride, n-done)
	}
}

//go:noescape
func transpose4AVX2(dst *float32, src *float32, srcStride int, n int)
