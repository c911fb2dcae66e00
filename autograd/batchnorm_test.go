package autograd

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// refBatchNorm is batch norm in float64. With mean and variance nil it uses
// the batch's (biased variance); gamma and beta may be nil.
func refBatchNorm(x, gamma, beta, mean, variance []float64, n, c, hw int, eps float64) []float64 {
	if mean == nil {
		mean, variance = refChannelStats(x, n, c, hw)
	}
	y := make([]float64, len(x))
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < hw; j++ {
				k := (i*c+ch)*hw + j
				v := (x[k] - mean[ch]) / math.Sqrt(variance[ch]+eps)
				if gamma != nil {
					v *= gamma[ch]
				}
				if beta != nil {
					v += beta[ch]
				}
				y[k] = v
			}
		}
	}
	return y
}

// refChannelStats returns each channel's mean and biased variance, two-pass.
func refChannelStats(x []float64, n, c, hw int) (mean, variance []float64) {
	mean, variance = make([]float64, c), make([]float64, c)
	m := float64(n * hw)
	for ch := 0; ch < c; ch++ {
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				mean[ch] += x[(i*c+ch)*hw+j] / m
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				d := x[(i*c+ch)*hw+j] - mean[ch]
				variance[ch] += d * d / m
			}
		}
	}
	return mean, variance
}

// refBatchNormRounding bounds, in units of u, the roundings of a
// training-mode batch norm's float32 backward that the contributions to
// each gradient do not show. It forms dx = k1 dz - k2 x + k0, with k2 =
// gamma rstd^3 sum(dz (x - mean)) / m and k0 = k2 mean - gamma rstd
// sum(dz) / m, whose terms k2 x and k0 nearly cancel when |mean| is large
// against the deviation: k2 and k0 are rounded once to float32, the
// product and the two sums once each, and the mean they use is the
// float32-rounded one (u |k2 mean| more): 3 |k2 x| + 3 |k0| in all. gamma's
// gradient rstd (sum(dz x) - mean sum(dz)) uses the rounded mean too:
// u |mean sum(dz)| rstd. gamma nil: no affine parameters.
func refBatchNormRounding(x, gamma, dz []float64, n, c, hw int, eps float64) [][]float64 {
	mean, variance := refChannelStats(x, n, c, hw)
	m := float64(n * hw)
	dx := make([]float64, len(x))
	dg := make([]float64, c)
	for ch := 0; ch < c; ch++ {
		rs := 1 / math.Sqrt(variance[ch]+eps)
		var sdy, sdx float64
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				k := (i*c+ch)*hw + j
				sdy += dz[k]
				sdx += dz[k] * (x[k] - mean[ch])
			}
		}
		k1 := rs
		if gamma != nil {
			k1 *= gamma[ch]
		}
		k2 := k1 * rs * rs * sdx / m
		k0 := k2*mean[ch] - k1*sdy/m
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				k := (i*c+ch)*hw + j
				dx[k] = 3*math.Abs(k2*x[k]) + 3*math.Abs(k0)
			}
		}
		dg[ch] = math.Abs(mean[ch]*sdy) * rs
	}
	if gamma == nil {
		return [][]float64{dx}
	}
	return [][]float64{dx, dg, make([]float64, c)}
}

