package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// TestGradConvBN checks the fused convolution + batch norm (+ residual,
// + ReLU) against float64 loops, in both modes and on both convolution
// paths, asking for every gradient (gamma's in evaluation mode included,
// which recomputes the convolution).
func TestGradConvBN(t *testing.T) {
	defer setConvPath(convPath{useDirectConv, useWinograd})
	const n, cin, h, w, cout = 3, 16, 4, 2, 16
	co := ConvOptions{Padding: [2]int{1, 1}}
	rm, rv := randT(21, -0.5, 0.5, cout), randT(22, 0.5, 2, cout)
	for _, path := range convPaths {
		setConvPath(path)
		for _, training := range []bool{true, false} {
			for _, relu := range []bool{false, true} {
				for _, withRes := range []bool{false, true} {
					name := fmt.Sprintf("%v training=%v relu=%v residual=%v", path, training, relu, withRes)
					inputs := []*tensor.Tensor{randT(23, -1, 1, n, cin, h, w), randT(24, -1, 1, cout, cin, 3, 3),
						randT(25, 0.5, 1.5, cout), randT(26, -1, 1, cout)}
					if withRes {
						inputs = append(inputs, awayFromZero(27, n, cout, h, w))
					}
					gc := gradCase{
						name:   name,
						inputs: inputs,
						build: func(in []*Var) *Var {
							var r *Var
							if withRes {
								r = in[4]
							}
							return ConvBN(in[0], in[1], co, in[2], in[3], rm.Clone(), rv.Clone(), r, relu,
								BatchNormOptions{Training: training, Momentum: 0.1})
						},
						ref: func(in [][]float64) []float64 {
							y := refConv2d(in[0], in[1], nil, n, cin, h, w, cout, 3, 3, co)
							var mean, variance []float64
							if !training {
								mean, variance = toF64(rm), toF64(rv)
							}
							y = refBatchNorm(y, in[2], in[3], mean, variance, n, cout, h*w, 1e-5)
							for i := range y {
								if withRes {
									y[i] += in[4][i]
								}
								if relu {
									y[i] = math.Max(y[i], 0)
								}
							}
							return y
						},
					}
					// Every gradient but the weights' (thousands of finite
					// differences at 16 channels; TestConvBNMatchesChain
					// holds them to Conv2d's, which TestGradConv2dPaths
					// checks).
					gc.wrt = []int{0, 2, 3}
					if withRes {
						gc.wrt = append(gc.wrt, 4)
					}
					t.Run(name, func(t *testing.T) { checkGrad(t, gc) })
				}
			}
		}
	}
}

// TestConvBNMatchesChain: the fused operation gives the bits of Conv2d and
// BatchNorm2dAct recorded one after the other, forward and backward, and
// moves the running statistics the same way.
func TestConvBNMatchesChain(t *testing.T) {
	defer setConvPath(convPath{useDirectConv, useWinograd})
	setConvPath(convPath{true, true}) // the fused path, on any CPU
	const n, cin, h, w, cout = 4, 16, 8, 6, 16
	for _, co := range []ConvOptions{{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, {Padding: [2]int{1, 1}}} {
		for _, training := range []bool{true, false} {
			testConvBNMatchesChain(t, n, cin, h, w, cout, co, training)
		}
	}
}

func testConvBNMatchesChain(t *testing.T, n, cin, h, w, cout int, co ConvOptions, training bool) {
	t.Helper()
	s := max(co.Stride[0], 1)
	run := func(fused bool) [][]float32 {
		tp := NewTape()
		x := tp.Input(randT(31, -1, 1, n, cin, h, w))
		wt := NewParam(randT(32, -1, 1, cout, cin, 3, 3))
		g, b := NewParam(randT(33, 0.5, 1.5, cout)), NewParam(randT(34, -1, 1, cout))
		rm, rv := randT(35, -0.5, 0.5, cout), randT(36, 0.5, 2, cout)
		r := tp.Input(randT(37, -1, 1, n, cout, (h-1)/s+1, (w-1)/s+1))
		bo := BatchNormOptions{Training: training, Momentum: 0.1}
		var out *Var
		if fused {
			out = ConvBN(x, wt, co, g, b, rm, rv, r, true, bo)
		} else {
			out = BatchNorm2dAct(Conv2d(x, wt, nil, co), g, b, rm, rv, r, true, bo)
		}
		tp.BackwardWith(out, randT(38, -1, 1, out.Shape()...), x, wt, g, b)
		return [][]float32{out.Data(), x.Grad.Data(), wt.Grad.Data(), g.Grad.Data(), b.Grad.Data(), rm.Data(), rv.Data()}
	}
	want, got := run(false), run(true)
	for k, name := range []string{"output", "dx", "dw", "dgamma", "dbeta", "running mean", "running var"} {
		for i := range want[k] {
			if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
				t.Fatalf("%+v training %v: %s[%d] = %g fused, %g chained", co, training, name, i, got[k][i], want[k][i])
			}
		}
	}
}
