//go:build arm64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

func supportedISAs() []string {
	if cpu.ARM64.HasASIMD {
		return []string{ISANEON, ISAGeneric}
	}
	return []string{ISAGeneric}
}

// applyISA points every dispatch of the package at the bodies of
// instruction set name (one of supportedISAs).
func applyISA(name string) {
	vecNEON = name == ISANEON
	gemmKernels = gemmKernels[:0]
	if vecNEON {
		gemmKernels = append(gemmKernels, &neonKernel)
	}
	gemmKernels = append(gemmKernels, &goKernel)
	gemmKernel = gemmKernels[0]
}
