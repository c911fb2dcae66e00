package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// distinctT returns a tensor holding a random permutation of values spaced
// 2/n apart in [-1, 1): no two elements of a max-pool window are within a
// finite-difference step of each other, so the maximum never switches.
func distinctT(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	n := t.Len()
	for i, p := range rand.New(rand.NewPCG(seed, 9)).Perm(n) {
		t.Data()[i] = float32(p)*2/float32(n) - 1
	}
	return t
}

// refPool applies f to every window of every plane of x [planes,h,w];
// windows are given by their clipped row and column bounds.
func refPool(x []float64, planes, h, w, oh, ow int, bounds func(oy, ox int) (y0, y1, x0, x1 int), f func(vals []float64, y0, y1, x0, x1 int) float64) []float64 {
	out := make([]float64, planes*oh*ow)
	for p := 0; p < planes; p++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				y0, y1, x0, x1 := bounds(oy, ox)
				var vals []float64
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						vals = append(vals, x[(p*h+iy)*w+ix])
					}
				}
				out[(p*oh+oy)*ow+ox] = f(vals, y0, y1, x0, x1)
			}
		}
	}
	return out
}

func fixedWindows(h, w, k, s, p int) (oh, ow int, bounds func(oy, ox int) (int, int, int, int)) {
	oh, ow = (h+2*p-k)/s+1, (w+2*p-k)/s+1
	return oh, ow, func(oy, ox int) (int, int, int, int) {
		y0, x0 := oy*s-p, ox*s-p
		return max(y0, 0), min(y0+k, h), max(x0, 0), min(x0+k, w)
	}
}

func TestGradPool2d(t *testing.T) {
	type poolCase struct {
		n, c, h, w int
		o          PoolOptions
	}
	cases := []poolCase{
		{2, 3, 4, 6, PoolOptions{Kernel: 2, Stride: 2}},
		{2, 2, 7, 5, PoolOptions{Kernel: 3, Stride: 2, Padding: 1}},
		{1, 3, 5, 5, PoolOptions{Kernel: 3, Stride: 1, Padding: 1}},
		{2, 2, 5, 4, PoolOptions{Kernel: 2, Stride: 1}},
		{3, 2, 6, 7, PoolOptions{Kernel: 3}},
		{1, 2, 9, 8, PoolOptions{Kernel: 4, Stride: 3, Padding: 2}},
	}
	for k, pc := range cases {
		s := pc.o.Stride
		if s == 0 {
			s = pc.o.Kernel
		}
		oh, ow, bounds := fixedWindows(pc.h, pc.w, pc.o.Kernel, s, pc.o.Padding)
		planes := pc.n * pc.c
		name := fmt.Sprintf("%dx%d k%d s%d p%d", pc.h, pc.w, pc.o.Kernel, pc.o.Stride, pc.o.Padding)
		maxCase := gradCase{
			name:   "max " + name,
			inputs: []*tensor.Tensor{distinctT(uint64(k+1), pc.n, pc.c, pc.h, pc.w)},
			build:  func(in []*Var) *Var { return MaxPool2d(in[0], pc.o) },
			ref: func(in [][]float64) []float64 {
				return refPool(in[0], planes, pc.h, pc.w, oh, ow, bounds, func(v []float64, _, _, _, _ int) float64 {
					m := math.Inf(-1)
					for _, x := range v {
						m = math.Max(m, x)
					}
					return m
				})
			},
		}
		kk := float64(pc.o.Kernel * pc.o.Kernel)
		avgCase := gradCase{
			name:   "avg " + name,
			inputs: []*tensor.Tensor{randT(uint64(k+1), -1, 1, pc.n, pc.c, pc.h, pc.w)},
			build:  func(in []*Var) *Var { return AvgPool2d(in[0], pc.o) },
			ref: func(in [][]float64) []float64 {
				return refPool(in[0], planes, pc.h, pc.w, oh, ow, bounds, func(v []float64, _, _, _, _ int) float64 {
					s := 0.0
					for _, x := range v {
						s += x
					}
					return s / kk
				})
			},
		}
		t.Run(maxCase.name, func(t *testing.T) { checkGrad(t, maxCase) })
		t.Run(avgCase.name, func(t *testing.T) { checkGrad(t, avgCase) })
	}
}

