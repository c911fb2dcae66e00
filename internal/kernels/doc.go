// Package kernels holds robustlab's numerical hot loops: a packed, blocked
// single-precision GEMM in the BLIS/GotoBLAS style with Go-assembly
// micro-kernels (AVX-512, AVX2+FMA) chosen at run time beside a pure-Go
// fallback, im2col/col2im for 2-D convolution, element-wise and reduction
// loops, and the persistent worker pool that parallelizes them.
//
// All matrices are row-major float32 with explicit leading dimensions, as in
// CBLAS with CblasRowMajor. Nothing here allocates in steady state.
package kernels
