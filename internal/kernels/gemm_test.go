package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// awkwardSizes are the dimensions that straddle the tile sizes of every
// micro-kernel (MR 4 and 8, NR 4, 24 and 32).
var awkwardSizes = []int{1, 7, 15, 17, 31, 33, 63, 65, 129}

// alphaBetas covers alpha and beta in {0, 1, other}.
var alphaBetas = [][2]float32{
	{1, 0}, {1, 1}, {1, -0.5}, {0, 0}, {0, 1}, {0, 2.5}, {-1.5, 0}, {0.75, 1}, {2, -1.25},
}

// gemmCase is one GEMM problem with its storage.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// sentinel marks the gaps between rows of C (columns n..ldc-1), which Sgemm
// must leave untouched.
const sentinel = float32(-12345.5)

// newGemmCase fills random operands; pad adds up to pad extra columns to each
// leading dimension.
func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad int) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	extra := func() int {
		if pad == 0 {
			return 0
		}
		return rng.IntN(pad + 1)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ac)+extra(), max(1, bc)+extra(), max(1, n)+extra()
	g.a = randSlice(rng, max(0, (ar-1)*g.lda+ac))
	g.b = randSlice(rng, max(0, (br-1)*g.ldb+bc))
	g.c = randSlice(rng, max(0, (m-1)*g.ldc+n))
	for i := 0; i < m; i++ {
		for j := n; j < g.ldc && i*g.ldc+j < len(g.c); j++ {
			g.c[i*g.ldc+j] = sentinel
		}
	}
	return g
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func (g *gemmCase) opA(i, p int) float64 {
	if g.transA {
		return float64(g.a[p*g.lda+i])
	}
	return float64(g.a[i*g.lda+p])
}

func (g *gemmCase) opB(p, j int) float64 {
	if g.transB {
		return float64(g.b[j*g.ldb+p])
	}
	return float64(g.b[p*g.ldb+j])
}

// reference is the naive triple loop in float64. It returns the expected C
// and, per element, a bound on the float32 rounding error of any summation
// order: (k+2) units in the last place of the sum of absolute terms.
func (g *gemmCase) reference(c0 []float32) (want, tol []float64) {
	want = make([]float64, len(c0))
	tol = make([]float64, len(c0))
	const u = 1.0 / (1 << 24)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, abs float64
			for p := 0; p < g.k; p++ {
				t := g.opA(i, p) * g.opB(p, j)
				s += t
				abs += math.Abs(t)
			}
			x := float64(g.alpha) * s
			abs *= math.Abs(float64(g.alpha))
			if g.beta != 0 {
				cb := float64(g.beta) * float64(c0[i*g.ldc+j])
				x += cb
				abs += math.Abs(cb)
			}
			want[i*g.ldc+j] = x
			tol[i*g.ldc+j] = float64(g.k+4)*u*abs + 1e-30
		}
	}
	return want, tol
}

// check runs f on a copy of C and compares with the reference.
func (g *gemmCase) check(t *testing.T, name string, f func(c []float32)) []float32 {
	t.Helper()
	c := append([]float32(nil), g.c...)
	f(c)
	want, tol := g.reference(g.c)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc && i*g.ldc+j < len(c); j++ {
			x := i*g.ldc + j
			if j >= g.n {
				if c[x] != sentinel {
					t.Fatalf("%s %s: C[%d][%d] beyond n=%d changed to %v", name, g, i, j, g.n, c[x])
				}
				continue
			}
			if d := math.Abs(float64(c[x]) - want[x]); !(d <= tol[x]) {
				t.Fatalf("%s %s: C[%d][%d] = %v, want %v (tolerance %.3g)", name, g, i, j, c[x], want[x], tol[x])
			}
		}
	}
	return c
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

