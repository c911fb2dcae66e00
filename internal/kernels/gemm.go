package kernels

import (
	"fmt"
	"sync"
)

// The GEMM follows the GotoBLAS/BLIS layering (Goto & van de Geijn, "Anatomy
// of high-performance matrix multiplication", ACM TOMS 34(3), 2008; Van Zee &
// van de Geijn, "BLIS: A framework for rapidly instantiating BLAS
// functionality", ACM TOMS 41(3), 2015): op(A) is packed into MR-row panels
// and op(B) into NR-column panels, and a register-tiled micro-kernel
// multiplies one A panel by one B panel into an MR x NR tile of C.
//
// Loop order, outermost first:
//
//	ic: rows of C in blocks of mc (all of M unless it is very tall)
//	pc: the K dimension in blocks of kc; the mc x kc block of op(A) is
//	    packed once, cooperatively by all workers, and shared
//	jc: this worker's columns of C in blocks of nc; the kc x nc block of
//	    op(B) is packed privately so that it stays in this core's L2
//	ir: MR-row micro-panels of the packed A block (one stays in L1)
//	jr: NR-column micro-panels of the packed B block (streamed from L2)
//
// Workers split the columns of C at NR-panel boundaries, never K, and the
// K blocking does not depend on the split, so every element of C is
// computed by the same sequence of operations whatever the thread count:
// results are bit-identical across runs and across SetThreads values.

// microKernel describes one register-tiled GEMM micro-kernel and the cache
// blocking that suits it.
type microKernel struct {
	name   string
	mr, nr int
	// kc is the depth of a K block: an mr x kc A micro-panel must sit in L1
	// next to the B stream.
	kc int
	// bBlockFloats bounds kc*nc, the packed B block kept in a core's L2.
	bBlockFloats int
	// fn computes C[0:mr, 0:nr] = alpha*Ap*Bp + beta*C, where Ap is the
	// packed mr x k panel (a[p*mr+i]), Bp holds row p of the k x nr panel at
	// b[p*bstride:], and C has leading dimension ldc. beta == 0 overwrites C.
	fn func(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32)
}

// maxPanelRows caps mc, the rows of op(A) packed per block, so the shared
// packed block stays within L3.
const maxPanelRows = 4096

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n.
// With beta == 0, C is overwritten (NaNs in C do not propagate). It runs on
// all workers of the pool; the result does not depend on the worker count.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that are
// already parallel (a convolution over the images of a batch). Its result is
// bit-identical to Sgemm's.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// minParallelFlops is the work below which waking the other workers costs
// more than it saves.
const minParallelFlops = 1 << 20

func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	j := gemmJob{kern: gemmKernel, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	j.runOn(threads)
}

