//go:build !amd64 || noasm

package kernels

// The dispatch of the GEMM's helpers that only amd64 has assembly for to
// their Go twins: arm64 runs these too (see the package comment).

// prefetchRect is a hint; without assembly there is nothing to ask with.
func prefetchRect(src []float32, off, ld, rows, width int) {}
