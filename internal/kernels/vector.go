package kernels

import (
	"fmt"
	"math"
)

// Element-wise and reduction loops over float32 slices. Each exported
// function has a portable Go body (the *Go functions here) and, for the
// bulk of the slice, an AVX2 body on amd64 (vector_amd64.s, chosen in
// stubs_amd64.go) and a NEON body on arm64 (vector_arm64.s,
// stubs_arm64.go); they give bit-identical results, which the tests check.
//
// Products are rounded before they are added (no fused multiply-add), so the
// results do not depend on the instruction set. Reductions accumulate in
// float64 in sumLanes interleaved lanes (element i goes to lane i mod
// sumLanes) that are added up in lane order at the end: a fixed summation
// order, so results are deterministic, and float64 keeps the sum of a
// million float32 values accurate to float32 precision.

// sumLanes is the number of float64 partial sums of the reductions: four
// ymm registers of four lanes, eight NEON registers of two.
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

// The Go twins work in blocks of 4 (16 for the reductions), loading each
// block through an array pointer: one bounds check per block instead of
// one per element, and independent operations for the core to overlap.
// The rectifiers select with integer moves on the bits (below, positive)
// rather than branching on the data, which random signs mispredict.

func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := (*[4]float32)(x[i:]), (*[4]float32)(y[i:])
		ys[0] += float32(a * xs[0])
		ys[1] += float32(a * xs[1])
		ys[2] += float32(a * xs[2])
		ys[3] += float32(a * xs[3])
	}
	for ; i < len(x); i++ {
		y[i] += float32(a * x[i])
	}
}

func scalGo(a float32, x []float32) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs := (*[4]float32)(x[i:])
		xs[0] *= a
		xs[1] *= a
		xs[2] *= a
		xs[3] *= a
	}
	for ; i < len(x); i++ {
		x[i] *= a
	}
}

func addGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, x, y := (*[4]float32)(dst[i:]), (*[4]float32)(a[i:]), (*[4]float32)(b[i:])
		d[0], d[1], d[2], d[3] = x[0]+y[0], x[1]+y[1], x[2]+y[2], x[3]+y[3]
	}
	for ; i < len(dst); i++ {
		dst[i] = a[i] + b[i]
	}
}

func mulGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, x, y := (*[4]float32)(dst[i:]), (*[4]float32)(a[i:]), (*[4]float32)(b[i:])
		d[0], d[1], d[2], d[3] = x[0]*y[0], x[1]*y[1], x[2]*y[2], x[3]*y[3]
	}
	for ; i < len(dst); i++ {
		dst[i] = a[i] * b[i]
	}
}

// below reports 0 > x: x negative, not -0 and not NaN, which are the bit
// patterns 0x80000001 through 0xff800000 (-Inf).
func below(x float32) bool { return math.Float32bits(x)-0x80000001 < 0x7f800000 }

// positive reports x > 0: the bit patterns 1 through 0x7f800000 (+Inf).
func positive(x float32) bool { return math.Float32bits(x)-1 < 0x7f800000 }

// reluGo keeps x unless 0 > x, which is what MAXPS(0, x) does, NaN and -0
// included.
func reluGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		b := math.Float32bits(v)
		if below(v) {
			b = 0
		}
		dst[i] = math.Float32frombits(b)
	}
}

// reluBackwardGo keeps dst[i]'s bits (-0 included) where out[i] is not
// positive.
func reluBackwardGo(dst, g, out []float32) {
	g, out = g[:len(dst)], out[:len(dst)]
	for i, o := range out {
		d := dst[i]
		b, s := math.Float32bits(d), math.Float32bits(d+g[i])
		if positive(o) {
			b = s
		}
		dst[i] = math.Float32frombits(b)
	}
}

// sumIntoGo adds x[i] to lanes[i mod sumLanes]. The assembly bodies stop at
// a multiple of sumLanes, so the Go tail continues the same lane pattern.
// The whole blocks of sumLanes go in two passes of eight lanes held in
// registers (sixteen would not fit amd64's), the rest lane by lane.
func sumIntoGo(lanes *[sumLanes]float64, x []float32) {
	full := len(x) &^ (sumLanes - 1)
	for h := 0; h < sumLanes; h += 8 {
		l := (*[8]float64)(lanes[h:])
		l0, l1, l2, l3, l4, l5, l6, l7 := l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]
		for i := h; i < full; i += sumLanes {
			b := (*[8]float32)(x[i:])
			l0 += float64(b[0])
			l1 += float64(b[1])
			l2 += float64(b[2])
			l3 += float64(b[3])
			l4 += float64(b[4])
			l5 += float64(b[5])
			l6 += float64(b[6])
			l7 += float64(b[7])
		}
		l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7] = l0, l1, l2, l3, l4, l5, l6, l7
	}
	for i, v := range x[full:] {
		lanes[i] += float64(v)
	}
}

// dotIntoGo adds the exact products x[i]*y[i] to lanes[i mod sumLanes],
// blocked as sumIntoGo.
func dotIntoGo(lanes *[sumLanes]float64, x, y []float32) {
	y = y[:len(x)]
	full := len(x) &^ (sumLanes - 1)
	for h := 0; h < sumLanes; h += 8 {
		l := (*[8]float64)(lanes[h:])
		l0, l1, l2, l3, l4, l5, l6, l7 := l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]
		for i := h; i < full; i += sumLanes {
			a, b := (*[8]float32)(x[i:]), (*[8]float32)(y[i:])
			l0 += float64(a[0]) * float64(b[0])
			l1 += float64(a[1]) * float64(b[1])
			l2 += float64(a[2]) * float64(b[2])
			l3 += float64(a[3]) * float64(b[3])
			l4 += float64(a[4]) * float64(b[4])
			l5 += float64(a[5]) * float64(b[5])
			l6 += float64(a[6]) * float64(b[6])
			l7 += float64(a[7]) * float64(b[7])
		}
		l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7] = l0, l1, l2, l3, l4, l5, l6, l7
	}
	for i, v := range x[full:] {
		lanes[i] += float64(v) * float64(y[full+i])
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
