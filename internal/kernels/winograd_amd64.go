//go:build amd64 && !noasm

package kernels

func winoInput(v, p []float32, phase, pw, n int) {
	if !dconvAVX512 {
		winoInputGo(v, p, phase, pw, n)
		return
	}
	_ = v[15*wintile+n-1]
	_ = p[3*phase+pw+n]
	winoInputAVX512(&v[0], &p[0], phase, pw, n/16)
}

func winoOutput(r0, r1, m []float32, n int) {
	if !dconvAVX512 {
		winoOutputGo(r0, r1, m, n)
		return
	}
	_ = r0[2*n-1]
	_ = r1[2*n-1]
	_ = m[15*wintile+n-1]
	winoOutputAVX512(&r0[0], &r1[0], &m[0], n/16)
}

//go:noescape
func winoInputAVX512(v, p *float32, phase, pw, steps int)

//go:noescape
func winoOutputAVX512(r0, r1, m *float32, steps int)