func TestGradBatchNorm2d(t *testing.T) {
	type bnCase struct {
		name        string
		n, c, h, w  int
		affine      bool
		training    bool
		running     bool // pass running statistics
		lo, hi, eps float32
	}
	cases := []bnCase{
		{name: "train affine", n: 3, c: 4, h: 3, w: 2, affine: true, training: true, running: true, lo: -1, hi: 2},
		{name: "train no affine", n: 2, c: 3, h: 2, w: 3, training: true, running: true, lo: -2, hi: 1},
		{name: "train 1x1 spatial", n: 5, c: 3, h: 1, w: 1, affine: true, training: true, running: true, lo: -1, hi: 1},
		{name: "train large mean", n: 2, c: 2, h: 3, w: 3, affine: true, training: true, running: true, lo: 50, hi: 51},
		{name: "train eps 1e-3", n: 2, c: 2, h: 2, w: 2, affine: true, training: true, running: true, lo: -1, hi: 1, eps: 1e-3},
		{name: "eval affine", n: 3, c: 4, h: 2, w: 3, affine: true, running: true, lo: -1, hi: 1},
		{name: "eval no affine", n: 2, c: 3, h: 3, w: 2, running: true, lo: -1, hi: 1},
		{name: "eval without running stats uses the batch", n: 3, c: 2, h: 2, w: 2, affine: true, lo: -1, hi: 1},
	}
	for k, bc := range cases {
		seed := uint64(20 * (k + 1))
		hw := bc.h * bc.w
		inputs := []*tensor.Tensor{randT(seed, bc.lo, bc.hi, bc.n, bc.c, bc.h, bc.w)}
		if bc.affine {
			inputs = append(inputs, randT(seed+1, 0.5, 1.5, bc.c), randT(seed+2, -1, 1, bc.c))
		}
		var rm, rv *tensor.Tensor
		var rm64, rv64 []float64
		if bc.running {
			rm, rv = randT(seed+3, -0.5, 0.5, bc.c), randT(seed+4, 0.5, 2, bc.c)
			rm64, rv64 = toF64(rm), toF64(rv)
		}
		eps := float64(bc.eps)
		if eps == 0 {
			eps = 1e-5
		}
		gc := gradCase{
			name:   bc.name,
			inputs: inputs,
			build: func(in []*Var) *Var {
				var g, b *Var
				if bc.affine {
					g, b = in[1], in[2]
				}
				return BatchNorm2d(in[0], g, b, rm, rv, BatchNormOptions{Training: bc.training, Eps: bc.eps})
			},
			ref: func(in [][]float64) []float64 {
				var g, b, mean, variance []float64
				if bc.affine {
					g, b = in[1], in[2]
				}
				if !bc.training && bc.running {
					mean, variance = rm64, rv64
				}
				return refBatchNorm(in[0], g, b, mean, variance, bc.n, bc.c, hw, eps)
			},
		}
		if bc.training {
			gc.rounding = func(in [][]float64, r []float64) [][]float64 {
				var g []float64
				if bc.affine {
					g = in[1]
				}
				return refBatchNormRounding(in[0], g, r, bc.n, bc.c, hw, eps)
			}
		}
		t.Run(bc.name, func(t *testing.T) { checkGrad(t, gc) })
	}
}

// TestBatchNorm2dRunningStats: training updates the running statistics as
// PyTorch does (unbiased variance, momentum); evaluation leaves them alone.
func TestBatchNorm2dRunningStats(t *testing.T) {
	const n, c, h, w = 4, 3, 3, 5
	for _, mom := range []float32{0, 0.1, 0.3} {
		x := randT(1, -2, 3, n, c, h, w)
		rm, rv := randT(2, -1, 1, c), randT(3, 0.5, 2, c)
		rm0, rv0 := toF64(rm), toF64(rv)
		tp := NewTape()
		BatchNorm2d(tp.Input(x), nil, nil, rm, rv, BatchNormOptions{Training: true, Momentum: mom})
		m := float64(mom)
		mean, variance := refChannelStats(toF64(x), n, c, h*w)
		cnt := float64(n * h * w)
		for ch := 0; ch < c; ch++ {
			wantM := (1-m)*rm0[ch] + m*mean[ch]
			wantV := (1-m)*rv0[ch] + m*variance[ch]*cnt/(cnt-1)
			if !(math.Abs(float64(rm.Data()[ch])-wantM) <= 1e-5) || !(math.Abs(float64(rv.Data()[ch])-wantV) <= 1e-5) {
				t.Fatalf("momentum %g channel %d: running (%g, %g), want (%g, %g)", m, ch, rm.Data()[ch], rv.Data()[ch], wantM, wantV)
			}
		}
		before := append([]float32(nil), rm.Data()...)
		BatchNorm2d(tp.Input(x), nil, nil, rm, rv, BatchNormOptions{})
		for ch, v := range rm.Data() {
			if v != before[ch] {
				t.Fatal("evaluation mode changed the running mean")
			}
		}
	}
}

func TestBatchNorm2dOnlyNeededGrads(t *testing.T) {
	for _, training := range []bool{true, false} {
		tp := NewTape()
		x := tp.Input(randT(1, -1, 1, 2, 3, 4, 4))
		g, b := NewParam(randT(2, 0.5, 1.5, 3)), NewParam(randT(3, -1, 1, 3))
		y := BatchNorm2d(x, g, b, tensor.New(3), tensor.Full(1, 3), BatchNormOptions{Training: training})
		seed := randT(4, -1, 1, y.Shape()...)
		tp.BackwardWith(y, seed, x)
		if x.Grad == nil || g.Grad != nil || b.Grad != nil {
			t.Fatalf("training %v, asked for x only: x %v, gamma %v, beta %v", training, x.Grad != nil, g.Grad != nil, b.Grad != nil)
		}
		tp.BackwardWith(y, seed)
		if x.Grad != nil || g.Grad == nil || b.Grad == nil {
			t.Fatalf("training %v, asked for parameters: x %v, gamma %v, beta %v", training, x.Grad != nil, g.Grad != nil, b.Grad != nil)
		}
	}
}

