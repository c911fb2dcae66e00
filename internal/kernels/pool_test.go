package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForPartition checks that every index is covered exactly once
// by contiguous chunks numbered in order of lo, c*n/t to (c+1)*n/t.
func TestParallelForPartition(t *testing.T) {
	saved := Threads()
	defer SetThreads(saved)
	for _, threads := range []int{1, 2, 3, 8} {
		SetThreads(threads)
		for _, n := range []int{0, 1, 2, 5, 7, 100} {
			chunks := min(threads, n)
			var mu sync.Mutex
			seen := make([]int, n)
			got := map[int][2]int{}
			ParallelFor(n, func(c, lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				got[c] = [2]int{lo, hi}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			if len(got) != chunks {
				t.Fatalf("threads=%d n=%d: %d chunks, want %d", threads, n, len(got), chunks)
			}
			for c, r := range got {
				if r != [2]int{c * n / chunks, (c + 1) * n / chunks} {
					t.Fatalf("threads=%d n=%d: chunk %d covers %v", threads, n, c, r)
				}
			}
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("threads=%d n=%d: index %d visited %d times", threads, n, i, s)
				}
			}
		}
	}
}

// TestParallelForNested checks that a ParallelFor inside a chunk, and calls
// from many goroutines at once, complete with the same partition.
func TestParallelForNested(t *testing.T) {
	saved := SetThreads(3)
	defer SetThreads(saved)
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ParallelFor(9, func(_, lo, hi int) {
				ParallelFor(hi-lo, func(_, l, h int) { total.Add(int64(h - l)) })
			})
		}()
	}
	wg.Wait()
	if total.Load() != 6*9 {
		t.Fatalf("nested ParallelFor covered %d indices, want %d", total.Load(), 6*9)
	}
}

// TestParallelForUsesWorkers checks that all chunks run at the same time
// when the pool is free: each waits until every chunk has started, which
// only chunks on distinct goroutines can do. Run one after another, the
// first would wait in vain; it gives up after a timeout and the test fails
// (instead of hanging).
func TestParallelForUsesWorkers(t *testing.T) {
	saved := Threads()
	defer SetThreads(saved)
	const patience = 5 * time.Second
	for _, threads := range []int{2, 3, 4} {
		SetThreads(threads)
		var arrived atomic.Int32
		var gaveUp atomic.Int32
		all := make(chan struct{})
		ParallelFor(threads, func(_, _, _ int) {
			if arrived.Add(1) == int32(threads) {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(patience):
				gaveUp.Add(1)
			}
		})
		if g := gaveUp.Load(); g != 0 {
			t.Errorf("%d threads: %d of %d chunks waited %v for the others: they did not run at the same time", threads, g, threads, patience)
		}
	}
}

func BenchmarkParallelFor(b *testing.B) {
	var sink atomic.Int64
	for b.Loop() {
		ParallelFor(Threads(), func(c, lo, hi int) { sink.Add(int64(hi - lo)) })
	}
}
