//go:build amd64 && !noasm

package kernels

// dconvAVX512 selects the AVX-512 micro-kernels of the direct convolution
// (applyISA sets it).
var dconvAVX512 bool

// DirectConvAccelerated reports whether DirectConv runs vector kernels on
// this CPU; without them im2col + Sgemm is the faster convolution.
func DirectConvAccelerated() bool { return dconvAVX512 }

func dconvTile(wide bool, k int, a, b []float32, offs []int32, c []float32, ldc int) {
	if !dconvAVX512 {
		dconvTileGo(wide, k, a, b, offs, c, ldc)
		return
	}
	w := 16
	if wide {
		w = 32
	}
	_ = a[8*k-1]
	_ = offs[k-1]
	_ = c[7*ldc+w-1]
	// Every offs[p] + w must lie within b: the caller's lowered block has
	// the slack for the widest read.
	if wide {
		dconv8x32AVX512(k, &a[0], &b[0], &offs[0], &c[0], ldc)
	} else {
		dconv8x16AVX512(k, &a[0], &b[0], &offs[0], &c[0], ldc)
	}
}

func dconvDot(n, segs, skip int, dy []float32, pitch int, x []float32, offs []int32, acc []float32) {
	if !dconvAVX512 {
		dconvDotGo(n, segs, skip, dy, pitch, x, offs, acc)
		return
	}
	last := (segs-1)*(n+skip) + n - 1
	_ = dy[7*pitch+last]
	_ = x[int(max(offs[0], offs[1], offs[2]))+last]
	_ = acc[dotTile-1]
	dconvDot8x3AVX512(n, segs, skip, &dy[0], pitch, &x[0], &offs[0], &acc[0])
}

func dconvSum(acc, out []float32, ldo int) {
	if !dconvAVX512 {
		dconvSumGo(acc, out, ldo)
		return
	}
	_ = acc[dotTile-1]
	_ = out[7*ldo+2]
	dconvSum8x3AVX512(&acc[0], &out[0], ldo)
}

func lowerRows(dst []float32, dstPitch int, src []float32, srcPitch, rows, pw, j0, n, stride int) {
	if !dconvAVX512 || stride > 2 || rows == 0 || n == 0 {
		lowerRowsGo(dst, dstPitch, src, srcPitch, rows, pw, j0, n, stride)
		return
	}
	_ = dst[(rows-1)*dstPitch+pw-1]
	_ = src[(rows-1)*srcPitch+(n-1)*stride]
	lowerRowsAVX512(&dst[0], dstPitch, &src[0], srcPitch, rows, pw, j0, n, stride)
}

func lowerPair(dstE, dstO []float32, dstPitch int, src []float32, srcPitch, before, rows, after, pw, jE, jO, n int) {
	if !dconvAVX512 || rows == 0 || n == 0 {
		lowerPairGo(dstE, dstO, dstPitch, src, srcPitch, before, rows, after, pw, jE, jO, n)
		return
	}
	last := (before+rows+after-1)*dstPitch + pw - 1
	_ = dstE[last]
	_ = dstO[last]
	_ = src[(rows-1)*srcPitch+2*n-1]
	lowerPairAVX512(&dstE[0], &dstO[0], dstPitch, &src[0], srcPitch, before, rows, after, pw, jE, jO, n)
}

//go:noescape
func lowerPairAVX512(dstE, dstO *float32, dstPitch int, src *float32, srcPitch int, before, rows, after, pw, jE, jO, n int)

//go:noescape
func lowerRowsAVX512(dst *float32, dstPitch int, src *float32, srcPitch int, rows, pw, j0, n, stride int)

//go:noescape
func dconv8x32AVX512(k int, a, b *float32, offs *int32, c *float32, ldc int)

//go:noescape
func dconv8x16AVX512(k int, a, b *float32, offs *int32, c *float32, ldc int)

//go:noescape
func dconvDot8x3AVX512(n, segs, skip int, dy *float32, dyPitch int, x *float32, offs *int32, acc *float32)

//go:noescape
func dconvSum8x3AVX512(acc, out *float32, ldo int)
