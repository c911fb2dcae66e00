package autograd

import (
	"errors"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

func identityRef(in [][]float64) []float64 { return append([]float64(nil), in[0]...) }

func TestGradReshape(t *testing.T) {
	cases := []gradCase{
		{
			name:   "reshape [2 3 4] to [4 -1]",
			inputs: []*tensor.Tensor{randT(1, -1, 1, 2, 3, 4)},
			build: func(in []*Var) *Var {
				y := Reshape(in[0], 4, -1)
				if s := y.Shape(); s[0] != 4 || s[1] != 6 {
					panic("reshape inferred the wrong size")
				}
				return y
			},
			ref: identityRef,
		},
		{
			name:   "flatten [3 2 2 5]",
			inputs: []*tensor.Tensor{randT(2, -1, 1, 3, 2, 2, 5)},
			build: func(in []*Var) *Var {
				y := Flatten(in[0])
				if s := y.Shape(); len(s) != 2 || s[0] != 3 || s[1] != 20 {
					panic("flatten gave the wrong shape")
				}
				return y
			},
			ref: identityRef,
		},
		{
			// The same Var reshaped twice and multiplied: both paths must
			// add into its gradient.
			name:   "reshape used twice",
			inputs: []*tensor.Tensor{randT(3, -1, 1, 2, 6)},
			build: func(in []*Var) *Var {
				return Mul(Reshape(in[0], 3, 4), Reshape(in[0], 3, 4))
			},
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for i, v := range in[0] {
					out[i] = v * v
				}
				return out
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

// refConcat joins row-major tensors of the given shapes along axis.
func refConcat(in [][]float64, shapes [][]int, axis int) []float64 {
	outer := tensor.Numel(shapes[0][:axis])
	var out []float64
	for o := 0; o < outer; o++ {
		for k, s := range shapes {
			n := tensor.Numel(s[axis:])
			out = append(out, in[k][o*n:(o+1)*n]...)
		}
	}
	return out
}

func TestGradConcat(t *testing.T) {
	for _, c := range []struct {
		name   string
		axis   int
		shapes [][]int
		wrt    []int
	}{
		{"channels", 1, [][]int{{2, 3, 2, 2}, {2, 1, 2, 2}, {2, 2, 2, 2}}, nil},
		{"batch", 0, [][]int{{1, 3}, {3, 3}}, nil},
		{"last axis, negative", -1, [][]int{{2, 2, 3}, {2, 2, 1}}, nil},
		{"gradient of one input only", 1, [][]int{{2, 2, 3}, {2, 4, 3}}, []int{1}},
	} {
		var inputs []*tensor.Tensor
		for k, s := range c.shapes {
			inputs = append(inputs, randT(uint64(k+1), -1, 1, s...))
		}
		ax := c.axis
		if ax < 0 {
			ax += len(c.shapes[0])
		}
		gc := gradCase{
			name:   c.name,
			inputs: inputs,
			wrt:    c.wrt,
			build:  func(in []*Var) *Var { return Concat(c.axis, in...) },
			ref:    func(in [][]float64) []float64 { return refConcat(in, c.shapes, ax) },
		}
		t.Run(c.name, func(t *testing.T) {
			checkGrad(t, gc)
		})
	}
}

// TestConcatOnlyNeededGrads: inputs not asked for get no gradient.
func TestConcatOnlyNeededGrads(t *testing.T) {
	tp := NewTape()
	a, b := tp.Input(randT(1, -1, 1, 2, 3)), tp.Input(randT(2, -1, 1, 2, 2))
	y := Concat(1, a, b)
	tp.BackwardWith(y, tensor.Full(1, y.Shape()...), b)
	if a.Grad != nil || b.Grad == nil {
		t.Fatalf("asked for b only: a %v, b %v", a.Grad != nil, b.Grad != nil)
	}
}

func TestShapeOpsBadShapes(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(tp *Tape)
	}{
		{"reshape to another size", func(tp *Tape) { Reshape(tp.Input(tensor.New(2, 3)), 4, 2) }},
		{"flatten a vector", func(tp *Tape) { Flatten(tp.Input(tensor.New(5))) }},
		{"concat mismatched", func(tp *Tape) { Concat(1, tp.Input(tensor.New(2, 3)), tp.Input(tensor.New(3, 3))) }},
		{"concat ranks", func(tp *Tape) { Concat(0, tp.Input(tensor.New(2, 3)), tp.Input(tensor.New(2, 3, 1))) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				var se *tensor.ShapeError
				if !errors.As(err, &se) {
					t.Fatalf("want a *tensor.ShapeError panic, got %v", err)
				}
			}()
			c.f(NewTape())
		})
	}
}
