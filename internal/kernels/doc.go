// Package kernels holds robustlab's numerical hot loops: a packed, blocked
// single-precision GEMM in the BLIS/GotoBLAS style with Go-assembly
// micro-kernels (AVX-512, AVX2+FMA) chosen at run time beside a pure-Go
// fallback, im2col/col2im for 2-D convolution, element-wise and reduction
// loops, and the persistent worker pool that parallelizes them.
//
// All matrices are row-major float32 with explicit leading dimensions, as in
// CBLAS with CblasRowMajor. Nothing here allocates in steady state.
//
// Results are deterministic: the same inputs give the same bits on every
// run. Sgemm, SgemmSerial and the reductions also give the same bits for any
// Threads() value, because work is only ever split where the arithmetic of
// each output element does not change.
//
// The build tag noasm (or any architecture but amd64) selects the Go bodies
// only; the tests compare every assembly routine with its Go twin.
package kernels
