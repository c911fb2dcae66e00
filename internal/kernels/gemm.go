package kernels

import (
	"fmt"
	"sync"
	"sync/atomic"
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
//	pc: the K dimension in blocks of kc; each worker packs the mc x kc
//	    block of op(A) into its own buffer, so that it sits in that core's
//	    L2 (shared, it cost more in traffic between the cores' L2s than
//	    packing it twice costs)
//	jc: units of NR-column panels of C, claimed by the workers from a
//	    counter; each unit's kc x nc block of op(B) is packed privately so
//	    that it stays in that core's L2 (or, for a B that is small and used
//	    by few row panels, read in place)
//	ir: MR-row micro-panels of the packed A block (one stays in L1)
//	jr: NR-column micro-panels of the packed B block (streamed from L2)
//
// Units fall on the same panel boundaries whoever claims them, and the K
// blocking depends only on the shape, so every element of C is computed by
// the same sequence of operations whatever the thread count: results are
// bit-identical across runs and across SetThreads values. Problems with a
// small C and a long K are instead split into K chunks fixed by the shape
// (see kChunks), summed in chunk order.

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
	// half, if not nil, is fn for the left nr/2 columns only, for the last
	// panel of C when no more columns remain (N = 16 or 144 with NR = 32).
	half func(k int, a, b []float32, bstride int, c []float32, ldc int, alpha, beta float32)
}

