package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The pool is a set of goroutines started once and kept for the life of the
// process: a parallel call hands each a piece of work over its own channel
// and runs the first piece itself, so no goroutine is started per call or
// per tile. Partitions depend only on the problem size and Threads(), never
// on timing, so a reduction that combines per-chunk partials in chunk order
// is deterministic.
//
// One parallel call holds the pool at a time. A call that finds it busy (a
// nested call from inside a worker, or another goroutine's call) runs its
// chunks one after another on the calling goroutine, with the same partition,
// so it produces the same result and can never deadlock.

var (
	threadsMu sync.Mutex
	nThreads  = runtime.GOMAXPROCS(0)

	thePool pool
)

// Threads returns the number of workers ParallelFor and Sgemm use.
func Threads() int {
	threadsMu.Lock()
	defer threadsMu.Unlock()
	return nThreads
}

// SetThreads sets the number of workers (at least 1) and returns the old value.
func SetThreads(n int) int {
	if n < 1 {
		n = 1
	}
	threadsMu.Lock()
	defer threadsMu.Unlock()
	old := nThreads
	nThreads = n
	return old
}

// ParallelFor splits [0, n) into at most Threads() contiguous chunks of
// near-equal size and runs fn(chunk, lo, hi) for each, the first on the
// calling goroutine, and returns when all are done. chunk numbers are
// 0..chunks-1 in order of lo; chunk c covers [c*n/t, (c+1)*n/t) where t is
// the number of chunks, whether the chunks ran in parallel or not.
func ParallelFor(n int, fn func(chunk, lo, hi int)) {
	t := min(Threads(), n)
	if t <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	p := &thePool
	if !p.busy.TryLock() {
		for c := 0; c < t; c++ {
			fn(c, c*n/t, (c+1)*n/t)
		}
		return
	}
	defer p.busy.Unlock()
	p.forFn, p.forN, p.forT = fn, n, t
	p.dispatch(t, parallelForChunk)
	p.forFn = nil
}

// parallelForChunk runs one chunk of the ParallelFor that holds the pool. It
// reads its arguments from the pool so that a call allocates no closure.
func parallelForChunk(c int) {
	p := &thePool
	p.forFn(c, c*p.forN/p.forT, (c+1)*p.forN/p.forT)
}

// pool owns the persistent worker goroutines. busy is taken for the
// duration of one parallel call.
type pool struct {
	busy    sync.Mutex
	workers []chan task
	done    sync.WaitGroup
	pending atomic.Int32 // workers of the current call still running

	// The arguments of the ParallelFor in progress.
	forFn      func(chunk, lo, hi int)
	forN, forT int
}

// task is one piece of a parallel call: run fn(index).
type task struct {
	fn    func(index int)
	index int
}

// dispatch runs fn(0..t-1), fn(0) on the calling goroutine and the rest on
// pool workers, and returns when all are done; the caller holds p.busy.
func (p *pool) dispatch(t int, fn func(index int)) {
	for len(p.workers) < t-1 {
		ch := make(chan task, 1)
		p.workers = append(p.workers, ch)
		go p.serve(ch)
	}
	p.pending.Store(int32(t - 1))
	p.done.Add(t - 1)
	for i := 1; i < t; i++ {
		p.workers[i-1] <- task{fn: fn, index: i}
	}
	fn(0)
	// A worker that is still busy is usually about to finish: poll before
	// sleeping, since waking a sleeping thread costs tens of microseconds on
	// a virtual machine.
	for start := time.Now(); p.pending.Load() != 0 && time.Since(start) < spinWait; {
		runtime.Gosched()
	}
	p.done.Wait()
}

// spinWait is how long a worker polls for its next task, and the caller
// for the workers to finish, before sleeping. Parallel calls come in
// bursts (the layers of a network), and a thread that is still polling
// starts the next call at once, where a sleeping one would first have to
// be woken.
const spinWait = 100 * time.Microsecond

// serve is the loop of one worker goroutine.
func (p *pool) serve(ch chan task) {
	for {
		tk := p.next(ch)
		tk.fn(tk.index)
		p.pending.Add(-1)
		p.done.Done()
	}
}

// next returns the worker's next task, polling for spinWait before it
// blocks.
func (p *pool) next(ch chan task) task {
	for start := time.Now(); time.Since(start) < spinWait; {
		select {
		case tk := <-ch:
			return tk
		default:
			runtime.Gosched()
		}
	}
	return <-ch
}

// barrier makes a fixed group of goroutines wait for each other. A waiter
// polls for spinWait, since the members it waits for are running and
// usually close behind, and then sleeps, so that on a loaded machine it
// gives its core to the member it waits for.
type barrier struct {
	n       int32
	arrived atomic.Int32
	phase   atomic.Uint32
	mu      sync.Mutex
	cond    sync.Cond
}

// reset prepares the barrier for a group of n; no member may be waiting.
func (b *barrier) reset(n int) {
	b.n = int32(n)
	b.arrived.Store(0)
	b.cond.L = &b.mu
}

// wait returns once all n members have called wait for this phase. The last
// to arrive runs last (if not nil) before any member is released.
func (b *barrier) wait(last func()) {
	ph := b.phase.Load()
	if b.arrived.Add(1) == b.n {
		if last != nil {
			last()
		}
		b.arrived.Store(0)
		b.mu.Lock()
		b.phase.Add(1)
		b.cond.Broadcast()
		b.mu.Unlock()
		return
	}
	for start := time.Now(); time.Since(start) < spinWait; {
		for i := 0; i < 64; i++ {
			if b.phase.Load() != ph {
				return
			}
		}
		runtime.Gosched()
	}
	b.mu.Lock()
	for b.phase.Load() == ph {
		b.cond.Wait()
	}
	b.mu.Unlock()
}
