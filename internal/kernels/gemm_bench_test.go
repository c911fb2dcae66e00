package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the squares and the CIFAR ResNet-20 convolution GEMMs over a
// batch of 128 (forward, backward-data, backward-weight), as M, N, K with
// the transposes the layers use.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square256", false, false, 256, 256, 256},
	{"square512", false, false, 512, 512, 512},
	{"square1024", false, false, 1024, 1024, 1024},
	{"fwd16x131072x27", false, false, 16, 131072, 27},
	{"fwd16x131072x144", false, false, 16, 131072, 144},
	{"fwd32x32768x288", false, false, 32, 32768, 288},
	{"fwd64x8192x576", false, false, 64, 8192, 576},
	{"bwdData144x131072x16", true, false, 144, 131072, 16},
	{"bwdData576x8192x64", true, false, 576, 8192, 64},
	{"bwdWeight16x144x131072", false, true, 16, 144, 131072},
	{"bwdWeight64x576x8192", false, true, 64, 576, 8192},
}

// perImageShapes are the GEMMs of one image of a ResNet-20 layer, which the
// convolution runs with SgemmSerial on each worker; the weight gradient
// appears both as dY x col^T and transposed, col x dY^T (M = Cin*9, N =
// Cout), which is how autograd's conv computes it.
var perImageShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd16x1024x27", false, false, 16, 1024, 27},
	{"fwd16x1024x144", false, false, 16, 1024, 144},
	{"fwd32x256x288", false, false, 32, 256, 288},
	{"fwd64x64x576", false, false, 64, 64, 576},
	{"bwdData144x1024x16", true, false, 144, 1024, 16},
	{"bwdData576x64x64", true, false, 576, 64, 64},
	{"bwdWeight16x144x1024", false, true, 16, 144, 1024},
	{"bwdWeight64x576x64", false, true, 64, 576, 64},
	{"bwdWeightT144x16x1024", false, true, 144, 16, 1024},
	{"bwdWeightT576x64x64", false, true, 576, 64, 64},
}

func benchGemm(b *testing.B, f func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int), transA, transB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	g := newGemmCase(rng, transA, transB, m, n, k, 1, 0, 0)
	f(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
	b.ResetTimer()
	for b.Loop() {
		f(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, Sgemm, s.transA, s.transB, s.m, s.n, s.k) })
	}
}

func BenchmarkSgemmSerial(b *testing.B) {
	for _, s := range perImageShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, SgemmSerial, s.transA, s.transB, s.m, s.n, s.k) })
	}
}

func BenchmarkMicroKernel(b *testing.B) {
	for _, kn := range gemmKernels {
		b.Run(fmt.Sprintf("%s/k=256", kn.name), func(b *testing.B) {
			const k = 256
			rng := rand.New(rand.NewPCG(1, 1))
			a, bp, c := randSlice(rng, kn.mr*k), randSlice(rng, kn.nr*k), randSlice(rng, kn.mr*kn.nr)
			for b.Loop() {
				kn.fn(k, a, bp, kn.nr, c, kn.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}
