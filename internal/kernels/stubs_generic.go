//go:build !(amd64 || arm64) || noasm

package kernels

// The dispatch of the kernels that both amd64 and arm64 have assembly for
// to their Go twins, for the other architectures and noasm builds (see the
// package comment: a kernel only amd64 accelerates belongs in a
// !amd64 || noasm file such as stubs_noasm.go, not here).

// gemmKernel is the micro-kernel Sgemm uses: without assembly, the Go one.
var gemmKernel = &goKernel

// gemmKernels lists every micro-kernel this build can run, for the tests.
var gemmKernels = []*microKernel{&goKernel}

func axpy(a float32, x, y []float32)                   { axpyGo(a, x, y) }
func scal(a float32, x []float32)                      { scalGo(a, x) }
func add(dst, a, b []float32)                          { addGo(dst, a, b) }
func mul(dst, a, b []float32)                          { mulGo(dst, a, b) }
func relu(dst, src []float32)                          { reluGo(dst, src) }
func reluBackward(dst, g, out []float32)               { reluBackwardGo(dst, g, out) }
func sumInto(lanes *[sumLanes]float64, x []float32)    { sumIntoGo(lanes, x) }
func dotInto(lanes *[sumLanes]float64, x, y []float32) { dotIntoGo(lanes, x, y) }
func maxAbs(x []float32) float32                       { return maxAbsGo(x) }

func transpose8(dst []float32, dstStride int, src []float32, srcStride, n int) {
	transpose8Go(dst, dstStride, src, srcStride, n)
}

func packRows(dst, src []float32, ld, kc, panels, w int) { packRowsGo(dst, src, ld, kc, panels, w) }

func transpose4(dst, src []float32, srcStride, n int) { transpose4Go(dst, src, srcStride, n) }