// gemmJob is one GEMM call and the blocking chosen for it.
type gemmJob struct {
	kern           *microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// runOn runs the job on up to threads workers: in parallel when the pool is
// free and the problem is worth it, else on the calling goroutine.
func (j *gemmJob) runOn(threads int) {
	panels := ceilDiv(j.n, j.kern.nr)
	t := min(threads, panels)
	if t > 1 && 2*float64(j.m)*float64(j.n)*float64(j.k) >= minParallelFlops && thePool.busy.TryLock() {
		defer thePool.busy.Unlock()
		sh := &sharedGemm
		sh.job, sh.t = *j, t
		sh.bar.reset(t)
		need := j.aBlockFloats()
		for i := range sh.a {
			if cap(sh.a[i]) < need {
				sh.a[i] = make([]float32, need)
			}
			sh.a[i] = sh.a[i][:need]
		}
		thePool.dispatch(t, sharedGemmWork)
		sh.job = gemmJob{}
		return
	}
	s := getScratch()
	if need := j.aBlockFloats(); cap(s.a) < need {
		s.a = make([]float32, need)
	}
	ab := s.a[:j.aBlockFloats()]
	j.work(0, 1, nil, [2][]float32{ab, ab}, s)
	putScratch(s)
}

// aBlockFloats is the size of one packed mc x kc block of op(A).
func (j *gemmJob) aBlockFloats() int {
	mr := j.kern.mr
	return ceilDiv(min(j.m, maxPanelRows), mr) * mr * min(j.k, j.kern.kc)
}

// sharedGemm holds the packed A blocks shared by the workers of the one
// parallel GEMM that holds the pool. Two blocks alternate so that a worker
// may pack the next block while another still multiplies the current one.
var sharedGemm struct {
	job gemmJob
	t   int
	a   [2][]float32
	bar barrier
}

// sharedGemmWork is worker w's part of the parallel GEMM holding the pool.
func sharedGemmWork(w int) {
	sh := &sharedGemm
	s := getScratch()
	sh.job.work(w, sh.t, &sh.bar, sh.a, s)
	putScratch(s)
}

// gemmScratch is a worker's private packing space.
type gemmScratch struct {
	a    []float32 // packed A block, for the serial path
	b    []float32 // packed B block
	tile []float32 // an MR x NR tile for edges of C
}

// scratchFree keeps packing buffers for reuse: a GEMM borrows one per
// worker, so steady-state calls do not allocate.
var scratchFree struct {
	sync.Mutex
	list []*gemmScratch
}

func getScratch() *gemmScratch {
	scratchFree.Lock()
	defer scratchFree.Unlock()
	if n := len(scratchFree.list); n > 0 {
		s := scratchFree.list[n-1]
		scratchFree.list = scratchFree.list[:n-1]
		return s
	}
	return new(gemmScratch)
}

func putScratch(s *gemmScratch) {
	scratchFree.Lock()
	scratchFree.list = append(scratchFree.list, s)
	scratchFree.Unlock()
}

// work is worker w's share of the job among t workers. bar synchronizes the
// cooperative packing of A (nil when t == 1); ablk are the two alternating
// shared packed-A blocks.
func (j *gemmJob) work(w, t int, bar *barrier, ablk [2][]float32, s *gemmScratch) {
	kn := j.kern
	mr, nr := kn.mr, kn.nr
	kc := min(j.k, kn.kc)
	panels := ceilDiv(j.n, nr)
	n0 := w * panels / t * nr
	n1 := min((w+1)*panels/t*nr, j.n)
	nc := max(nr, kn.bBlockFloats/kc/nr*nr)
	nc = min(nc, ceilDiv(n1-n0, nr)*nr)
	if need := kc * nc; cap(s.b) < need {
		s.b = make([]float32, need)
	}
	if cap(s.tile) < mr*nr {
		s.tile = make([]float32, mr*nr)
	}
	tile := s.tile[:mr*nr]
	phase := 0
	for ic := 0; ic < j.m; ic += maxPanelRows {
		mc := min(maxPanelRows, j.m-ic)
		mPanels := ceilDiv(mc, mr)
		for pc := 0; pc < j.k; pc += kc {
			kcur := min(kc, j.k-pc)
			ap := ablk[phase&1]
			phase++
			lo, hi := w*mPanels/t, (w+1)*mPanels/t
			j.packA(ap[lo*mr*kcur:], ic+lo*mr, min(hi*mr, mc)-lo*mr, pc, kcur)
			if bar != nil {
				bar.wait()
			}
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			for jc := n0; jc < n1; jc += nc {
				ncur := min(nc, n1-jc)
				bp := s.b[:ceilDiv(ncur, nr)*nr*kcur]
				j.packB(bp, pc, kcur, jc, ncur)
				for ir := 0; ir < mc; ir += mr {
					mcur := min(mr, mc-ir)
					apan := ap[ir*kcur : (ir+mr)*kcur]
					crow := (ic + ir) * j.ldc
					for jr := 0; jr < ncur; jr += nr {
						ncol := min(nr, ncur-jr)
						bpan := bp[jr*kcur : (jr+nr)*kcur]
						cOff := crow + jc + jr
						if mcur == mr && ncol == nr {
							kn.fn(kcur, apan, bpan, nr, j.c[cOff:], j.ldc, j.alpha, beta)
							continue
						}
						kn.fn(kcur, apan, bpan, nr, tile, nr, 1, 0)
						mergeTile(tile, nr, mcur, ncol, j.alpha, beta, j.c[cOff:], j.ldc)
					}
				}
			}
		}
	}
}

// mergeTile writes C[0:m, 0:n] = alpha*T + beta*C for an edge tile T that the
// micro-kernel computed in full.
func mergeTile(t []float32, ldt, m, n int, alpha, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ti := t[i*ldt : i*ldt+n]
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			for x, v := range ti {
				ci[x] = alpha * v
			}
			continue
		}
		for x, v := range ti {
			ci[x] = float32(alpha*v) + float32(beta*ci[x])
		}
	}
}