func (g *gemmCase) run(c []float32, f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	f(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
}

// withKernel runs f with Sgemm using micro-kernel k.
func withKernel(k *microKernel, f func()) {
	saved := gemmKernel
	gemmKernel = k
	defer func() { gemmKernel = saved }()
	f()
}

// TestMicroKernels checks each micro-kernel directly against a float64 tile
// product, over depths around the unrolling, B strides wider than the tile
// and every beta mode, with NaN in C where beta == 0 must overwrite it.
func TestMicroKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type variant struct {
		name   string
		mr, nr int
		fn     func(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32)
	}
	var variants []variant
	for _, kn := range gemmKernels {
		variants = append(variants, variant{kn.name, kn.mr, kn.nr, kn.fn})
		if kn.half != nil {
			variants = append(variants, variant{kn.name + "/half", kn.mr, kn.nr / 2, kn.half})
		}
	}
	for _, kn := range variants {
		for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 256} {
			for _, ab := range alphaBetas {
				alpha, beta := ab[0], ab[1]
				bstride := 2*kn.nr + rng.IntN(3)
				ldc := kn.nr + rng.IntN(3)
				a := randSlice(rng, kn.mr*k)
				b := randSlice(rng, (k-1)*bstride+kn.nr)
				c := randSlice(rng, (kn.mr-1)*ldc+kn.nr)
				if beta == 0 {
					c[0] = float32(math.NaN())
				}
				c0 := append([]float32(nil), c...)
				kn.fn(k, a, b, bstride, c, ldc, alpha, beta)
				const u = 1.0 / (1 << 24)
				for i := 0; i < kn.mr; i++ {
					for j := 0; j < kn.nr; j++ {
						var s, abs float64
						for p := 0; p < k; p++ {
							v := float64(a[p*kn.mr+i]) * float64(b[p*bstride+j])
							s += v
							abs += math.Abs(v)
						}
						want := float64(alpha) * s
						abs *= math.Abs(float64(alpha))
						if beta != 0 {
							want += float64(beta) * float64(c0[i*ldc+j])
							abs += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
						}
						got := float64(c[i*ldc+j])
						if d := math.Abs(got - want); !(d <= float64(k+4)*u*abs+1e-30) {
							t.Fatalf("%s k=%d alpha=%v beta=%v: C[%d][%d] = %v, want %v", kn.name, k, alpha, beta, i, j, got, want)
						}
					}
				}
			}
		}
	}
}

// TestGoKernelExact checks that the Go micro-kernel computes each element
// as the in-order sum of its rounded products, bit for bit: the property
// that makes its results the same on every architecture (the tests run on
// amd64 and, under qemu, on arm64).
func TestGoKernelExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range []int{1, 2, 3, 8, 9, 256} {
		for _, ab := range alphaBetas {
			alpha, beta := ab[0], ab[1]
			bstride := 4 + rng.IntN(3)
			ldc := 4 + rng.IntN(3)
			a := randSlice(rng, 4*k)
			b := randSlice(rng, (k-1)*bstride+4)
			c := randSlice(rng, 3*ldc+4)
			want := append([]float32(nil), c...)
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					var s float32
					for p := 0; p < k; p++ {
						s += float32(a[p*4+i] * b[p*bstride+j])
					}
					if beta == 0 {
						want[i*ldc+j] = alpha * s
					} else {
						want[i*ldc+j] = float32(alpha*s) + float32(beta*want[i*ldc+j])
					}
				}
			}
			sgemmKernel4x4Go(k, a, b, bstride, c, ldc, alpha, beta)
			sameBits(t, fmt.Sprintf("go4x4 k=%d alpha=%v beta=%v", k, alpha, beta), k, c, want)
		}
	}
}

// TestSgemmAwkward runs every micro-kernel through the blocked driver on the
// awkward sizes, all four transpose combinations, padded leading dimensions
// and alpha, beta in {0, 1, other}, against the float64 triple loop.
func TestSgemmAwkward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kn := range gemmKernels {
		withKernel(kn, func() {
			for trans := 0; trans < 4; trans++ {
				tA, tB := trans&1 != 0, trans&2 != 0
				for i, size := range awkwardSizes {
					// Each size once in each role, the other two drawn from the list.
					for role := 0; role < 3; role++ {
						dims := [3]int{awkwardSizes[rng.IntN(len(awkwardSizes))], awkwardSizes[rng.IntN(len(awkwardSizes))], awkwardSizes[rng.IntN(len(awkwardSizes))]}
						dims[role] = size
						ab := alphaBetas[(i*3+role+trans)%len(alphaBetas)]
						g := newGemmCase(rng, tA, tB, dims[0], dims[1], dims[2], ab[0], ab[1], 3)
						g.check(t, kn.name+" Sgemm", func(c []float32) { g.run(c, Sgemm) })
						g.check(t, kn.name+" SgemmSerial", func(c []float32) { g.run(c, SgemmSerial) })
					}
				}
			}
		})
	}
}

