package tensor

import (
	"fmt"
	"math"
)

// Add returns a + b (same shapes).
func Add(a, b *Tensor) *Tensor {
	mustSame("Add", a, b)
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = v + b.data[i]
	}
	return out
}

// Sub returns a - b (same shapes).
func Sub(a, b *Tensor) *Tensor {
	mustSame("Sub", a, b)
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = v - b.data[i]
	}
	return out
}

// Mul returns the element-wise product a * b (same shapes).
func Mul(a, b *Tensor) *Tensor {
	mustSame("Mul", a, b)
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = v * b.data[i]
	}
	return out
}

// Div returns the element-wise quotient a / b (same shapes).
func Div(a, b *Tensor) *Tensor {
	mustSame("Div", a, b)
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = v / b.data[i]
	}
	return out
}

// Scale returns s * a.
func Scale(a *Tensor, s float32) *Tensor {
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = s * v
	}
	return out
}

// AddScalar returns a + s.
func AddScalar(a *Tensor, s float32) *Tensor {
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = v + s
	}
	return out
}

// Map returns f applied to every element of a.
func Map(a *Tensor, f func(float32) float32) *Tensor {
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = f(v)
	}
	return out
}

// Clamp returns a with every element limited to [lo, hi].
func Clamp(a *Tensor, lo, hi float32) *Tensor {
	out := New(a.shape...)
	for i, v := range a.data {
		out.data[i] = min(max(v, lo), hi)
	}
	return out
}

// AddInPlace sets t = t + b.
func (t *Tensor) AddInPlace(b *Tensor) {
	mustSame("AddInPlace", t, b)
	for i, v := range b.data {
		t.data[i] += v
	}
}

// Axpy sets t = t + alpha*x.
func (t *Tensor) Axpy(alpha float32, x *Tensor) {
	mustSame("Axpy", t, x)
	for i, v := range x.data {
		t.data[i] += alpha * v
	}
}

// ScaleInPlace sets t = s*t.
func (t *Tensor) ScaleInPlace(s float32) {
	for i := range t.data {
		t.data[i] *= s
	}
}

// ClampInPlace limits every element of t to [lo, hi].
func (t *Tensor) ClampInPlace(lo, hi float32) {
	for i, v := range t.data {
		t.data[i] = min(max(v, lo), hi)
	}
}

// SumAll returns the sum of all elements, accumulated in float64.
func (t *Tensor) SumAll() float64 {
	var s float64
	for _, v := range t.data {
		s += float64(v)
	}
	return s
}

// MeanAll returns the mean of all elements (NaN for an empty tensor).
func (t *Tensor) MeanAll() float64 { return t.SumAll() / float64(len(t.data)) }

// MaxAll returns the largest element (-Inf for an empty tensor).
func (t *Tensor) MaxAll() float32 {
	m := float32(math.Inf(-1))
	for _, v := range t.data {
		m = max(m, v)
	}
	return m
}

// MinAll returns the smallest element (+Inf for an empty tensor).
func (t *Tensor) MinAll() float32 {
	m := float32(math.Inf(1))
	for _, v := range t.data {
		m = min(m, v)
	}
	return m
}

// axisSplit returns outer, size, inner for a reduction over axis.
func (t *Tensor) axisSplit(op string, axis int) (outer, size, inner int, rest []int) {
	if axis < 0 {
		axis += len(t.shape)
	}
	if axis < 0 || axis >= len(t.shape) {
		panic(fmt.Sprintf("tensor: %s: axis %d out of range for shape %s", op, axis, FormatShape(t.shape)))
	}
	outer, inner = 1, 1
	for _, d := range t.shape[:axis] {
		outer *= d
	}
	for _, d := range t.shape[axis+1:] {
		inner *= d
	}
	rest = append(append([]int{}, t.shape[:axis]...), t.shape[axis+1:]...)
	return outer, t.shape[axis], inner, rest
}

// Sum returns the sum over axis (which is removed from the shape).
func (t *Tensor) Sum(axis int) *Tensor {
	outer, size, inner, rest := t.axisSplit("Sum", axis)
	out := New(rest...)
	for o := 0; o < outer; o++ {
		dst := out.data[o*inner : (o+1)*inner]
		for s := 0; s < size; s++ {
			src := t.data[(o*size+s)*inner:]
			for i := range dst {
				dst[i] += src[i]
			}
		}
	}
	return out
}

