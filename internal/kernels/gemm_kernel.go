package kernels

// goKernel is the portable micro-kernel: a 4x4 tile held in sixteen scalar
// accumulators, which the Go compiler keeps in registers.
var goKernel = microKernel{
	name: "go4x4", mr: 4, nr: 4,
	kc: 256, bBlockFloats: 128 << 10,
	fn: sgemmKernel4x4Go,
}

// sgemmKernel4x4Go computes C[0:4, 0:4] = alpha*Ap*Bp + beta*C (see
// microKernel.fn). Products are rounded before they are added (the explicit
// float32 conversions forbid fusing), so the result is the same on every
// architecture.
func sgemmKernel4x4Go(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		ap := (*[4]float32)(a[4*p:])
		bp := (*[4]float32)(b[p*bstride:])
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		c20 += float32(a2 * b0)
		c21 += float32(a2 * b1)
		c22 += float32(a2 * b2)
		c23 += float32(a2 * b3)
		c30 += float32(a3 * b0)
		c31 += float32(a3 * b1)
		c32 += float32(a3 * b2)
		c33 += float32(a3 * b3)
	}
	storeRow4(c[0:4], alpha, beta, c00, c01, c02, c03)
	storeRow4(c[ldc:ldc+4], alpha, beta, c10, c11, c12, c13)
	storeRow4(c[2*ldc:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	storeRow4(c[3*ldc:3*ldc+4], alpha, beta, c30, c31, c32, c33)
}

func storeRow4(c []float32, alpha, beta float32, v0, v1, v2, v3 float32) {
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	c[0] = float32(alpha*v0) + float32(beta*c[0])
	c[1] = float32(alpha*v1) + float32(beta*c[1])
	c[2] = float32(alpha*v2) + float32(beta*c[2])
	c[3] = float32(alpha*v3) + float32(beta*c[3])
}