// TestSgemmBlocking covers problems that span several K blocks, several B
// blocks per worker, several packed A blocks (the tall case), K split into
// chunks (the long ones), matrix-vector products and B read in place with a
// half-width last panel.
func TestSgemmBlocking(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{70, 1100, 600}, {33, 40, 1030}, {maxPanelRows + 9, 5, 3}, {9, 2000, 20}, {20, 30, 5000}, {9, 70, 2*kSplitMinK*kSplitMaxChunks + 77}, {1, 300, 500}, {300, 1, 500}, {16, 48, 40}, {5, 16, 7}}
	for _, kn := range gemmKernels {
		withKernel(kn, func() {
			for i, s := range shapes {
				ab := alphaBetas[(i+2)%len(alphaBetas)]
				g := newGemmCase(rng, i%2 == 1, i/2 == 1, s[0], s[1], s[2], ab[0], ab[1], 2)
				g.check(t, kn.name, func(c []float32) { g.run(c, Sgemm) })
			}
		})
	}
}

// TestSgemmBetaZeroOverwrites checks that beta == 0 never reads C: NaN and
// Inf there must not reach the result, whatever alpha and k are.
func TestSgemmBetaZeroOverwrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kn := range gemmKernels {
		withKernel(kn, func() {
			for i, s := range [][3]int{{17, 33, 5}, {8, 32, 300}, {3, 3, 0}, {1, 40, 9}, {40, 1, 9}, {1, 1, 3}} {
				for _, alpha := range []float32{1, 0, -2} {
					g := newGemmCase(rng, i%2 == 0, i%3 != 0, s[0], s[1], s[2], alpha, 0, 0)
					for i := range g.c {
						g.c[i] = float32(math.NaN())
						if i%3 == 0 {
							g.c[i] = float32(math.Inf(-1))
						}
					}
					g.check(t, kn.name, func(c []float32) { g.run(c, Sgemm) })
				}
			}
		})
	}
}

// TestSgemmDeterministic checks that results are bit-identical across runs,
// across thread counts and between Sgemm and SgemmSerial.
func TestSgemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	saved := Threads()
	defer SetThreads(saved)
	for _, s := range [][3]int{{64, 1000, 300}, {130, 70, 50}, {16, 4096, 27}, {16, 144, 9000}} {
		g := newGemmCase(rng, false, s[2] > 1000, s[0], s[1], s[2], 1, 0.5, 0)
		ref := append([]float32(nil), g.c...)
		g.run(ref, SgemmSerial)
		for _, threads := range []int{1, 2, 3, 4, 7} {
			SetThreads(threads)
			for run := 0; run < 2; run++ {
				c := append([]float32(nil), g.c...)
				g.run(c, Sgemm)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%v threads=%d run %d: C[%d] = %v, serial gave %v", g, threads, run, i, c[i], ref[i])
					}
				}
			}
		}
	}
}

