package kernels

import (
	"fmt"
	"math"
)

// Element-wise and reduction loops over float32 slices. Each exported
// function has a portable Go body (the *Go functions here) and, on amd64, an
// AVX2 body in vector_amd64.s for the bulk of the slice, chosen in
// stubs_amd64.go; the two give bit-identical results, which the tests check.
//
// Products are rounded before they are added (no fused multiply-add), so the
// results do not depend on the instruction set. Reductions accumulate in
// float64 in sumLanes interleaved lanes (element i goes to lane i mod
// sumLanes) that are added up in lane order at the end: a fixed summation
// order, so results are deterministic, and float64 keeps the sum of a
// million float32 values accurate to float32 precision.

// sumLanes is the number of float64 partial sums of the reductions: four
// ymm registers of four lanes.
const sumLanes = 16

// Axpy computes y[i] += a*x[i]. x and y must have the same length.
func Axpy(a float32, x, y []float32) {
	mustSameLen("Axpy", len(x), len(y))
	axpy(a, x, y)
}

// Scal computes x[i] *= a.
func Scal(a float32, x []float32) { scal(a, x) }

// Add computes dst[i] = a[i] + b[i]; dst may be a or b.
func Add(dst, a, b []float32) {
	mustSameLen("Add", len(dst), len(a))
	mustSameLen("Add", len(dst), len(b))
	add(dst, a, b)
}

// Mul computes dst[i] = a[i] * b[i]; dst may be a or b.
func Mul(dst, a, b []float32) {
	mustSameLen("Mul", len(dst), len(a))
	mustSameLen("Mul", len(dst), len(b))
	mul(dst, a, b)
}

// Relu computes dst[i] = max(src[i], 0), the rectifier's forward pass; dst
// may be src. NaN stays NaN and -0 stays -0 (only src < 0 becomes 0).
func Relu(dst, src []float32) {
	mustSameLen("Relu", len(dst), len(src))
	relu(dst, src)
}

// ReluBackward computes dst[i] += g[i] where out[i] > 0, the rectifier's
// backward pass accumulated into the input gradient dst, given the forward
// output out and the output gradient g. Elements with out[i] <= 0 (or NaN)
// leave dst[i] unchanged.
func ReluBackward(dst, g, out []float32) {
	mustSameLen("ReluBackward", len(dst), len(g))
	mustSameLen("ReluBackward", len(dst), len(out))
	reluBackward(dst, g, out)
}

// Sum returns the sum of x, accumulated in float64 in a fixed order.
func Sum(x []float32) float64 {
	var lanes [sumLanes]float64
	sumInto(&lanes, x)
	return addLanes(&lanes)
}

// Dot returns the inner product of x and y, accumulated in float64 in a
// fixed order (each product is exact in float64).
func Dot(x, y []float32) float64 {
	mustSameLen("Dot", len(x), len(y))
	var lanes [sumLanes]float64
	dotInto(&lanes, x, y)
	return addLanes(&lanes)
}

// SumSq returns the sum of squares of x, accumulated in float64 in a fixed
// order.
func SumSq(x []float32) float64 {
	var lanes [sumLanes]float64
	dotInto(&lanes, x, x)
	return addLanes(&lanes)
}

// MaxAbs returns the largest |x[i]|, 0 for an empty slice, and NaN if any
// element is NaN.
func MaxAbs(x []float32) float32 { return maxAbs(x) }

func mustSameLen(op string, a, b int) {
	if a != b {
		panic(fmt.Sprintf("kernels: %s of slices with lengths %d and %d", op, a, b))
	}
}

func addLanes(lanes *[sumLanes]float64) float64 {
	var s float64
	for _, v := range lanes {
		s += v
	}
	return s
}

func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}

func scalGo(a float32, x []float32) {
	for i := range x {
		x[i] *= a
	}
}

func addGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// reluGo keeps x unless 0 > x, which is what MAXPS(0, x) does, NaN and -0
// included.
func reluGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		if 0 > v {
			v = 0
		}
		dst[i] = v
	}
}

func reluBackwardGo(dst, g, out []float32) {
	g, out = g[:len(dst)], out[:len(dst)]
	for i, o := range out {
		if o > 0 {
			dst[i] += g[i]
		}
	}
}

// sumIntoGo adds x[i] to lanes[i mod sumLanes]. The assembly bodies stop at
// a multiple of sumLanes, so the Go tail continues the same lane pattern.
func sumIntoGo(lanes *[sumLanes]float64, x []float32) {
	for i, v := range x {
		lanes[i%sumLanes] += float64(v)
	}
}

// dotIntoGo adds the exact products x[i]*y[i] to lanes[i mod sumLanes].
func dotIntoGo(lanes *[sumLanes]float64, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		lanes[i%sumLanes] += float64(v) * float64(y[i])
	}
}

func maxAbsGo(x []float32) float32 {
	var m float32
	nan := false
	for _, v := range x {
		a := float32(math.Abs(float64(v)))
		if a > m {
			m = a
		}
		nan = nan || v != v
	}
	if nan {
		return float32(math.NaN())
	}
	return m
}
