//go:build !(amd64 || arm64) || noasm

package kernels

// The fused loops have amd64 and arm64 bodies; on other architectures and
// with noasm their Go twins run.

func reluGrad(dst, g, out []float32) { reluGradGo(dst, g, out) }

func affineRows(dst []float32, dstPitch int, src []float32, srcPitch int, res []float32, resPitch int,
	rows, cols int, a, b float32, relu bool) {
	affineRowsGo(dst, dstPitch, src, srcPitch, res, resPitch, rows, cols, a, b, relu)
}

func maskedSumDot(ls, ld *[sumLanes]float64, g, mask, x, dres []float32, addRes bool) {
	maskedSumDotGo(ls, ld, g, mask, x, dres, addRes)
}

func normGrad(dx, g, mask, x []float32, k1, k2, k0 float32, add bool) {
	normGradGo(dx, g, mask, x, k1, k2, k0, add)
}
