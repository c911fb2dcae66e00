package kernels

// goKernel is the portable micro-kernel, a 4x4 tile of C computed as two
// 4x2 halves: eight accumulators and the six values of a step are about
// as many float registers as amd64 has (16, the compiler keeps one for
// zero), where the sixteen of a 4x4 block spill on every step; A's 4 x kc
// panel is read twice, from L1.
var goKernel = microKernel{
	name: "go4x4", mr: 4, nr: 4,
	kc: 256, bBlockFloats: 128 << 10,
	fn: sgemmKernel4x4Go,
}

// sgemmKernel4x4Go computes C[0:4, 0:4] = alpha*Ap*Bp + beta*C (see
// microKernel.fn). Each element is the sum over p in order of its
// products, each rounded before it is added (the explicit float32
// conversions forbid fusing), so the result is the same on every
// architecture.
func sgemmKernel4x4Go(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	for h := 0; h < 4; h += 2 {
		c00, c01, c10, c11, c20, c21, c30, c31 := dot4x2Go(k, a, b[h:], bstride)
		storeRow2(c[h:h+2], alpha, beta, c00, c01)
		storeRow2(c[ldc+h:ldc+h+2], alpha, beta, c10, c11)
		storeRow2(c[2*ldc+h:2*ldc+h+2], alpha, beta, c20, c21)
		storeRow2(c[3*ldc+h:3*ldc+h+2], alpha, beta, c30, c31)
	}
}

// dot4x2Go returns the 4x2 block of Ap*Bp at columns b[0:2] of each B
// row. It is not inlined so that alpha and beta, live across the loop in
// its caller, do not take two of the registers its accumulators need.
//
//go:noinline
func dot4x2Go(k int, a, b []float32, bstride int) (c00, c01, c10, c11, c20, c21, c30, c31 float32) {
	a = a[:4*k]
	bo, p := 0, 0
	// Two steps of k per iteration: half the loop's bounds checks.
	for ; p+2 <= k; p += 2 {
		x := (*[8]float32)(a[4*p:])
		y0 := (*[2]float32)(b[bo:])
		y1 := (*[2]float32)(b[bo+bstride:])
		bo += 2 * bstride
		c00 += float32(x[0] * y0[0])
		c01 += float32(x[0] * y0[1])
		c10 += float32(x[1] * y0[0])
		c11 += float32(x[1] * y0[1])
		c20 += float32(x[2] * y0[0])
		c21 += float32(x[2] * y0[1])
		c30 += float32(x[3] * y0[0])
		c31 += float32(x[3] * y0[1])
		c00 += float32(x[4] * y1[0])
		c01 += float32(x[4] * y1[1])
		c10 += float32(x[5] * y1[0])
		c11 += float32(x[5] * y1[1])
		c20 += float32(x[6] * y1[0])
		c21 += float32(x[6] * y1[1])
		c30 += float32(x[7] * y1[0])
		c31 += float32(x[7] * y1[1])
	}
	if p < k {
		x := (*[4]float32)(a[4*p:])
		y := (*[2]float32)(b[bo:])
		c00 += float32(x[0] * y[0])
		c01 += float32(x[0] * y[1])
		c10 += float32(x[1] * y[0])
		c11 += float32(x[1] * y[1])
		c20 += float32(x[2] * y[0])
		c21 += float32(x[2] * y[1])
		c30 += float32(x[3] * y[0])
		c31 += float32(x[3] * y[1])
	}
	return c00, c01, c10, c11, c20, c21, c30, c31
}

func storeRow2(c []float32, alpha, beta float32, v0, v1 float32) {
	if beta == 0 {
		c[0], c[1] = alpha*v0, alpha*v1
		return
	}
	c[0] = float32(alpha*v0) + float32(beta*c[0])
	c[1] = float32(alpha*v1) + float32(beta*c[1])
}
