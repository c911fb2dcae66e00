//go:build !amd64 || noasm

package kernels

// DirectConvAccelerated reports whether DirectConv runs vector kernels on
// this CPU; without them im2col + Sgemm is the faster convolution.
func DirectConvAccelerated() bool { return false }

func dconvTile(wide bool, k int, a, b []float32, offs []int32, c []float32, ldc int) {
	dconvTileGo(wide, k, a, b, offs, c, ldc)
}

func dconvDot(n, segs, skip int, dy []float32, pitch int, x []float32, offs []int32, acc []float32) {
	dconvDotGo(n, segs, skip, dy, pitch, x, offs, acc)
}

func dconvSum(acc, out []float32, ldo int) { dconvSumGo(acc, out, ldo) }

func lowerRows(dst []float32, dstPitch int, src []float32, srcPitch, rows, pw, j0, n, stride int) {
	lowerRowsGo(dst, dstPitch, src, srcPitch, rows, pw, j0, n, stride)
}

func lowerPair(dstE, dstO []float32, dstPitch int, src []float32, srcPitch, before, rows, after, pw, jE, jO, n int) {
	lowerPairGo(dstE, dstO, dstPitch, src, srcPitch, before, rows, after, pw, jE, jO, n)
}