func TestBatchNorm2dBadInput(t *testing.T) {
	mustPanic := func(name string, wantShapeErr bool, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil {
				t.Fatalf("%s: no panic", name)
			}
			var se *tensor.ShapeError
			if err, ok := r.(error); wantShapeErr && (!ok || !errors.As(err, &se)) {
				t.Fatalf("%s: panic %v, want a *tensor.ShapeError", name, r)
			}
		}()
		f()
	}
	tp := NewTape()
	x := tp.Input(randT(1, -1, 1, 2, 3, 2, 2))
	mustPanic("gamma size", true, func() { BatchNorm2d(x, tp.Input(tensor.New(4)), nil, nil, nil, BatchNormOptions{}) })
	mustPanic("running size", true, func() { BatchNorm2d(x, nil, nil, tensor.New(2), tensor.New(2), BatchNormOptions{}) })
	mustPanic("2-D input", true, func() { BatchNorm2d(tp.Input(tensor.New(2, 3)), nil, nil, nil, nil, BatchNormOptions{}) })
	mustPanic("momentum above 1", false, func() {
		BatchNorm2d(x, nil, nil, tensor.New(3), tensor.New(3), BatchNormOptions{Training: true, Momentum: 1.5})
	})
	mustPanic("one value per channel", false, func() {
		BatchNorm2d(tp.Input(tensor.New(1, 3, 1, 1)), nil, nil, tensor.New(3), tensor.New(3), BatchNormOptions{Training: true})
	})
}