// Mean returns the mean over axis (which is removed from the shape).
func (t *Tensor) Mean(axis int) *Tensor {
	out := t.Sum(axis)
	_, size, _, _ := t.axisSplit("Mean", axis)
	out.ScaleInPlace(1 / float32(size))
	return out
}

// Max returns the maximum over axis (which is removed from the shape).
func (t *Tensor) Max(axis int) *Tensor {
	outer, size, inner, rest := t.axisSplit("Max", axis)
	out := Full(float32(math.Inf(-1)), rest...)
	for o := 0; o < outer; o++ {
		dst := out.data[o*inner : (o+1)*inner]
		for s := 0; s < size; s++ {
			src := t.data[(o*size+s)*inner:]
			for i := range dst {
				dst[i] = max(dst[i], src[i])
			}
		}
	}
	return out
}

// ArgMax returns the index of the maximum over axis (the first on ties), as
// ints in row-major order of the remaining axes.
func (t *Tensor) ArgMax(axis int) []int {
	outer, size, inner, _ := t.axisSplit("ArgMax", axis)
	idx := make([]int, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			best, bi := float32(math.Inf(-1)), 0
			for s := 0; s < size; s++ {
				v := t.data[(o*size+s)*inner+i]
				if v > best {
					best, bi = v, s
				}
			}
			idx[o*inner+i] = bi
		}
	}
	return idx
}

// Permute returns a copy with axes reordered: axis i of the result is axis
// perm[i] of t.
func (t *Tensor) Permute(perm ...int) *Tensor {
	n := len(t.shape)
	if len(perm) != n {
		panic(fmt.Sprintf("tensor: Permute: %d axes given for shape %s", len(perm), FormatShape(t.shape)))
	}
	seen := make([]bool, n)
	shape := make([]int, n)
	for i, p := range perm {
		if p < 0 || p >= n || seen[p] {
			panic(fmt.Sprintf("tensor: Permute: %v is not a permutation of %d axes", perm, n))
		}
		seen[p] = true
		shape[i] = t.shape[p]
	}
	// Strides of t, read in the order of the result's axes.
	stride := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		stride[i] = s
		s *= t.shape[i]
	}
	srcStride := make([]int, n)
	for i, p := range perm {
		srcStride[i] = stride[p]
	}
	out := New(shape...)
	idx := make([]int, n)
	off := 0
	for k := range out.data {
		out.data[k] = t.data[off]
		for a := n - 1; a >= 0; a-- {
			idx[a]++
			off += srcStride[a]
			if idx[a] < shape[a] {
				break
			}
			off -= srcStride[a] * shape[a]
			idx[a] = 0
		}
	}
	return out
}

// Transpose returns the transpose of a 2-D tensor (a copy).
func (t *Tensor) Transpose() *Tensor {
	if len(t.shape) != 2 {
		panic(fmt.Sprintf("tensor: Transpose needs 2 axes, shape is %s", FormatShape(t.shape)))
	}
	return t.Permute(1, 0)
}

// Concat joins tensors along axis; all other axes must agree.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor: Concat of nothing")
	}
	first := ts[0]
	if axis < 0 {
		axis += len(first.shape)
	}
	shape := append([]int(nil), first.shape...)
	shape[axis] = 0
	for _, t := range ts {
		if len(t.shape) != len(first.shape) {
			panic(&ShapeError{Op: "Concat", Got: t.shape, Expected: first.shape})
		}
		for i := range t.shape {
			if i != axis && t.shape[i] != first.shape[i] {
				panic(&ShapeError{Op: "Concat", Got: t.shape, Expected: first.shape})
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := New(shape...)
	outer := 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	inner := Numel(shape[axis+1:])
	off := 0
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			n := t.shape[axis] * inner
			copy(out.data[off:off+n], t.data[o*n:(o+1)*n])
			off += n
		}
	}
	return out
}

// Stack joins same-shaped tensors along a new first axis.
func Stack(ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor: Stack of nothing")
	}
	shape := append([]int{len(ts)}, ts[0].shape...)
	out := New(shape...)
	n := ts[0].Len()
	for i, t := range ts {
		mustSame("Stack", ts[0], t)
		copy(out.data[i*n:], t.data)
	}
	return out
}
