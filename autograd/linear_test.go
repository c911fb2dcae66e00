package autograd

import (
	"errors"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// refLinear is x w^T + b in float64: x [n,in], w [out,in], b [out] or nil.
func refLinear(x, w, b []float64, n, in, nout int) []float64 {
	y := make([]float64, n*nout)
	for i := 0; i < n; i++ {
		for o := 0; o < nout; o++ {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for k := 0; k < in; k++ {
				s += x[i*in+k] * w[o*in+k]
			}
			y[i*nout+o] = s
		}
	}
	return y
}

func TestGradLinear(t *testing.T) {
	for _, c := range []struct {
		n, in, out int
		bias       bool
	}{
		{3, 4, 5, true}, {1, 7, 2, false}, {6, 1, 3, true}, {4, 9, 10, true},
	} {
		inputs := []*tensor.Tensor{randT(1, -1, 1, c.n, c.in), randT(2, -1, 1, c.out, c.in)}
		if c.bias {
			inputs = append(inputs, randT(3, -1, 1, c.out))
		}
		gc := gradCase{
			name:   "linear",
			inputs: inputs,
			build: func(in []*Var) *Var {
				if c.bias {
					return Linear(in[0], in[1], in[2])
				}
				return Linear(in[0], in[1], nil)
			},
			ref: func(in [][]float64) []float64 {
				var b []float64
				if c.bias {
					b = in[2]
				}
				return refLinear(in[0], in[1], b, c.n, c.in, c.out)
			},
		}
		t.Run("", func(t *testing.T) { checkGrad(t, gc) })
	}
}

func TestGradMatMul(t *testing.T) {
	for _, c := range [][3]int{{3, 4, 5}, {1, 6, 1}, {5, 1, 4}, {8, 7, 9}} {
		m, k, n := c[0], c[1], c[2]
		gc := gradCase{
			name:   "matmul",
			inputs: []*tensor.Tensor{randT(4, -1, 1, m, k), randT(5, -1, 1, k, n)},
			build:  func(in []*Var) *Var { return MatMul(in[0], in[1]) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, m*n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						for p := 0; p < k; p++ {
							out[i*n+j] += in[0][i*k+p] * in[1][p*n+j]
						}
					}
				}
				return out
			},
		}
		t.Run("", func(t *testing.T) { checkGrad(t, gc) })
	}
}

func TestLinearOnlyNeededGrads(t *testing.T) {
	tp := NewTape()
	x := tp.Input(randT(1, -1, 1, 3, 4))
	w := NewParam(randT(2, -1, 1, 2, 4))
	b := NewParam(randT(3, -1, 1, 2))
	y := Linear(x, w, b)
	seed := tensor.Full(1, y.Shape()...)
	tp.BackwardWith(y, seed, x)
	if x.Grad == nil || w.Grad != nil || b.Grad != nil {
		t.Fatalf("asked for x only: x %v, w %v, b %v", x.Grad != nil, w.Grad != nil, b.Grad != nil)
	}
	tp.BackwardWith(y, seed)
	if x.Grad != nil || w.Grad == nil || b.Grad == nil {
		t.Fatalf("asked for parameters: x %v, w %v, b %v", x.Grad != nil, w.Grad != nil, b.Grad != nil)
	}
}

func TestLinearBadShapes(t *testing.T) {
	for _, c := range []struct {
		name     string
		x, w, b  []int
		isMatMul bool
	}{
		{name: "in mismatch", x: []int{2, 3}, w: []int{4, 5}},
		{name: "3-D input", x: []int{2, 3, 4}, w: []int{4, 4}},
		{name: "bias size", x: []int{2, 3}, w: []int{4, 3}, b: []int{3}},
		{name: "matmul inner", x: []int{2, 3}, w: []int{4, 5}, isMatMul: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := NewTape()
			x, w := tp.Input(tensor.New(c.x...)), tp.Input(tensor.New(c.w...))
			var b *Var
			if c.b != nil {
				b = tp.Input(tensor.New(c.b...))
			}
			defer func() {
				err, _ := recover().(error)
				var se *tensor.ShapeError
				if !errors.As(err, &se) {
					t.Fatalf("want a *tensor.ShapeError panic, got %v", err)
				}
			}()
			if c.isMatMul {
				MatMul(x, w)
			} else {
				Linear(x, w, b)
			}
		})
	}
}
