//go:build !(amd64 || arm64) || noasm

package kernels

func supportedISAs() []string { return []string{ISAGeneric} }

// applyISA has nothing to switch: this build has only the Go bodies.
func applyISA(string) {}
