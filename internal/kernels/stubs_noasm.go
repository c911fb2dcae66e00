//go:build !amd64 || noasm

package kernels

// gemmKernel is the micro-kernel Sgemm uses: without assembly, the Go one.
var gemmKernel = &goKernel

// gemmKernels lists every micro-kernel this build can run, for the tests.
var gemmKernels = []*microKernel{&goKernel}
