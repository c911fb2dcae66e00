//go:build arm64 && !noasm

package kernels

import "math"

// neonKernel is an 8x12 tile in 24 of the 32 vector registers: per step
// of k it loads two vectors of A and three of B and does 24 FMLAs by
// element (the BLIS ARMv8 shape). MR = 8 matches the AVX-512 kernel's
// packing of A (transpose8, packRows of 8) and divides the channel counts
// of the common layers.
var neonKernel = microKernel{
	name: "neon_8x12", mr: 8, nr: 12,
	kc: 256, bBlockFloats: 128 << 10,
	fn: sgemmKernel8x12NEON,
}

// gemmKernel is the micro-kernel Sgemm uses (applyISA sets it).
var gemmKernel *microKernel

// gemmKernels lists every micro-kernel the instruction set in use can run,
// widest first, for the tests.
var gemmKernels []*microKernel

func sgemmKernel8x12NEON(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[8*k-1]
	_ = b[(k-1)*bstride+11]
	_ = c[7*ldc+11]
	sgemm8x12NEON(k, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
}

// sgemm8x12NEON computes C[0:8, 0:12] = alpha*Ap*Bp + beta*C, Ap packed
// 8 x k (a[p*8+i]), row p of B at b[p*bstride:]; k >= 1.
//
//go:noescape
func sgemm8x12NEON(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)

// vecNEON selects the NEON bodies of the element-wise, reduction and
// packing loops (applyISA sets it).
var vecNEON bool

func axpy(a float32, x, y []float32) {
	n := 0
	if vecNEON {
		if n = len(x) &^ 3; n > 0 {
			axpyNEON(a, &x[0], &y[0], n)
		}
	}
	axpyGo(a, x[n:], y[n:])
}

func scal(a float32, x []float32) {
	n := 0
	if vecNEON {
		if n = len(x) &^ 3; n > 0 {
			scalNEON(a, &x[0], n)
		}
	}
	scalGo(a, x[n:])
}

func add(dst, a, b []float32) {
	n := 0
	if vecNEON {
		if n = len(dst) &^ 3; n > 0 {
			addNEON(&dst[0], &a[0], &b[0], n)
		}
	}
	addGo(dst[n:], a[n:], b[n:])
}

func mul(dst, a, b []float32) {
	n := 0
	if vecNEON {
		if n = len(dst) &^ 3; n > 0 {
			mulNEON(&dst[0], &a[0], &b[0], n)
		}
	}
	mulGo(dst[n:], a[n:], b[n:])
}

func relu(dst, src []float32) {
	n := 0
	if vecNEON {
		if n = len(dst) &^ 3; n > 0 {
			reluNEON(&dst[0], &src[0], n)
		}
	}
	reluGo(dst[n:], src[n:])
}

func reluBackward(dst, g, out []float32) {
	n := 0
	if vecNEON {
		if n = len(dst) &^ 3; n > 0 {
			reluBackwardNEON(&dst[0], &g[0], &out[0], n)
		}
	}
	reluBackwardGo(dst[n:], g[n:], out[n:])
}

func sumInto(lanes *[sumLanes]float64, x []float32) {
	n := 0
	if vecNEON {
		if n = len(x) &^ (sumLanes - 1); n > 0 {
			sumNEON(lanes, &x[0], n)
		}
	}
	sumIntoGo(lanes, x[n:])
}

func dotInto(lanes *[sumLanes]float64, x, y []float32) {
	n := 0
	if vecNEON {
		if n = len(x) &^ (sumLanes - 1); n > 0 {
			dotNEON(lanes, &x[0], &y[0], n)
		}
	}
	dotIntoGo(lanes, x[n:], y[n:])
}

func maxAbs(x []float32) float32 {
	n := 0
	var m float32
	if vecNEON {
		if n = len(x) &^ 3; n > 0 {
			m = maxAbsNEON(&x[0], n)
		}
	}
	t := maxAbsGo(x[n:])
	if m != m || t != t {
		return float32(math.NaN())
	}
	return max(m, t)
}

//go:noescape
func axpyNEON(a float32, x, y *float32, n int)

//go:noescape
func scalNEON(a float32, x *float32, n int)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func reluNEON(dst, src *float32, n int)

//go:noescape
func reluBackwardNEON(dst, grad, out *float32, n int)

//go:noescape
func sumNEON(lanes *[sumLanes]float64, x *float32, n int)

//go:noescape
func dotNEON(lanes *[sumLanes]float64, x, y *float32, n int)

//go:noescape
func maxAbsNEON(x *float32, n int) float32

// transpose8 writes dst[p*dstStride+i] = src[i*srcStride+p] for the 8 rows
// i < 8 and the columns p < n of src.
func transpose8(dst []float32, dstStride int, src []float32, srcStride, n int) {
	done := 0
	if vecNEON {
		if done = n &^ 3; done > 0 {
			_ = dst[(done-1)*dstStride+7]
			_ = src[7*srcStride+done-1]
			transpose8NEON(&dst[0], dstStride, &src[0], srcStride, done)
		}
	}
	if done < n {
		transpose8Go(dst[done*dstStride:], dstStride, src[done:], srcStride, n-done)
	}
}

//go:noescape
func transpose8NEON(dst *float32, dstStride int, src *float32, srcStride int, n int)

// transpose4 writes dst[p*4+i] = src[i*srcStride+p] for the 4 rows i < 4
// and the columns p < n of src.
func transpose4(dst, src []float32, srcStride, n int) {
	done := 0
	if vecNEON {
		if done = n &^ 3; done > 0 {
			_ = dst[done*4-1]
			_ = src[3*srcStride+done-1]
			transpose4NEON(&dst[0], &src[0], srcStride, done)
		}
	}
	if done < n {
		transpose4Go(dst[done*4:], src[done:], srcStride, n-done)
	}
}

//go:noescape
func transpose4NEON(dst *float32, src *float32, srcStride int, n int)

// packRows packs kc rows of w*panels floats of src (leading dimension ld)
// into panels of w columns: dst[q*kc*w + p*w + x] = src[p*ld + q*w + x].
// Widths that are a multiple of 4 (every micro-kernel's) have a NEON
// loop.
func packRows(dst, src []float32, ld, kc, panels, w int) {
	if !vecNEON || w%4 != 0 {
		packRowsGo(dst, src, ld, kc, panels, w)
		return
	}
	if kc == 0 || panels == 0 || w == 0 {
		return
	}
	_ = dst[panels*kc*w-1]
	_ = src[(kc-1)*ld+panels*w-1]
	packRowsNEON(&dst[0], &src[0], ld, kc, panels, w)
}

//go:noescape
func packRowsNEON(dst, src *float32, srcStride, kc, panels, w int)