func TestGradAdaptiveAvgPool2d(t *testing.T) {
	for k, c := range [][4]int{{5, 7, 3, 2}, {4, 4, 2, 2}, {3, 3, 5, 4}, {6, 5, 1, 1}, {7, 7, 7, 7}} {
		h, w, oh, ow := c[0], c[1], c[2], c[3]
		bounds := func(oy, ox int) (int, int, int, int) {
			fl := func(a, b int) int { return int(math.Floor(float64(a) / float64(b))) }
			cl := func(a, b int) int { return int(math.Ceil(float64(a) / float64(b))) }
			return fl(oy*h, oh), cl((oy+1)*h, oh), fl(ox*w, ow), cl((ox+1)*w, ow)
		}
		gc := gradCase{
			name:   fmt.Sprintf("%dx%d to %dx%d", h, w, oh, ow),
			inputs: []*tensor.Tensor{randT(uint64(k+5), -1, 1, 2, 3, h, w)},
			build:  func(in []*Var) *Var { return AdaptiveAvgPool2d(in[0], oh, ow) },
			ref: func(in [][]float64) []float64 {
				return refPool(in[0], 6, h, w, oh, ow, bounds, func(v []float64, _, _, _, _ int) float64 {
					s := 0.0
					for _, x := range v {
						s += x
					}
					return s / float64(len(v))
				})
			},
		}
		t.Run(gc.name, func(t *testing.T) { checkGrad(t, gc) })
	}
}

func TestGradGlobalAvgPool2d(t *testing.T) {
	gc := gradCase{
		name:   "global avg",
		inputs: []*tensor.Tensor{randT(3, -1, 1, 3, 4, 5, 3)},
		build:  func(in []*Var) *Var { return GlobalAvgPool2d(in[0]) },
		ref: func(in [][]float64) []float64 {
			out := make([]float64, 12)
			for p := range out {
				for j := 0; j < 15; j++ {
					out[p] += in[0][p*15+j] / 15
				}
			}
			return out
		},
	}
	checkGrad(t, gc)
}

// TestMaxPool2dNaN: a NaN in a window is its maximum (PyTorch propagates
// NaN through max pooling); hiding it would hide a diverged model.
func TestMaxPool2dNaN(t *testing.T) {
	x := distinctT(1, 1, 1, 4, 4)
	x.Data()[5] = float32(math.NaN())
	y := MaxPool2d(NewTape().Input(x), PoolOptions{Kernel: 2})
	for i, v := range y.Data() {
		if isNaN := v != v; isNaN != (i == 0) {
			t.Fatalf("output %d = %g; only the window holding the NaN must be NaN", i, v)
		}
	}
}

func TestPoolBadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(x *Var)
	}{
		{"zero kernel", func(x *Var) { MaxPool2d(x, PoolOptions{}) }},
		{"padding over half the kernel", func(x *Var) { AvgPool2d(x, PoolOptions{Kernel: 2, Padding: 2}) }},
		{"window larger than input", func(x *Var) { MaxPool2d(x, PoolOptions{Kernel: 5}) }},
		{"adaptive to zero", func(x *Var) { AdaptiveAvgPool2d(x, 0, 2) }},
		{"3-D input", func(x *Var) { GlobalAvgPool2d(NewTape().Input(tensor.New(2, 3, 9))) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				// A runtime error (index out of range) would be a bug, not
				// a check: the message must come from the pooling op.
				if msg := fmt.Sprint(recover()); !strings.Contains(msg, "Pool") {
					t.Fatalf("panic %q, want one naming the pooling op", msg)
				}
			}()
			c.f(NewTape().Input(randT(1, -1, 1, 2, 3, 3, 3)))
		})
	}
}
