package autograd

import (
	"fmt"
	"math"
	"testing"

	"robustlab/tensor"
)

// TestGradConvBN checks the fused convolution + batch norm (+ residual,
// + ReLU) against float64 loops, in both modes and on both convolution
// paths, asking for every gradient (gamma's in evaluation mode included,
// which recomputes the convolution).
func TestGradConvBN(t *testing.T) {
	old := useDirectConv
	defer func() { useDirectConv = old }()
	const n, cin, h, w, cout = 3, 2, 5, 4, 3
	co := ConvOptions{Padding: [2]int{1, 1}}
	rm, rv := randT(21, -0.5, 0.5, cout), randT(22, 0.5, 2, cout)
	for _, direct := range []bool{true, false} {
		useDirectConv = direct
		for _, training := range []bool{true, false} {
			for _, relu := range []bool{false, true} {
				for _, withRes := range []bool{false, true} {
					name := fmt.Sprintf("direct=%v training=%v relu=%v residual=%v", direct, training, relu, withRes)
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
	old := useDirectConv
	defer func() { useDirectConv = old }()
	useDirectConv = true // the fused path, on any CPU
	const n, cin, h, w, cout = 4, 3, 7, 6, 5
	co := ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	for _, training := range []bool{true, false} {
		run := func(fused bool) [][]float32 {
			tp := NewTape()
			x := tp.Input(randT(31, -1, 1, n, cin, h, w))
			wt := NewParam(randT(32, -1, 1, cout, cin, 3, 3))
			g, b := NewParam(randT(33, 0.5, 1.5, cout)), NewParam(randT(34, -1, 1, cout))
			rm, rv := randT(35, -0.5, 0.5, cout), randT(36, 0.5, 2, cout)
			bo := BatchNormOptions{Training: training, Momentum: 0.1}
			var out *Var
			if fused {
				r := tp.Input(randT(37, -1, 1, n, cout, 4, 3))
				out = ConvBN(x, wt, co, g, b, rm, rv, r, true, bo)
			} else {
				r := tp.Input(randT(37, -1, 1, n, cout, 4, 3))
				out = BatchNorm2dAct(Conv2d(x, wt, nil, co), g, b, rm, rv, r, true, bo)
			}
			tp.BackwardWith(out, randT(38, -1, 1, out.Shape()...), x, wt, g, b)
			return [][]float32{out.Data(), x.Grad.Data(), wt.Grad.Data(), g.Grad.Data(), b.Grad.Data(), rm.Data(), rv.Data()}
		}
		want, got := run(false), run(true)
		for k, name := range []string{"output", "dx", "dw", "dgamma", "dbeta", "running mean", "running var"} {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("training %v: %s[%d] = %g fused, %g chained", training, name, i, got[k][i], want[k][i])
				}
			}
		}
	}
}
