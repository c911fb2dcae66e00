//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// avx512Kernel is an 8x32 tile in sixteen zmm accumulators: per step of k it
// loads two vectors of B and multiplies them by eight elements of A taken
// as embedded-broadcast memory operands, sixteen FMAs for ten loads. MR = 8
// divides the channel counts of the common layers (16, 32, 64), and the
// 8 x kc A micro-panel (8 KiB at kc = 256) stays in L1 while B streams from
// L2.
var avx512Kernel = microKernel{
	name: "avx512_8x32", mr: 8, nr: 32,
	kc: 256, bBlockFloats: 128 << 10,
	fn: sgemmKernel8x32AVX512,
}

// avx2Kernel is a 4x24 tile in twelve ymm accumulators, which with three B
// vectors and one broadcast A element uses all sixteen ymm registers.
var avx2Kernel = microKernel{
	name: "avx2_4x24", mr: 4, nr: 24,
	kc: 256, bBlockFloats: 96 << 10,
	fn: sgemmKernel4x24AVX2,
}

// gemmKernel is the micro-kernel Sgemm uses, the widest this CPU runs.
var gemmKernel = bestKernel()

// gemmKernels lists every micro-kernel this CPU can run, for the tests.
var gemmKernels = availableKernels()

func bestKernel() *microKernel {
	return availableKernels()[0]
}

func availableKernels() []*microKernel {
	var ks []*microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, &avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &avx2Kernel)
	}
	return append(ks, &goKernel)
}

func sgemmKernel8x32AVX512(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32) {
	_ = a[8*k-1]
	_ = b[(k-1)*bstride+31]
	_ = c[7*ldc+31]
	sgemm8x32AVX512(k, &a[0], &b[0], bstride, &c[0], ldc, alpha, beta)
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

// sgemm4x24AVX2 computes C[0:4, 0:24] = alpha*Ap*Bp + beta*C, Ap packed
// 4 x k (a[p*4+i]), row p of B at b[p*bstride:]; k >= 1.
//
//go:noescape
func sgemm4x24AVX2(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)
