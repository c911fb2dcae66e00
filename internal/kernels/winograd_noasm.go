//go:build !amd64 || noasm

package kernels

func winoInput(v, p []float32, phase, pw, n int) { winoInputGo(v, p, phase, pw, n) }

func winoOutput(r0, r1, m []float32, n int) { winoOutputGo(r0, r1, m, n) }