// TestSgemmConcurrent runs GEMMs from several goroutines at once, as
// per-image convolutions do: the busy pool must fall back to serial work
// with the same results, and nothing may deadlock.
func TestSgemmConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := newGemmCase(rng, true, false, 40, 300, 70, 1, 0, 0)
	want := append([]float32(nil), g.c...)
	g.run(want, SgemmSerial)
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			c := append([]float32(nil), g.c...)
			for r := 0; r < 5; r++ {
				ParallelFor(3, func(_, _, _ int) { g.run(c, Sgemm) })
				g.run(c, Sgemm)
			}
			for i := range c {
				if c[i] != want[i] {
					errs <- fmt.Errorf("C[%d] = %v, want %v", i, c[i], want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestSgemmNoAlloc checks that steady-state calls reuse their buffers.
func TestSgemmNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, s := range [][3]int{{64, 512, 300}, {16, 100, 5000}} {
		g := newGemmCase(rng, false, false, s[0], s[1], s[2], 1, 0, 0)
		c := append([]float32(nil), g.c...)
		for _, f := range []func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int){Sgemm, SgemmSerial} {
			g.run(c, f)
			if n := testing.AllocsPerRun(5, func() { g.run(c, f) }); n != 0 {
				t.Errorf("%v: %v allocations per call, want 0", s, n)
			}
		}
	}
}

// TestSgemmBadArguments checks that impossible shapes panic with a message
// naming the operand.
func TestSgemmBadArguments(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}, "A has 3 elements"},
		{"small ldb", func() {
			Sgemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 1, 0, make([]float32, 6), 3)
		}, "leading dimension of B is 1"},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }, "negative size"},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !contains(s, tc.want) {
					t.Errorf("%s: panic %v, want one containing %q", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// FuzzSgemm checks random shapes, transposes, leading dimensions and
// alpha/beta against the float64 triple loop, on the best micro-kernel.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(17), uint8(33), uint8(9), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(0), uint8(3), uint8(2), uint8(5), uint64(2))
	f.Add(uint8(65), uint8(7), uint8(129), uint8(1), uint8(4), uint8(7), uint64(3))
	f.Add(uint8(8), uint8(32), uint8(255), uint8(2), uint8(8), uint8(1), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k, trans, ab, pad uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 99))
		p := alphaBetas[int(ab)%len(alphaBetas)]
		g := newGemmCase(rng, trans&1 != 0, trans&2 != 0, int(m), int(n), int(k), p[0], p[1], int(pad%8))
		g.check(t, "Sgemm", func(c []float32) { g.run(c, Sgemm) })
	})
}

// TestPackingRoutines checks the packing loops (assembly on amd64) against
// their Go bodies on odd strides and lengths.
func TestPackingRoutines(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 7, 8, 9, 16, 31, 40} {
		for _, dstStride := range []int{8, 32} {
			srcStride := n + rng.IntN(5)
			src := randSlice(rng, 7*srcStride+n)
			got := randSlice(rng, (n-1)*dstStride+8)
			want := append([]float32(nil), got...)
			transpose8(got, dstStride, src, srcStride, n)
			transpose8Go(want, dstStride, src, srcStride, n)
			sameBits(t, fmt.Sprintf("transpose8 n=%d dstStride=%d", n, dstStride), len(want), got, want)
		}
		{
			srcStride := n + rng.IntN(5)
			src := randSlice(rng, 3*srcStride+n)
			got, want := make([]float32, 4*n), make([]float32, 4*n)
			transpose4(got, src, srcStride, n)
			transpose4Go(want, src, srcStride, n)
			sameBits(t, fmt.Sprintf("transpose4 n=%d", n), len(want), got, want)
		}
		for _, panels := range []int{1, 3} {
			ld := panels*32 + rng.IntN(5)
			src := randSlice(rng, (n-1)*ld+panels*32)
			got, want := make([]float32, panels*n*32), make([]float32, panels*n*32)
			packRows(got, src, ld, n, panels, 32)
			packRowsGo(want, src, ld, n, panels, 32)
			sameBits(t, fmt.Sprintf("packRows32 kc=%d panels=%d", n, panels), len(want), got, want)
			got8, want8 := got[:panels*n*8], want[:panels*n*8]
			packRows(got8, src, ld, n, panels, 8)
			packRowsGo(want8, src, ld, n, panels, 8)
			sameBits(t, fmt.Sprintf("packRows8 kc=%d panels=%d", n, panels), len(want8), got8, want8)
			got4, want4 := got[:panels*n*4], want[:panels*n*4]
			packRows(got4, src, ld, n, panels, 4)
			packRowsGo(want4, src, ld, n, panels, 4)
			sameBits(t, fmt.Sprintf("packRows4 kc=%d panels=%d", n, panels), len(want4), got4, want4)
			// The NEON tile's B panels, and a width no kernel uses.
			for _, w := range []int{12, 6} {
				gotW, wantW := got[:panels*n*w], want[:panels*n*w]
				packRows(gotW, src, ld, n, panels, w)
				packRowsGo(wantW, src, ld, n, panels, w)
				sameBits(t, fmt.Sprintf("packRows%d kc=%d panels=%d", w, n, panels), len(wantW), gotW, wantW)
			}
		}
	}
}
