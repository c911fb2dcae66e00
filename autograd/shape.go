package autograd

import (
	"fmt"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// Reshape returns x with a new shape of as many elements (one -1 inferred).
// The result shares x's data (no copy); its gradient is the output's,
// reshaped back. A shape of another size panics with a *tensor.ShapeError.
func Reshape(x *Var, shape ...int) *Var {
	tp := TapeOf(x)
	out := x.Value.Reshape(shape...)
	return tp.Record(out, func(o *Var) {
		if x.NeedsGrad() && !tp.PassGrad(o, x) {
			dx := tp.GradOf(x).Data()
			kernels.Add(dx, dx, o.Grad.Data())
		}
	}, x)
}

// Flatten reshapes x [N,...] to [N, rest] (PyTorch's nn.Flatten), sharing
// its data.
func Flatten(x *Var) *Var {
	xs := x.Shape()
	if len(xs) < 2 {
		panic(&tensor.ShapeError{Op: "Flatten input (want [N,...] with at least 2 axes)", Got: xs, Expected: []int{-1, -1}})
	}
	return Reshape(x, xs[0], tensor.Numel(xs[1:]))
}

// Concat joins xs along axis (negative counts from the end); all other axes
// must agree, else it panics with a *tensor.ShapeError naming the first
// input's shape and the offending one.
func Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd: Concat of no inputs")
	}
	tp := TapeOf(xs...)
	first := xs[0].Shape()
	ax := axis
	if ax < 0 {
		ax += len(first)
	}
	if ax < 0 || ax >= len(first) {
		panic(fmt.Sprintf("autograd: Concat: axis %d out of range for shape %s", axis, tensor.FormatShape(first)))
	}
	shape := append([]int(nil), first...)
	shape[ax] = 0
	for _, x := range xs {
		s := x.Shape()
		ok := len(s) == len(first)
		for i := 0; ok && i < len(s); i++ {
			ok = i == ax || s[i] == first[i]
		}
		if !ok {
			panic(&tensor.ShapeError{Op: fmt.Sprintf("Concat along axis %d", axis), Got: s, Expected: first})
		}
		shape[ax] += s[ax]
	}
	outer := tensor.Numel(shape[:ax])
	inner := tensor.Numel(shape[ax+1:])
	row := shape[ax] * inner // one outer index's span in the output
	out := tp.ScratchTensor(shape...)
	od := out.Data()
	off := 0
	for _, x := range xs {
		n := x.Shape()[ax] * inner
		xd := x.Data()
		for o := 0; o < outer; o++ {
			copy(od[o*row+off:o*row+off+n], xd[o*n:(o+1)*n])
		}
		off += n
	}
	return tp.Record(out, func(o *Var) {
		g := o.Grad.Data()
		off := 0
		for _, x := range xs {
			n := x.Shape()[ax] * inner
			if x.NeedsGrad() {
				dx := tp.GradOf(x).Data()
				for o := 0; o < outer; o++ {
					d := dx[o*n : (o+1)*n]
					kernels.Add(d, d, g[o*row+off:o*row+off+n])
				}
			}
			off += n
		}
	}, xs...)
}