// packA packs rows [i0, i0+rows) and columns [p0, p0+kc) of op(A) into
// MR-row panels: panel q holds dst[q*mr*kc + p*mr + i] = op(A)[i0+q*mr+i,
// p0+p], zero-padded to a whole panel.
func (j *gemmJob) packA(dst []float32, i0, rows, p0, kc int) {
	mr := j.kern.mr
	for q := 0; q < rows; q += mr {
		d := dst[q*kc : (q+mr)*kc]
		r := min(mr, rows-q)
		if j.transA {
			packRowsCopy(d, j.a, j.lda, p0, kc, i0+q, r, mr)
		} else if r == 8 && mr == 8 {
			packTranspose8(d, j.a, j.lda, i0+q, p0, kc)
		} else {
			packTranspose(d, j.a, j.lda, i0+q, r, p0, kc, mr)
		}
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+cols) of op(B) into
// NR-column panels: panel q holds dst[q*nr*kc + p*nr + x] =
// op(B)[p0+p, j0+q*nr+x], zero-padded to a whole panel.
func (j *gemmJob) packB(dst []float32, p0, kc, j0, cols int) {
	nr := j.kern.nr
	for q := 0; q < cols; q += nr {
		d := dst[q*kc : (q+nr)*kc]
		r := min(nr, cols-q)
		if j.transB {
			packTranspose(d, j.b, j.ldb, j0+q, r, p0, kc, nr)
		} else {
			packRowsCopy(d, j.b, j.ldb, p0, kc, j0+q, r, nr)
		}
	}
}

// packRowsCopy packs a panel from a matrix stored with the panel's width
// contiguous: d[p*w+x] = src[(p0+p)*ld + x0 + x] for x < r, zero for
// r <= x < w.
func packRowsCopy(d, src []float32, ld, p0, kc, x0, r, w int) {
	for p := 0; p < kc; p++ {
		row := d[p*w : p*w+w]
		s := (p0+p)*ld + x0
		copy(row, src[s:s+r])
		clear(row[r:])
	}
}

// packTranspose packs a panel from a matrix stored with the panel's depth
// contiguous: d[p*w+x] = src[(x0+x)*ld + p0 + p] for x < r, zero for
// r <= x < w.
func packTranspose(d, src []float32, ld, x0, r, p0, kc, w int) {
	if r < w {
		clear(d[:kc*w])
	}
	for x := 0; x < r; x++ {
		s := (x0+x)*ld + p0
		for p, v := range src[s : s+kc] {
			d[p*w+x] = v
		}
	}
}

// packTranspose8 is packTranspose for a full panel of width 8, reading the
// eight source rows together so each destination row is written once.
func packTranspose8(d, src []float32, ld, x0, p0, kc int) {
	s := x0*ld + p0
	r0 := src[s : s+kc]
	r1 := src[s+ld : s+ld+kc]
	r2 := src[s+2*ld : s+2*ld+kc]
	r3 := src[s+3*ld : s+3*ld+kc]
	r4 := src[s+4*ld : s+4*ld+kc]
	r5 := src[s+5*ld : s+5*ld+kc]
	r6 := src[s+6*ld : s+6*ld+kc]
	r7 := src[s+7*ld : s+7*ld+kc]
	d = d[:8*kc]
	for p := range r0 {
		o := d[p*8 : p*8+8]
		o[0], o[1], o[2], o[3] = r0[p], r1[p], r2[p], r3[p]
		o[4], o[5], o[6], o[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// scaleMatrix sets C = beta*C, overwriting with zeros when beta == 0.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for x := range ci {
				ci[x] *= beta
			}
		}
	}
}

// checkGemm panics with a description when the arguments cannot describe
// the matrices: these are programming errors of the caller.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm with negative size m=%d n=%d k=%d", m, n, k))
	}
	checkOperand("A", transA, m, k, a, lda)
	checkOperand("B", transB, k, n, b, ldb)
	checkOperand("C", false, m, n, c, ldc)
}

// checkOperand checks a rows x cols operand op(X) stored row-major with
// leading dimension ld, transposed in storage when trans is set.
func checkOperand(name string, trans bool, rows, cols int, x []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: Sgemm leading dimension of %s is %d, less than its %d stored columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: Sgemm %s has %d elements, needs %d (%d x %d, leading dimension %d)", name, len(x), need, rows, cols, ld))
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
