// Package tensor provides dense float32 tensors in row-major (C) order with
// shapes: creation, views, element-wise arithmetic, reductions over an axis,
// permutations and the plain math that images and metrics need.
//
// A Tensor is a shape and a []float32 of exactly the product of that shape.
// Reshape and Slice return views that share the data; Clone copies it.
//
// Errors: functions that combine tensors of incompatible shapes panic with a
// *ShapeError naming both shapes. Such a mismatch is a programming error
// inside robustlab (two internal calls disagreeing); code at a user-facing
// boundary checks shapes first (see CheckShape) and returns an error.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense float32 array with a shape.
type Tensor struct {
	shape []int
	data  []float32
}

// ShapeError reports two shapes that an operation cannot combine.
type ShapeError struct {
	Op       string
	Got      []int
	Expected []int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("tensor: %s: shape %s does not match %s", e.Op, FormatShape(e.Got), FormatShape(e.Expected))
}

// FormatShape writes a shape as [2 3 4].
func FormatShape(s []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// Numel is the number of elements of a shape (1 for the empty shape of a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkDims(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in shape %s", op, FormatShape(shape)))
		}
	}
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	checkDims("New", shape)
	return &Tensor{shape: append([]int(nil), shape...), data: make([]float32, Numel(shape))}
}

// Zeros is New.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Full returns a tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// FromSlice wraps data (not copied) as a tensor of the given shape. It panics
// with a *ShapeError if len(data) is not the product of shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	checkDims("FromSlice", shape)
	if len(data) != Numel(shape) {
		panic(&ShapeError{Op: "FromSlice", Got: []int{len(data)}, Expected: shape})
	}
	return &Tensor{shape: append([]int(nil), shape...), data: data}
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{shape: []int{}, data: []float32{v}} }

// Shape returns the shape (do not modify it).
func (t *Tensor) Shape() []int { return t.shape }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// NDim is the number of axes.
func (t *Tensor) NDim() int { return len(t.shape) }

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.data) }

// Data returns the underlying elements in row-major order (shared, not copied).
func (t *Tensor) Data() []float32 { return t.data }

// Item returns the only element of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(&ShapeError{Op: "Item", Got: t.shape, Expected: []int{1}})
	}
	return t.data[0]
}

// At returns the element at the given indices.
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offset(idx)] }

// Set stores v at the given indices.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offset(idx)] = v }

func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: index %v has %d axes, tensor has shape %s", idx, len(idx), FormatShape(t.shape)))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %s", idx, FormatShape(t.shape)))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// SameShape reports whether a and b have equal shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// CheckShape returns a *ShapeError if t's shape differs from want; a -1 in
// want matches any size.
func (t *Tensor) CheckShape(op string, want ...int) error {
	if len(want) == len(t.shape) {
		ok := true
		for i, d := range want {
			if d != -1 && d != t.shape[i] {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
	}
	return &ShapeError{Op: op, Got: t.shape, Expected: want}
}

func mustSame(op string, a, b *Tensor) {
	if !SameShape(a.shape, b.shape) {
		panic(&ShapeError{Op: op, Got: b.shape, Expected: a.shape})
	}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: append([]int(nil), t.shape...), data: append([]float32(nil), t.data...)}
}

// CopyFrom copies src's elements into t; the shapes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	mustSame("CopyFrom", t, src)
	copy(t.data, src.data)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	if v == 0 {
		clear(t.data)
		return
	}
	for i := range t.data {
		t.data[i] = v
	}
}

// Reshape returns a view with a new shape of the same number of elements.
// One dimension may be -1 and is inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(&ShapeError{Op: "Reshape", Got: t.shape, Expected: shape})
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			panic(&ShapeError{Op: "Reshape", Got: t.shape, Expected: shape})
		}
		s[infer] = len(t.data) / known
	}
	if Numel(s) != len(t.data) {
		panic(&ShapeError{Op: "Reshape", Got: t.shape, Expected: shape})
	}
	return &Tensor{shape: s, data: t.data}
}

// Slice returns a view of rows [lo, hi) along the first axis.
func (t *Tensor) Slice(lo, hi int) *Tensor {
	if len(t.shape) == 0 || lo < 0 || hi > t.shape[0] || lo > hi {
		panic(fmt.Sprintf("tensor: Slice [%d,%d) out of range for shape %s", lo, hi, FormatShape(t.shape)))
	}
	inner := 1
	for _, d := range t.shape[1:] {
		inner *= d
	}
	s := append([]int{hi - lo}, t.shape[1:]...)
	return &Tensor{shape: s, data: t.data[lo*inner : hi*inner]}
}

// Index returns a view of row i along the first axis, with that axis removed.
func (t *Tensor) Index(i int) *Tensor {
	v := t.Slice(i, i+1)
	v.shape = v.shape[1:]
	return v
}

// String shows the shape and the first elements.
func (t *Tensor) String() string {
	n := len(t.data)
	if n > 8 {
		return fmt.Sprintf("Tensor%s%v...", FormatShape(t.shape), t.data[:8])
	}
	return fmt.Sprintf("Tensor%s%v", FormatShape(t.shape), t.data)
}