// BenchmarkBatchNorm2d times batch norm at ResNet-20's three stage shapes
// (N=128): a training forward and backward (input, weight and bias
// gradients), and an evaluation forward. GB/s counts the bytes a two-pass
// forward and backward must move at least (x read twice and y written; dy
// and x read twice and dx written).
func BenchmarkBatchNorm2d(b *testing.B) {
	const n = 128
	for _, s := range []struct{ c, h int }{{16, 32}, {32, 16}, {64, 8}} {
		elems := float64(n * s.c * s.h * s.h)
		for _, training := range []bool{true, false} {
			name := fmt.Sprintf("%dx%dx%d/eval", s.c, s.h, s.h)
			bytes := 2 * 4 * elems
			if training {
				name = fmt.Sprintf("%dx%dx%d/train", s.c, s.h, s.h)
				bytes = (3 + 5) * 4 * elems
			}
			b.Run(name, func(b *testing.B) {
				tp := NewTape()
				xt := randT(1, -1, 1, n, s.c, s.h, s.h)
				g, bt := NewParam(randT(2, 0.5, 1.5, s.c)), NewParam(randT(3, -1, 1, s.c))
				rm, rv := tensor.New(s.c), tensor.Full(1, s.c)
				seed := randT(4, -1, 1, n, s.c, s.h, s.h)
				for b.Loop() {
					tp.Reset()
					x := tp.Input(xt)
					y := BatchNorm2d(x, g, bt, rm, rv, BatchNormOptions{Training: training})
					if training {
						tp.BackwardWith(y, seed, x, g, bt)
					}
				}
				b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// TestGradConvBatchNormChain checks batch norm inside a network-like chain
// (conv, batch norm, conv), where the convolutions reuse pooled scratch
// buffers between batch norm's forward and backward: nothing batch norm's
// backward reads may live in them.
func TestGradConvBatchNormChain(t *testing.T) {
	const n, c, h, w = 2, 3, 5, 4
	o := ConvOptions{Padding: [2]int{1, 1}}
	gc := gradCase{
		name: "conv-bn-conv",
		inputs: []*tensor.Tensor{
			randT(1, -1, 1, n, c, h, w), randT(2, -1, 1, c, c, 3, 3),
			randT(3, 0.5, 1.5, c), randT(4, -1, 1, c), randT(5, -1, 1, 2, c, 3, 3),
		},
		build: func(in []*Var) *Var {
			y := Conv2d(in[0], in[1], nil, o)
			y = BatchNorm2d(y, in[2], in[3], tensor.New(c), tensor.Full(1, c), BatchNormOptions{Training: true})
			return Conv2d(y, in[4], nil, o)
		},
		ref: func(in [][]float64) []float64 {
			y := refConv2d(in[0], in[1], nil, n, c, h, w, c, 3, 3, o)
			y = refBatchNorm(y, in[2], in[3], nil, nil, n, c, h*w, 1e-5)
			return refConv2d(y, in[4], nil, n, c, h, w, 2, 3, 3, o)
		},
	}
	checkGrad(t, gc)
}

// TestGradBatchNorm2dAct checks the fused relu(BatchNorm2d(x) + residual)
// against float64 loops in both modes, with and without each part, and
// with the residual being x itself (both gradients land in one buffer).
func TestGradBatchNorm2dAct(t *testing.T) {
	const n, c, h, w = 3, 4, 3, 2
	hw := h * w
	rm, rv := randT(5, -0.5, 0.5, c), randT(6, 0.5, 2, c)
	for _, training := range []bool{true, false} {
		for _, relu := range []bool{false, true} {
			for _, res := range []string{"none", "other", "self"} {
				name := fmt.Sprintf("training=%v relu=%v residual=%s", training, relu, res)
				inputs := []*tensor.Tensor{awayFromZero(7, n, c, h, w), randT(8, 0.5, 1.5, c), randT(9, -1, 1, c)}
				if res == "other" {
					inputs = append(inputs, awayFromZero(10, n, c, h, w))
				}
				gc := gradCase{
					name:   name,
					inputs: inputs,
					build: func(in []*Var) *Var {
						var r *Var
						switch res {
						case "other":
							r = in[3]
						case "self":
							r = in[0]
						}
						// Running statistics are copied so that training does
						// not move them between the forward and the reference.
						return BatchNorm2dAct(in[0], in[1], in[2], rm.Clone(), rv.Clone(), r, relu,
							BatchNormOptions{Training: training, Momentum: 0.1})
					},
					ref: func(in [][]float64) []float64 {
						var mean, variance []float64
						if !training {
							mean, variance = toF64(rm), toF64(rv)
						}
						y := refBatchNorm(in[0], in[1], in[2], mean, variance, n, c, hw, 1e-5)
						for i := range y {
							switch res {
							case "other":
								y[i] += in[3][i]
							case "self":
								y[i] += in[0][i]
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

// TestBatchNorm2dActMatchesChain: the fused operation gives the bits of
// BatchNorm2d, Add and Relu recorded one after the other, forward and
// backward.
func TestBatchNorm2dActMatchesChain(t *testing.T) {
	const n, c, h, w = 2, 3, 5, 7
	for _, training := range []bool{true, false} {
		run := func(fused bool) (y, dx, dr, dg, db []float32) {
			tp := NewTape()
			x, r := tp.Input(randT(11, -1, 1, n, c, h, w)), tp.Input(randT(12, -1, 1, n, c, h, w))
			g, b := NewParam(randT(13, 0.5, 1.5, c)), NewParam(randT(14, -1, 1, c))
			o := BatchNormOptions{Training: training, Momentum: 0.1}
			rm, rv := randT(15, -0.5, 0.5, c), randT(16, 0.5, 2, c)
			var out *Var
			if fused {
				out = BatchNorm2dAct(x, g, b, rm, rv, r, true, o)
			} else {
				out = Relu(Add(BatchNorm2d(x, g, b, rm, rv, o), r))
			}
			tp.BackwardWith(out, randT(17, -1, 1, n, c, h, w), x, r, g, b)
			return out.Data(), x.Grad.Data(), r.Grad.Data(), g.Grad.Data(), b.Grad.Data()
		}
		y0, _, dr0, dg0, db0 := run(false)
		y1, _, dr1, dg1, db1 := run(true)
		for i := range y0 {
			if math.Float32bits(y0[i]) != math.Float32bits(y1[i]) {
				t.Fatalf("training %v: output[%d] = %g fused, %g chained", training, i, y1[i], y0[i])
			}
		}
		for i := range dr0 {
			if dr0[i] != dr1[i] {
				t.Fatalf("training %v: residual gradient[%d] = %g fused, %g chained", training, i, dr1[i], dr0[i])
			}
		}
		for i := range dg0 {
			if !(math.Abs(float64(dg0[i]-dg1[i])) <= 1e-5) || db0[i] != db1[i] {
				t.Fatalf("training %v: parameter gradients (%g, %g) fused, (%g, %g) chained", training, dg1[i], db1[i], dg0[i], db0[i])
			}
		}
	}
}
