package autograd

import (
	"fmt"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// Linear is x w^T + b: x [N,In], w [Out,In] (PyTorch's layout), b [Out] or
// nil; the result is [N,Out]. Mismatched shapes panic with a
// *tensor.ShapeError.
func Linear(x, w, b *Var) *Var {
	tp := TapeOf(x, w, b)
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 2 || len(ws) != 2 || xs[1] != ws[1] {
		panic(&tensor.ShapeError{Op: fmt.Sprintf("Linear weight for input %s (want [Out,In])", tensor.FormatShape(xs)), Got: ws, Expected: []int{-1, lastDim(xs)}})
	}
	n, in, nout := xs[0], xs[1], ws[0]
	parents := []*Var{x, w}
	out := tp.ScratchTensor(n, nout)
	var beta float32
	if b != nil {
		if !tensor.SameShape(b.Shape(), []int{nout}) {
			panic(&tensor.ShapeError{Op: "Linear bias", Got: b.Shape(), Expected: []int{nout}})
		}
		// Start from the bias in every row and let the GEMM add x w^T.
		od := out.Data()
		for i := 0; i < n; i++ {
			copy(od[i*nout:(i+1)*nout], b.Data())
		}
		beta = 1
		parents = append(parents, b)
	}
	kernels.Sgemm(false, true, n, nout, in, 1, x.Data(), in, w.Data(), in, beta, out.Data(), nout)
	return tp.Record(out, func(o *Var) {
		dy := o.Grad.Data()
		if x.NeedsGrad() {
			// dx [N,In] += dy [N,Out] w [Out,In]
			kernels.Sgemm(false, false, n, in, nout, 1, dy, nout, w.Data(), in, 1, tp.GradOf(x).Data(), in)
		}
		if w.NeedsGrad() {
			// dw [Out,In] += dy^T [Out,N] x [N,In]
			kernels.Sgemm(true, false, nout, in, n, 1, dy, nout, x.Data(), in, 1, tp.GradOf(w).Data(), in)
		}
		if b != nil && b.NeedsGrad() {
			sumRowsInto(tp.GradOf(b).Data(), dy, n, nout)
		}
	}, parents...)
}

// MatMul is the matrix product of a [M,K] and b [K,N], giving [M,N].
// Mismatched shapes panic with a *tensor.ShapeError.
func MatMul(a, b *Var) *Var {
	tp := TapeOf(a, b)
	as, bs := a.Shape(), b.Shape()
	if len(as) != 2 || len(bs) != 2 || as[1] != bs[0] {
		panic(&tensor.ShapeError{Op: fmt.Sprintf("MatMul right operand for left %s", tensor.FormatShape(as)), Got: bs, Expected: []int{lastDim(as), -1}})
	}
	m, k, n := as[0], as[1], bs[1]
	out := tp.ScratchTensor(m, n)
	kernels.Sgemm(false, false, m, n, k, 1, a.Data(), k, b.Data(), n, 0, out.Data(), n)
	return tp.Record(out, func(o *Var) {
		dc := o.Grad.Data()
		if a.NeedsGrad() {
			// da [M,K] += dc [M,N] b^T [N,K]
			kernels.Sgemm(false, true, m, k, n, 1, dc, n, b.Data(), n, 1, tp.GradOf(a).Data(), k)
		}
		if b.NeedsGrad() {
			// db [K,N] += a^T [K,M] dc [M,N]
			kernels.Sgemm(true, false, k, n, m, 1, a.Data(), k, dc, n, 1, tp.GradOf(b).Data(), n)
		}
	}, a, b)
}

// sumRowsInto adds the column sums of m [rows,cols] into dst [cols],
// accumulating each in float64 in row order.
func sumRowsInto(dst, m []float32, rows, cols int) {
	for j := range cols {
		var s float64
		for i := 0; i < rows; i++ {
			s += float64(m[i*cols+j])
		}
		dst[j] += float32(s)
	}
}

// lastDim is the size of the last axis of a shape, or -1 for a scalar.
func lastDim(s []int) int {
	if len(s) == 0 {
		return -1
	}
	return s[len(s)-1]
}