// maxPanelRows caps mc, the rows of op(A) packed per block, so that each
// worker's packed block (4 MiB at kc = 256) stays within L3.
const maxPanelRows = 4096

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n.
// With beta == 0, C is overwritten (NaNs in C do not propagate). C must not
// overlap A or B. It runs on all workers of the pool; the result does not
// depend on the worker count. Sizes and leading dimensions that do not fit
// the slices are programming errors and panic with a description.
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
	if m == 1 || n == 1 {
		gemv(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	j := gemmJob{kern: gemmKernel, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	j.runOn(threads)
}

// gemv is Sgemm for a single row or column of C (a batch of one through a
// linear layer), where a tile of MR x NR would be mostly padding: it is a
// sequence of Axpy or Dot calls over the rows of the matrix operand, in a
// fixed order. Strided vectors are gathered into scratch space first.
func gemv(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s := getScratch()
	defer putScratch(s)
	if m == 1 {
		// c[0, :] = alpha * x^T op(B) + beta*c, x = op(A)[0, :].
		x := a[:k]
		if transA {
			s.a = grow(s.a, k)
			for p := range s.a {
				s.a[p] = a[p*lda]
			}
			x = s.a
		}
		y := c[:n]
		if transB {
			for j := range y {
				v := alpha * float32(Dot(x, b[j*ldb:j*ldb+k]))
				if beta != 0 {
					v += float32(beta * y[j])
				}
				y[j] = v
			}
			return
		}
		scaleMatrix(1, n, beta, y, n)
		for p, xp := range x {
			Axpy(alpha*xp, b[p*ldb:p*ldb+n], y)
		}
		return
	}
	// n == 1: c[:, 0] = alpha * op(A) x + beta*c, x = op(B)[:, 0].
	x := b[:k]
	if !transB {
		s.b = grow(s.b, k)
		for p := range s.b {
			s.b[p] = b[p*ldb]
		}
		x = s.b
	}
	if !transA {
		for i := 0; i < m; i++ {
			v := alpha * float32(Dot(a[i*lda:i*lda+k], x))
			if beta != 0 {
				v += float32(beta * c[i*ldc])
			}
			c[i*ldc] = v
		}
		return
	}
	y := grow(s.tile, m)
	s.tile = y
	clear(y)
	for p, xp := range x {
		Axpy(alpha*xp, a[p*lda:p*lda+m], y)
	}
	for i, v := range y {
		if beta != 0 {
			v += float32(beta * c[i*ldc])
		}
		c[i*ldc] = v
	}
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
// free and the problem is worth it, else on the calling goroutine. Both
// paths perform the same arithmetic.
func (j *gemmJob) runOn(threads int) {
	chunks := j.kChunks()
	par := threads > 1 && 2*float64(j.m)*float64(j.n)*float64(j.k) >= minParallelFlops
	if chunks == 1 {
		par = par && ceilDiv(j.n, j.kern.nr) > 1
	}
	if par && thePool.busy.TryLock() {
		defer thePool.busy.Unlock()
		sh := &sharedGemm
		sh.job, sh.t, sh.chunks = *j, threads, chunks
		sh.bar.reset(threads)
		sh.claims[0].Store(0)
		sh.claims[1].Store(0)
		if chunks > 1 {
			sh.partial = grow(sh.partial, chunks*j.m*j.n)
			thePool.dispatch(threads, sharedGemmChunks)
		} else {
			thePool.dispatch(threads, sharedGemmColumns)
		}
		sh.job = gemmJob{}
		return
	}
	s := getScratch()
	defer putScratch(s)
	if chunks > 1 {
		s.partial = grow(s.partial, chunks*j.m*j.n)
		for c := 0; c < chunks; c++ {
			j.chunk(c, chunks, s.partial, s)
		}
		j.reduceChunks(chunks, s.partial, 0, j.m)
		return
	}
	s.claims[0].Store(0)
	s.claims[1].Store(0)
	j.work(0, 1, s, nil, &s.claims)
}

// grow returns x resliced to n elements, reallocated if too small.
func grow(x []float32, n int) []float32 {
	if cap(x) < n {
		return make([]float32, n)
	}
	return x[:n]
}

// kc is the depth of the K blocks: at most the kernel's kc, and balanced so
// that K = 576 is three blocks of 192 rather than 256, 256 and a thin 64
// whose C updates and synchronization cost as much as a full block.
func (j *gemmJob) kc() int {
	return ceilDiv(j.k, ceilDiv(j.k, j.kern.kc))
}

// Splitting K. When C is small and K long (the weight gradient of a
// convolution: C is Cout x Cin*9, K is the batch's pixels), splitting the
// columns of C leaves workers idle and each K block is too little work to
// share. Instead K is cut into chunks, each multiplied on its own into a
// partial C, and the partials are summed in chunk order. The chunks depend
// only on the shape, so the result is the same for any thread count.
const (
	kSplitMinK       = 2048    // K below which chunks are not worth it
	kSplitMaxPartial = 1 << 16 // largest m*n split this way
	kSplitMaxChunks  = 16
)

// kChunks is the number of K chunks for this shape, 1 for no split.
func (j *gemmJob) kChunks() int {
	if j.k < 2*kSplitMinK || j.m*j.n > kSplitMaxPartial {
		return 1
	}
	return min(kSplitMaxChunks, j.k/kSplitMinK)
}

// chunk computes partial product c of chunks into its m x n slot of
// partial, on the calling goroutine. Chunk boundaries fall on K blocks.
func (j *gemmJob) chunk(c, chunks int, partial []float32, s *gemmScratch) {
	kc := j.kern.kc
	blocks := ceilDiv(j.k, kc)
	k0, k1 := c*blocks/chunks*kc, min((c+1)*blocks/chunks*kc, j.k)
	sub := *j
	sub.k, sub.alpha, sub.beta = k1-k0, 1, 0
	sub.c, sub.ldc = partial[c*j.m*j.n:(c+1)*j.m*j.n], j.n
	if j.transA {
		sub.a = j.a[k0*j.lda:]
	} else {
		sub.a = j.a[k0:]
	}
	if j.transB {
		sub.b = j.b[k0:]
	} else {
		sub.b = j.b[k0*j.ldb:]
	}
	s.claims[0].Store(0)
	s.claims[1].Store(0)
	sub.work(0, 1, s, nil, &s.claims)
}

// reduceChunks sets rows [i0, i1) of C to alpha*(sum of partials in chunk
// order) + beta*C.
func (j *gemmJob) reduceChunks(chunks int, partial []float32, i0, i1 int) {
	mn := j.m * j.n
	for i := i0; i < i1; i++ {
		ci := j.c[i*j.ldc : i*j.ldc+j.n]
		acc := partial[i*j.n : i*j.n+j.n]
		for c := 1; c < chunks; c++ {
			p := partial[c*mn+i*j.n : c*mn+i*j.n+j.n]
			for x := range acc {
				acc[x] += p[x]
			}
		}
		for x, v := range acc {
			if j.beta == 0 {
				ci[x] = j.alpha * v
			} else {
				ci[x] = float32(j.alpha*v) + float32(j.beta*ci[x])
			}
		}
	}
}

// sharedGemm is the state of the one parallel GEMM that holds the pool: the
// barrier between K blocks, the work counters and the K-split partials.
var sharedGemm struct {
	job     gemmJob
	t       int
	chunks  int
	bar     barrier
	claims  [2]atomic.Int64
	partial []float32
}

// sharedGemmColumns is worker w's part of a column-split parallel GEMM.
func sharedGemmColumns(w int) {
	sh := &sharedGemm
	s := getScratch()
	sh.job.work(w, sh.t, s, &sh.bar, &sh.claims)
	putScratch(s)
}

// sharedGemmChunks is worker w's part of a K-split parallel GEMM: claim
// chunks until none is left, wait for all, then sum its share of rows.
func sharedGemmChunks(w int) {
	sh := &sharedGemm
	s := getScratch()
	for {
		c := int(sh.claims[0].Add(1) - 1)
		if c >= sh.chunks {
			break
		}
		sh.job.chunk(c, sh.chunks, sh.partial, s)
	}
	putScratch(s)
	sh.bar.wait(nil)
	sh.job.reduceChunks(sh.chunks, sh.partial, w*sh.job.m/sh.t, (w+1)*sh.job.m/sh.t)
}

// gemmScratch is a worker's private packing space.
type gemmScratch struct {
	a       []float32 // packed A block
	b       []float32 // packed B block
	tile    []float32 // an MR x NR tile for edges of C
	partial []float32 // K-split partials, for the serial path
	claims  [2]atomic.Int64
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

// unitsPerWorker is how many column units a parallel GEMM aims to give each
// worker per K block: claimed dynamically, they let a worker whose core is
// shared with another process fall behind without the other waiting idle.
const unitsPerWorker = 4

// claimAheadUnits is the number of units per worker from which a worker
// claims its next unit before multiplying the current one.
const claimAheadUnits = 8

// directMaxRowPanels is the largest number of MR-row panels, and
// directMaxFloats the largest B, for which B is not packed.
const (
	directMaxRowPanels = 2
	directMaxFloats    = 1 << 18
)

// work is worker w's share of the job among t workers. For each K block
// each worker packs the A block into its own buffer, the workers meet at bar
// (nil when t == 1) so that the previous block's units are all done, and
// then claim units of NR panels of C's columns from claims until none is
// left, packing each unit's B block.
func (j *gemmJob) work(w, t int, s *gemmScratch, bar *barrier, claims *[2]atomic.Int64) {
	kn := j.kern
	mr, nr := kn.mr, kn.nr
	kc := j.kc()
	panels := ceilDiv(j.n, nr)
	maxUnit := max(1, kn.bBlockFloats/kc/nr)
	unit := maxUnit
	if t > 1 {
		unit = min(maxUnit, max(1, ceilDiv(panels, unitsPerWorker*t)))
	}
	units := ceilDiv(panels, unit)
	ahead := t == 1 || units >= claimAheadUnits*t
	s.b = grow(s.b, kc*unit*nr)
	s.tile = grow(s.tile, mr*nr)
	tile := s.tile
	// With few row panels a packed B panel would be used only once or
	// twice, so the kernel reads B where it lies instead, as long as B is
	// small enough to stay in cache: streamed from memory at a large
	// stride, it is faster packed.
	direct := !j.transB && ceilDiv(min(j.m, maxPanelRows), mr) <= directMaxRowPanels &&
		j.k*j.n <= directMaxFloats
	phase := 0
	for ic := 0; ic < j.m; ic += maxPanelRows {
		mc := min(maxPanelRows, j.m-ic)
		mPanels := ceilDiv(mc, mr)
		for pc := 0; pc < j.k; pc += kc {
			kcur := min(kc, j.k-pc)
			claim := &claims[phase&1]
			next := &claims[(phase+1)&1]
			phase++
			s.a = grow(s.a, mPanels*mr*kcur)
			ap := s.a
			j.packA(ap, ic, mc, pc, kcur)
			if bar != nil {
				// Everyone has finished the previous K block, so its counter
				// can be rearmed for the next one.
				bar.wait(func() { next.Store(0) })
			} else {
				next.Store(0)
			}
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			u := int(claim.Add(1) - 1)
			for u < units {
				jc := u * unit * nr
				ncur := min(unit*nr, j.n-jc)
				bp := s.b[:ceilDiv(ncur, nr)*nr*kcur]
				full := ncur / nr * nr
				if direct && kn.half != nil && ncur-full == nr/2 {
					// The half-width kernel reads exactly the ragged panel.
					full = ncur
				}
				if direct {
					// Only a ragged last panel needs packing (zero padding).
					if full < ncur {
						j.packB(bp[full*kcur:], pc, kcur, jc+full, ncur-full)
					}
				} else {
					j.packB(bp, pc, kcur, jc, ncur)
				}
				// When units are plentiful, claim the next one now, so
				// that its B block, which packing will read from memory,
				// can be prefetched while this one is multiplied. (With
				// few units, claiming ahead would starve the other
				// workers.) A lone worker knows that the first unit of
				// the next K block follows its last.
				next := -1
				var pf bRect
				if ahead {
					next = int(claim.Add(1) - 1)
					if next < units {
						pf = j.bRect(pc, kcur, next*unit*nr, min(unit*nr, j.n-next*unit*nr))
					} else if t == 1 && pc+kc < j.k && ic+mc >= j.m {
						pf = j.bRect(pc+kc, min(kc, j.k-pc-kc), 0, min(unit*nr, j.n))
					}
				}
				pfStep := ceilDiv(pf.rows, mPanels*ceilDiv(ncur, nr))
				for ir := 0; ir < mc; ir += mr {
					mcur := min(mr, mc-ir)
					apan := ap[ir*kcur : (ir+mr)*kcur]
					crow := (ic + ir) * j.ldc
					for jr := 0; jr < ncur; jr += nr {
						pf.next(j.b, j.ldb, pfStep)
						ncol := min(nr, ncur-jr)
						bpan, bstride := bp[jr*kcur:(jr+nr)*kcur], nr
						if direct && jr < full {
							bpan, bstride = j.b[pc*j.ldb+jc+jr:], j.ldb
						}
						cOff := crow + jc + jr
						fn, w := kn.fn, nr
						if kn.half != nil && ncol <= nr/2 {
							fn, w = kn.half, nr/2
						}
						if mcur == mr && ncol == w {
							fn(kcur, apan, bpan, bstride, j.c[cOff:], j.ldc, j.alpha, beta)
							continue
						}
						fn(kcur, apan, bpan, bstride, tile, nr, 1, 0)
						mergeTile(tile, nr, mcur, ncol, j.alpha, beta, j.c[cOff:], j.ldc)
					}
				}
				if next < 0 {
					next = int(claim.Add(1) - 1)
				}
				u = next
			}
		}
	}
}

// bRect is a block of B's storage to prefetch, rows x width floats at off,
// handed out a few rows at a time.
type bRect struct{ off, rows, width int }

// bRect returns the storage of op(B)[p0:p0+kc, j0:j0+cols].
func (j *gemmJob) bRect(p0, kc, j0, cols int) bRect {
	if j.transB {
		return bRect{off: j0*j.ldb + p0, rows: cols, width: kc}
	}
	return bRect{off: p0*j.ldb + j0, rows: kc, width: cols}
}

// next prefetches the next n rows of the block.
func (r *bRect) next(b []float32, ld, n int) {
	n = min(n, r.rows)
	if n <= 0 {
		return
	}
	prefetchRect(b, r.off, ld, n, r.width)
	r.off += n * ld
	r.rows -= n
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
	if j.transA && (mr == 8 || mr == 4) {
		full := rows / mr
		if mr == 8 {
			packRows(dst, j.a[p0*j.lda+i0:], j.lda, kc, full, 8)
		} else {
			packRows(dst, j.a[p0*j.lda+i0:], j.lda, kc, full, 4)
		}
		if full*mr < rows {
			packRowsCopy(dst[full*mr*kc:(full+1)*mr*kc], j.a, j.lda, p0, kc, i0+full*mr, rows-full*mr, mr, mr)
		}
		return
	}
	for q := 0; q < rows; q += mr {
		d := dst[q*kc : (q+mr)*kc]
		r := min(mr, rows-q)
		if j.transA {
			packRowsCopy(d, j.a, j.lda, p0, kc, i0+q, r, mr, mr)
		} else if mr == 4 && r == 4 {
			transpose4(d, j.a[(i0+q)*j.lda+p0:], j.lda, kc)
		} else {
			packTranspose(d, j.a, j.lda, i0+q, r, p0, kc, mr, mr)
		}
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+cols) of op(B) into
// NR-column panels: panel q holds dst[q*nr*kc + p*nr + x] =
// op(B)[p0+p, j0+q*nr+x], zero-padded to a whole panel.
func (j *gemmJob) packB(dst []float32, p0, kc, j0, cols int) {
	nr := j.kern.nr
	full := cols / nr * nr
	// A ragged last panel is zero-padded only as far as the kernel that
	// multiplies it reads.
	pad := nr
	if j.kern.half != nil && cols-full <= nr/2 {
		pad = nr / 2
	}
	if !j.transB {
		if nr == 32 {
			packRows(dst, j.b[p0*j.ldb+j0:], j.ldb, kc, full/nr, 32)
		} else {
			for q := 0; q < full; q += nr {
				packRowsCopy(dst[q*kc:(q+nr)*kc], j.b, j.ldb, p0, kc, j0+q, nr, nr, nr)
			}
		}
		if full < cols {
			packRowsCopy(dst[full*kc:(full+nr)*kc], j.b, j.ldb, p0, kc, j0+full, cols-full, nr, pad)
		}
		return
	}
	for q := 0; q < cols; q += nr {
		r := min(nr, cols-q)
		w := nr
		if r < nr {
			w = pad
		}
		packTranspose(dst[q*kc:(q+nr)*kc], j.b, j.ldb, j0+q, r, p0, kc, nr, w)
	}
}

// packRowsCopy packs a panel from a matrix stored with the panel's width
// contiguous: d[p*w+x] = src[(p0+p)*ld + x0 + x] for x < r, zero for
// r <= x < pad (pad <= w; the columns past pad are never read).
func packRowsCopy(d, src []float32, ld, p0, kc, x0, r, w, pad int) {
	for p := 0; p < kc; p++ {
		row := d[p*w : p*w+pad]
		s := (p0+p)*ld + x0
		copy(row, src[s:s+r])
		clear(row[r:])
	}
}

// packRowsGo packs kc rows of w*panels floats of src (leading dimension
// ld) into panels of w columns, dst[q*kc*w + p*w + x] = src[p*ld + q*w + x],
// row by row so that the source is read sequentially.
func packRowsGo(dst, src []float32, ld, kc, panels, w int) {
	for p := 0; p < kc; p++ {
		row := src[p*ld : p*ld+panels*w]
		for q := 0; q < panels; q++ {
			copy(dst[(q*kc+p)*w:(q*kc+p)*w+w], row[q*w:q*w+w])
		}
	}
}

// packTranspose packs a panel from a matrix stored with the panel's depth
// contiguous: d[p*w+x] = src[(x0+x)*ld + p0 + p] for x < r, zero for
// r <= x < pad (pad <= w). Groups of 8 source rows go through transpose8.
func packTranspose(d, src []float32, ld, x0, r, p0, kc, w, pad int) {
	x := 0
	for ; x+8 <= r; x += 8 {
		transpose8(d[x:], w, src[(x0+x)*ld+p0:], ld, kc)
	}
	for ; x < r; x++ {
		s := (x0+x)*ld + p0
		for p, v := range src[s : s+kc] {
			d[p*w+x] = v
		}
	}
	if r < pad {
		for p := 0; p < kc; p++ {
			clear(d[p*w+r : p*w+pad])
		}
	}
}

// transpose4Go writes dst[p*4+i] = src[i*srcStride+p] for the 4 rows i < 4
// and the columns p < n of src.
func transpose4Go(dst, src []float32, srcStride, n int) {
	if n == 0 {
		return
	}
	r0 := src[:n]
	r1 := src[srcStride : srcStride+n]
	r2 := src[2*srcStride : 2*srcStride+n]
	r3 := src[3*srcStride : 3*srcStride+n]
	for p := range r0 {
		o := (*[4]float32)(dst[p*4:])
		o[0], o[1], o[2], o[3] = r0[p], r1[p], r2[p], r3[p]
	}
}

// transpose8Go writes dst[p*dstStride+i] = src[i*srcStride+p] for the 8
// rows i < 8 and the columns p < n of src, reading the eight rows together
// so that each group of 8 destination floats is written once.
func transpose8Go(dst []float32, dstStride int, src []float32, srcStride, n int) {
	if n == 0 {
		return
	}
	r0 := src[:n]
	r1 := src[srcStride : srcStride+n]
	r2 := src[2*srcStride : 2*srcStride+n]
	r3 := src[3*srcStride : 3*srcStride+n]
	r4 := src[4*srcStride : 4*srcStride+n]
	r5 := src[5*srcStride : 5*srcStride+n]
	r6 := src[6*srcStride : 6*srcStride+n]
	r7 := src[7*srcStride : 7*srcStride+n]
	for p := range r0 {
		o := dst[p*dstStride : p*dstStride+8]
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
