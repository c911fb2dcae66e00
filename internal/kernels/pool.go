package kernels

import (
	"runtime"
	"sync"
)

// The pool is a fixed set of goroutines started once; ParallelFor hands each
// a contiguous chunk. Partitions depend only on n and Threads(), never on
// timing, so reductions that combine per-chunk partials in chunk order are
// deterministic.

var (
	poolMu   sync.Mutex
	nThreads = runtime.GOMAXPROCS(0)
)

// Threads returns the number of workers ParallelFor uses.
func Threads() int {
	poolMu.Lock()
	defer poolMu.Unlock()
	return nThreads
}

// SetThreads sets the number of workers (at least 1) and returns the old value.
func SetThreads(n int) int {
	if n < 1 {
		n = 1
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	old := nThreads
	nThreads = n
	return old
}

// ParallelFor splits [0, n) into at most Threads() contiguous chunks of
// near-equal size and runs fn(chunk, lo, hi) for each, the first on the
// calling goroutine, and returns when all are done. chunk numbers are
// 0..chunks-1 in order of lo.
func ParallelFor(n int, fn func(chunk, lo, hi int)) {
	t := Threads()
	if t > n {
		t = n
	}
	if t <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(t - 1)
	for c := 1; c < t; c++ {
		lo, hi := c*n/t, (c+1)*n/t
		go func(c, lo, hi int) {
			defer wg.Done()
			fn(c, lo, hi)
		}(c, lo, hi)
	}
	fn(0, 0, n/t)
	wg.Wait()
}
