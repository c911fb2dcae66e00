package autograd

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

func TestGradSumMean(t *testing.T) {
	var cases []gradCase
	for i, shape := range [][]int{{3, 4, 5}, {7}, {}, {1, 1}} {
		x := randT(uint64(70+i), -2, 2, shape...)
		cases = append(cases,
			gradCase{
				name:   "sum" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return Sum(in[0]) },
				ref: func(in [][]float64) []float64 {
					s := 0.0
					for _, v := range in[0] {
						s += v
					}
					return []float64{s}
				},
			},
			gradCase{
				name:   "mean" + tensor.FormatShape(shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { return Mean(in[0]) },
				ref: func(in [][]float64) []float64 {
					s := 0.0
					for _, v := range in[0] {
						s += v
					}
					return []float64{s / float64(len(in[0]))}
				},
			})
	}
	checkGradBoth(t, cases)
}

// TestSumLarge: a sum of a million values is accurate to float32 rounding of
// the result (float64 accumulation) and bit-identical with 1, 2 and 3
// workers.
func TestSumLarge(t *testing.T) {
	x := randT(80, 0, 1, 1<<20)
	for i := range x.Data() {
		x.Data()[i] += 1000 // float32 accumulation would lose the fractions
	}
	want := 0.0
	for _, v := range x.Data() {
		want += float64(v)
	}
	old := kernels.SetThreads(1)
	defer kernels.SetThreads(old)
	var first float32
	for th := 1; th <= 3; th++ {
		kernels.SetThreads(th)
		tp := NewTape()
		s := Sum(tp.Input(x)).Value.Item()
		m := Mean(tp.Input(x)).Value.Item()
		if th == 1 {
			first = s
		} else if math.Float32bits(s) != math.Float32bits(first) {
			t.Fatalf("%d workers: sum %g, 1 worker %g", th, s, first)
		}
		if !(math.Abs(float64(s)-want) <= 1e-7*want) {
			t.Fatalf("sum %g, want %g", s, want)
		}
		if w := want / float64(x.Len()); !(math.Abs(float64(m)-w) <= 1e-7*w) {
			t.Fatalf("mean %g, want %g", m, w)
		}
	}
}

func TestSumEmpty(t *testing.T) {
	tp := NewTape()
	x := tp.Input(tensor.New(0, 3))
	if s := Sum(x).Value.Item(); s != 0 {
		t.Errorf("sum of nothing = %g, want 0", s)
	}
	if m := Mean(x).Value.Item(); !math.IsNaN(float64(m)) {
		t.Errorf("mean of nothing = %g, want NaN", m)
	}
}

// refChannelMeanStd returns per-plane means and sqrt(unbiased var + eps).
func refChannelMeanStd(x []float64, planes, hw int, eps float64) (mean, std []float64) {
	mean, std = make([]float64, planes), make([]float64, planes)
	for p := range planes {
		s := 0.0
		for _, v := range x[p*hw : (p+1)*hw] {
			s += v
		}
		mean[p] = s / float64(hw)
		q := 0.0
		for _, v := range x[p*hw : (p+1)*hw] {
			q += (v - mean[p]) * (v - mean[p])
		}
		std[p] = math.Sqrt(q/float64(hw-1) + eps)
	}
	return mean, std
}

func TestGradChannelMeanStd(t *testing.T) {
	var cases []gradCase
	for i, c := range []struct {
		shape  []int
		eps    float32
		offset float32
	}{
		{[]int{2, 3, 4, 5}, 1e-5, 0},
		{[]int{1, 2, 3, 1}, 0.1, 0},
		{[]int{2, 1, 1, 2}, 1e-5, 0},
		{[]int{2, 2, 3, 3}, 0, 100}, // a large mean: the variance must not cancel
	} {
		x := randT(uint64(90+i), -1, 1, c.shape...)
		for j := range x.Data() {
			x.Data()[j] += c.offset
		}
		planes, hw := c.shape[0]*c.shape[1], c.shape[2]*c.shape[3]
		cases = append(cases,
			gradCase{
				name:   fmt.Sprintf("mean%v", c.shape),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { m, _ := ChannelMeanStd(in[0], c.eps); return m },
				ref: func(in [][]float64) []float64 {
					m, _ := refChannelMeanStd(in[0], planes, hw, float64(c.eps))
					return m
				},
			},
			gradCase{
				name:   fmt.Sprintf("std%v_eps%g", c.shape, c.eps),
				inputs: []*tensor.Tensor{x},
				build:  func(in []*Var) *Var { _, s := ChannelMeanStd(in[0], c.eps); return s },
				ref: func(in [][]float64) []float64 {
					_, s := refChannelMeanStd(in[0], planes, hw, float64(c.eps))
					return s
				},
			})
	}
	checkGradBoth(t, cases)
}

// TestChannelMeanStdAdaIN composes AdaIN, std(y) (x - mean(x))/std(x) +
// mean(y), from the statistics and broadcasting operations, and checks its
// gradients with respect to both content and style against finite
// differences of a float64 AdaIN.
func TestChannelMeanStdAdaIN(t *testing.T) {
	shape := []int{2, 3, 3, 4}
	planes, hw := 6, 12
	eps := 1e-5
	x, y := randT(95, -1, 1, shape...), randT(96, -2, 2, shape...)
	checkGradBoth(t, []gradCase{{
		name:   "adain",
		inputs: []*tensor.Tensor{x, y},
		build: func(in []*Var) *Var {
			mx, sx := ChannelMeanStd(in[0], float32(eps))
			my, sy := ChannelMeanStd(in[1], float32(eps))
			return Add(Mul(Div(Sub(in[0], mx), sx), sy), my)
		},
		ref: func(in [][]float64) []float64 {
			mx, sx := refChannelMeanStd(in[0], planes, hw, eps)
			my, sy := refChannelMeanStd(in[1], planes, hw, eps)
			out := make([]float64, len(in[0]))
			for i, v := range in[0] {
				p := i / hw
				out[i] = (v-mx[p])/sx[p]*sy[p] + my[p]
			}
			return out
		},
	}})
}

func TestChannelMeanStdBadInputPanics(t *testing.T) {
	for _, c := range []struct {
		shape []int
		eps   float32
		want  string
	}{
		{[]int{2, 3, 4}, 0, "x must be [N,C,H,W]"},
		{[]int{2, 3, 1, 1}, 0, "at least 2 pixels"},
		{[]int{2, 3, 2, 2}, -1, "eps must be >= 0"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("shape %v eps %g: recovered %v, want a panic saying %q", c.shape, c.eps, r, c.want)
				}
			}()
			tp := NewTape()
			ChannelMeanStd(tp.Input(tensor.New(c.shape...)), c.eps)
		}()
	}
}

func BenchmarkSum(b *testing.B) {
	tp := NewTape()
	x := randT(1, -1, 1, 128, 16, 32, 32)
	for b.Loop() {
		tp.Reset()
		Sum(tp.Input(x))
	}
}
