// Package kernels holds robustlab's numerical hot loops: a packed, blocked
// single-precision GEMM in the BLIS/GotoBLAS style with Go-assembly
// micro-kernels (AVX-512 and AVX2+FMA on amd64, NEON on arm64) chosen at
// run time beside a pure-Go fallback, im2col/col2im for 2-D convolution,
// element-wise and reduction loops, and the persistent worker pool that
// parallelizes them.
//
// All matrices are row-major float32 with explicit leading dimensions, as in
// CBLAS with CblasRowMajor. Nothing here allocates in steady state.
//
// Results are deterministic: the same inputs give the same bits on every
// run. Sgemm, SgemmSerial and the reductions also give the same bits for any
// Threads() value, because work is only ever split where the arithmetic of
// each output element does not change.
//
// # Instruction sets and files
//
// ISA reports the instruction set in use, the widest the CPU runs
// (golang.org/x/sys/cpu) unless ROBUSTLAB_ISA or SetISA restricts it:
// avx512, avx2 or generic on amd64, neon or generic on arm64, generic
// elsewhere. Every kernel with assembly has a Go twin (fooGo, next to the
// kernel's documentation: vector.go, fused.go, gemm.go, ...) that every
// build has and that the tests compare the assembly with, and a dispatch
// function (foo) defined once per build:
//
//   - *_amd64.go and *_amd64.s (amd64 && !noasm): the AVX-512 and AVX2
//     bodies;
//   - *_arm64.go and *_arm64.s (arm64 && !noasm): the NEON bodies;
//     neon_arm64.h encodes the vector instructions Go's assembler lacks;
//   - *_noasm.go (!amd64 || noasm): the dispatch to the Go twins of the
//     kernels only amd64 accelerates (stubs_noasm.go, the direct
//     convolution, Winograd, the max pool), which arm64 and every other
//     build without a body of its own run;
//   - *_generic.go (!(amd64 || arm64) || noasm): the dispatch to the Go
//     twins of the kernels both accelerate (stubs_generic.go,
//     fused_generic.go; isa_other.go likewise).
//
// So a kernel added for amd64 alone needs nothing for arm64: its Go
// dispatch goes into a *_noasm.go file, never a *_generic.go one, and
// arm64 uses its Go twin. Giving it a NEON body means moving its Go
// dispatch into a *_generic.go file. .ci/run vets and builds the module
// for arm64, which catches a kernel left undefined there. The build tag
// noasm selects the Go bodies only on every architecture.
//
// # The Go fallback
//
// The Go twins are blocked and unrolled (blocks loaded through array
// pointers, scalar register tiles, selects on the bits instead of branches
// on the data) so that no architecture without assembly is pathological.
// The Go GEMM micro-kernel rounds every product before it adds it (the
// explicit float32 conversions forbid the fused multiply-add the compiler
// may otherwise emit: arm64, ppc64, s390x, riscv64, amd64 with
// GOAMD64=v3) and sums over k in order, so its results are
// the same bits on every architecture (TestGoKernelExact). The assembly
// micro-kernels use fused multiply-adds and differ from it within
// rounding; the element-wise loops and reductions give the same bits as
// their Go twins on every instruction set.
//
// # arm64
//
// The NEON bodies are tested here under user-mode emulation
// (qemu-aarch64-static, in .ci/run), which checks their results only:
// their speed on arm64 hardware (Apple silicon, Graviton) has not been
// measured, and neither the 8x12 tile nor its blocking (kc = 256, 512 KiB
// of packed B per worker) has been tuned on one.
package kernels
