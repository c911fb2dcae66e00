//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

func supportedISAs() []string {
	var s []string
	if cpu.X86.HasAVX512F {
		s = append(s, ISAAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		s = append(s, ISAAVX2)
	}
	return append(s, ISAGeneric)
}

// applyISA points every dispatch of the package at the bodies of
// instruction set name (one of supportedISAs).
func applyISA(name string) {
	avx512 := name == ISAAVX512
	avx2 := avx512 || name == ISAAVX2
	vecAVX2 = avx2
	dconvAVX512 = avx512
	gemmKernels = gemmKernels[:0]
	if avx512 {
		gemmKernels = append(gemmKernels, &avx512Kernel)
	}
	if avx2 {
		gemmKernels = append(gemmKernels, &avx2Kernel)
	}
	gemmKernels = append(gemmKernels, &goKernel)
	gemmKernel = gemmKernels[0]
}
