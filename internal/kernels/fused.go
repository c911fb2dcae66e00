package kernels

import (
	"fmt"
	"math"
)

// Fused element-wise loops for the chains a network repeats at every layer
// (batch norm, residual addition, ReLU, and their gradients): one pass over
// memory instead of one per operation. Each has a portable Go body (the *Go
// functions) and an AVX2 body on amd64 (fused_amd64.s, chosen in
// fused_amd64.go) and a NEON body on arm64 (fused_arm64.s,
// fused_arm64.go); they round every operation the same way and give
// bit-identical results, which the tests check.
//
// As in vector.go, products are rounded before they are added (no fused
// multiply-add), so that a fused loop gives the same bits as the chain of
// separate operations it replaces where it computes the same expression.

// ReluGrad sets dst[i] = g[i] where out[i] > 0 and 0 elsewhere (out NaN
// included): the rectifier's backward pass when dst holds no gradient yet,
// given its forward output out.
func ReluGrad(dst, g, out []float32) {
	mustSameLen("ReluGrad", len(dst), len(g))
	mustSameLen("ReluGrad", len(dst), len(out))
	reluGrad(dst, g, out)
}

// AffineRows computes, over a rows x cols block,
//
//	dst[r][c] = act(src[r][c]*a + b (+ res[r][c]))
//
// rounding after the product, the sum and the residual addition, where act
// is max(v, 0) (NaN passes) if relu is set and the identity otherwise; res
// may be nil. Each operand's row r starts at r times its pitch. This is
// batch norm's y = x*scale + shift, followed by a residual addition and a
// ReLU when the network has them; dst may be src or res.
func AffineRows(dst []float32, dstPitch int, src []float32, srcPitch int, res []float32, resPitch int,
	rows, cols int, a, b float32, relu bool) {
	if rows <= 0 || cols <= 0 {
		return
	}
	mustRows("AffineRows dst", dst, dstPitch, rows, cols)
	mustRows("AffineRows src", src, srcPitch, rows, cols)
	if res != nil {
		mustRows("AffineRows res", res, resPitch, rows, cols)
	}
	affineRows(dst, dstPitch, src, srcPitch, res, resPitch, rows, cols, a, b, relu)
}

// MaskedSumDot returns sum(dz) and sum(dz*x), accumulated in float64 in a
// fixed order as Sum and Dot, where dz[i] = g[i] if mask is nil or
// mask[i] > 0, and 0 otherwise. If dres is not nil, dz is also written to
// it (added if addRes). This is the first pass of the backward of batch norm
// followed by a ReLU (mask is the ReLU's output) and of a residual
// addition (dres is the shortcut's gradient).
func MaskedSumDot(g, mask, x, dres []float32, addRes bool) (sum, dot float64) {
	mustSameLen("MaskedSumDot", len(g), len(x))
	if mask != nil {
		mustSameLen("MaskedSumDot", len(g), len(mask))
	}
	if dres != nil {
		mustSameLen("MaskedSumDot", len(g), len(dres))
	}
	var ls, ld [sumLanes]float64
	maskedSumDot(&ls, &ld, g, mask, x, dres, addRes)
	return addLanes(&ls), addLanes(&ld)
}

// NormGrad computes the input gradient of batch norm,
//
//	v = dz*k1 - x*k2 + k0     dx = v, or dx + v if add
//
// rounding after each operation, where dz[i] = g[i] if mask is nil or
// mask[i] > 0, and 0 otherwise. With x nil the x term is left out (fixed
// statistics, where x does not enter the gradient).
func NormGrad(dx, g, mask, x []float32, k1, k2, k0 float32, add bool) {
	mustSameLen("NormGrad", len(dx), len(g))
	if mask != nil {
		mustSameLen("NormGrad", len(dx), len(mask))
	}
	if x != nil {
		mustSameLen("NormGrad", len(dx), len(x))
	}
	normGrad(dx, g, mask, x, k1, k2, k0, add)
}

// tail is x[n:], or nil for a nil x.
func tail(x []float32, n int) []float32 {
	if x == nil {
		return nil
	}
	return x[n:]
}

func mustRows(op string, x []float32, pitch, rows, cols int) {
	if pitch < cols || len(x) < (rows-1)*pitch+cols {
		panic(fmt.Sprintf("kernels: %s has %d elements and pitch %d, too few for %d rows of %d", op, len(x), pitch, rows, cols))
	}
}

// The Go twins select with integer moves on the bits (positive, below in
// vector.go) rather than branching on the data.

// reluGradGo selects g where out > 0.
func reluGradGo(dst, g, out []float32) {
	g, out = g[:len(dst)], out[:len(dst)]
	for i, o := range out {
		b := math.Float32bits(g[i])
		if !positive(o) {
			b = 0
		}
		dst[i] = math.Float32frombits(b)
	}
}

func affineRowsGo(dst []float32, dstPitch int, src []float32, srcPitch int, res []float32, resPitch int,
	rows, cols int, a, b float32, relu bool) {
	for r := 0; r < rows; r++ {
		d := dst[r*dstPitch : r*dstPitch+cols]
		s := src[r*srcPitch : r*srcPitch+cols]
		var rs []float32
		if res != nil {
			rs = res[r*resPitch : r*resPitch+cols]
		}
		for i, x := range s {
			v := float32(x*a) + b
			if rs != nil {
				v += rs[i]
			}
			vb := math.Float32bits(v)
			if relu && below(v) {
				vb = 0
			}
			d[i] = math.Float32frombits(vb)
		}
	}
}

// masked is g, or +0 where mask is given and not positive.
func masked(g float32, mask []float32, i int) float32 {
	b := math.Float32bits(g)
	if mask != nil && !positive(mask[i]) {
		b = 0
	}
	return math.Float32frombits(b)
}

// maskedSumDotGo continues the lane pattern of the assembly: element i of
// the slice goes to lane i mod sumLanes.
func maskedSumDotGo(ls, ld *[sumLanes]float64, g, mask, x, dres []float32, addRes bool) {
	x = x[:len(g)]
	for i := range g {
		v := masked(g[i], mask, i)
		l := i & (sumLanes - 1)
		ls[l] += float64(v)
		ld[l] += float64(v) * float64(x[i])
		if dres != nil {
			if addRes {
				dres[i] += v
			} else {
				dres[i] = v
			}
		}
	}
}

func normGradGo(dx, g, mask, x []float32, k1, k2, k0 float32, add bool) {
	g = g[:len(dx)]
	for i := range g {
		t := float32(masked(g[i], mask, i) * k1)
		if x != nil {
			t -= float32(x[i] * k2)
		}
		t += k0
		if add {
			t += dx[i]
		}
		dx[i] = t
	}
}
