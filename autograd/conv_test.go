package autograd

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// refConv2d is the float64 reference convolution: the definition, one output
// element at a time. x [n,cin,h,w], w [cout,cin/groups,kh,kw], b [cout] or nil.
func refConv2d(x, w, b []float64, n, cin, h, wd, cout, kh, kw int, o ConvOptions) []float64 {
	sh, sw := max(o.Stride[0], 1), max(o.Stride[1], 1)
	dh, dw := max(o.Dilation[0], 1), max(o.Dilation[1], 1)
	ph, pw := o.Padding[0], o.Padding[1]
	groups := max(o.Groups, 1)
	oh := (h+2*ph-dh*(kh-1)-1)/sh + 1
	ow := (wd+2*pw-dw*(kw-1)-1)/sw + 1
	cinG, coutG := cin/groups, cout/groups
	out := make([]float64, n*cout*oh*ow)
	for i := 0; i < n; i++ {
		for oc := 0; oc < cout; oc++ {
			g := oc / coutG
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := 0.0
					if b != nil {
						s = b[oc]
					}
					for ic := 0; ic < cinG; ic++ {
						c := g*cinG + ic
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy := oy*sh - ph + ky*dh
								ix := ox*sw - pw + kx*dw
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += x[((i*cin+c)*h+iy)*wd+ix] * w[((oc*cinG+ic)*kh+ky)*kw+kx]
							}
						}
					}
					out[((i*cout+oc)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return out
}

type convConfig struct {
	name         string
	n, cin, h, w int
	cout, kh, kw int
	o            ConvOptions
	bias         bool
}

func (cc convConfig) gradCase(seed uint64) gradCase {
	groups := max(cc.o.Groups, 1)
	inputs := []*tensor.Tensor{
		randT(seed, -1, 1, cc.n, cc.cin, cc.h, cc.w),
		randT(seed+1, -1, 1, cc.cout, cc.cin/groups, cc.kh, cc.kw),
	}
	if cc.bias {
		inputs = append(inputs, randT(seed+2, -1, 1, cc.cout))
	}
	return gradCase{
		name:   cc.name,
		inputs: inputs,
		build: func(in []*Var) *Var {
			var b *Var
			if cc.bias {
				b = in[2]
			}
			return Conv2d(in[0], in[1], b, cc.o)
		},
		ref: func(in [][]float64) []float64 {
			var b []float64
			if cc.bias {
				b = in[2]
			}
			return refConv2d(in[0], in[1], b, cc.n, cc.cin, cc.h, cc.w, cc.cout, cc.kh, cc.kw, cc.o)
		},
	}
}

var convConfigs = []convConfig{
	{name: "3x3 s1 p1 bias", n: 3, cin: 3, h: 6, w: 5, cout: 4, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{1, 1}}, bias: true},
	{name: "3x3 s1 p0", n: 2, cin: 2, h: 5, w: 6, cout: 3, kh: 3, kw: 3},
	{name: "3x3 s2 p1", n: 3, cin: 3, h: 7, w: 8, cout: 4, kh: 3, kw: 3, o: ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
	{name: "5x3 s(2,1) p(2,1) non-square", n: 2, cin: 2, h: 9, w: 6, cout: 3, kh: 5, kw: 3, o: ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{2, 1}}, bias: true},
	{name: "3x3 dilation 2 p2", n: 2, cin: 2, h: 7, w: 7, cout: 3, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}},
	{name: "2x3 dilation (2,1) stride 2", n: 2, cin: 3, h: 8, w: 7, cout: 2, kh: 2, kw: 3, o: ConvOptions{Stride: [2]int{2, 2}, Dilation: [2]int{2, 1}}, bias: true},
	{name: "1x1 direct", n: 3, cin: 4, h: 3, w: 5, cout: 5, kh: 1, kw: 1, bias: true},
	{name: "1x1 stride 2", n: 2, cin: 4, h: 5, w: 5, cout: 3, kh: 1, kw: 1, o: ConvOptions{Stride: [2]int{2, 2}}},
	{name: "1x1 pad 1", n: 2, cin: 2, h: 3, w: 4, cout: 2, kh: 1, kw: 1, o: ConvOptions{Padding: [2]int{1, 1}}},
	{name: "groups 2", n: 3, cin: 4, h: 5, w: 6, cout: 6, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{1, 1}, Groups: 2}, bias: true},
	{name: "groups 2 1x1 direct", n: 2, cin: 4, h: 3, w: 3, cout: 2, kh: 1, kw: 1, o: ConvOptions{Groups: 2}},
	{name: "depthwise 3x3 p1", n: 3, cin: 4, h: 6, w: 5, cout: 4, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{1, 1}, Groups: 4}, bias: true},
	{name: "depthwise x2 5x3 s2 p(2,1) d(1,2)", n: 2, cin: 3, h: 9, w: 8, cout: 6, kh: 5, kw: 3, o: ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 3}},
	{name: "single input channel", n: 2, cin: 1, h: 6, w: 6, cout: 3, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{1, 1}}, bias: true},
	{name: "kernel covers padded input", n: 2, cin: 2, h: 2, w: 3, cout: 2, kh: 4, kw: 5, o: ConvOptions{Padding: [2]int{1, 1}}},
}

func TestGradConv2d(t *testing.T) {
	for k, cc := range convConfigs {
		t.Run(cc.name, func(t *testing.T) { checkGrad(t, cc.gradCase(uint64(10*k+1))) })
	}
}

// TestGradConv2dThreads runs the gradient check with more workers than the
// machine has cores and a batch that does not divide evenly, so that
// partial weight gradients of several uneven chunks are summed.
func TestGradConv2dThreads(t *testing.T) {
	old := kernels.SetThreads(3)
	defer kernels.SetThreads(old)
	for _, cc := range []convConfig{convConfigs[0], convConfigs[6], convConfigs[11]} {
		cc.n = 5
		t.Run(cc.name, func(t *testing.T) { checkGrad(t, cc.gradCase(99)) })
	}
}

// TestGradConv2dPaths runs the gradient check on both the direct path
// (lowered images, kernels.DirectConv) and im2col + GEMM, whichever the
// machine would choose, with batches that make weight-gradient blocks of
// several images and a ragged last block.
func TestGradConv2dPaths(t *testing.T) {
	defer setConvPath(convPath{useDirectConv, useWinograd})
	for _, path := range convPaths {
		setConvPath(path)
		for k, cc := range convConfigs {
			cc.n = 5
			t.Run(fmt.Sprintf("%v/%s", path, cc.name), func(t *testing.T) { checkGrad(t, cc.gradCase(uint64(10*k+3))) })
		}
		for k, cc := range winogradConfigs {
			// Winograd computes the forward pass and the input's
			// gradient; the weights' finite differences (thousands at 16
			// channels) would test the weight gradient's kernels again.
			gc := cc.gradCase(uint64(10*k + 5))
			gc.wrt = []int{0}
			t.Run(fmt.Sprintf("%v/%s", path, cc.name), func(t *testing.T) { checkGrad(t, gc) })
		}
	}
}

// convPath is a choice of the convolution's kernels.
type convPath struct{ direct, winograd bool }

// convPaths are all the paths a convolution can take: im2col + GEMM, the
// direct kernels, and Winograd where it fits (direct elsewhere).
var convPaths = []convPath{{false, false}, {true, false}, {true, true}}

func (p convPath) String() string {
	switch {
	case !p.direct:
		return "gemm"
	case !p.winograd:
		return "direct"
	}
	return "winograd"
}

func setConvPath(p convPath) { useDirectConv, useWinograd = p.direct, p.winograd }

// winogradConfigs are shapes Winograd F(2x2, 3x3) takes (3x3 stride 1 with
// even outputs, at least 16 channels in and out), with and without
// padding, over blocks of several images.
var winogradConfigs = []convConfig{
	{name: "winograd 3x3 p1", n: 5, cin: 16, h: 4, w: 2, cout: 17, kh: 3, kw: 3, o: ConvOptions{Padding: [2]int{1, 1}}, bias: true},
	{name: "winograd 3x3 p0", n: 3, cin: 16, h: 4, w: 4, cout: 16, kh: 3, kw: 3},
}

// TestGradConv2dSingleImage: a batch smaller than the worker count runs each
// GEMM on all workers (and depthwise planes in parallel) instead.
func TestGradConv2dSingleImage(t *testing.T) {
	old := kernels.SetThreads(2)
	defer kernels.SetThreads(old)
	for _, k := range []int{0, 3, 6, 9, 12} {
		cc := convConfigs[k]
		cc.n = 1
		t.Run(cc.name, func(t *testing.T) { checkGrad(t, cc.gradCase(7)) })
	}
}

// TestConv2dOnlyNeededGrads: an attack asks for the input gradient only and
// must not pay for (or receive) weight and bias gradients, and training the
// first layer needs no gradient of the image.
func TestConv2dOnlyNeededGrads(t *testing.T) {
	for _, cc := range []convConfig{convConfigs[0], convConfigs[6], convConfigs[11]} {
		t.Run(cc.name, func(t *testing.T) {
			tp := NewTape()
			groups := max(cc.o.Groups, 1)
			x := tp.Input(randT(1, -1, 1, cc.n, cc.cin, cc.h, cc.w))
			w := NewParam(randT(2, -1, 1, cc.cout, cc.cin/groups, cc.kh, cc.kw))
			b := NewParam(randT(3, -1, 1, cc.cout))
			y := Conv2d(x, w, b, cc.o)
			seed := tensor.Full(1, y.Shape()...)
			tp.BackwardWith(y, seed, x)
			if x.Grad == nil || w.Grad != nil || b.Grad != nil {
				t.Fatalf("asked for x only: x grad %v, w grad %v, b grad %v", x.Grad != nil, w.Grad != nil, b.Grad != nil)
			}
			tp.BackwardWith(y, seed)
			if x.Grad != nil || w.Grad == nil || b.Grad == nil {
				t.Fatalf("asked for parameters only: x grad %v, w grad %v, b grad %v", x.Grad != nil, w.Grad != nil, b.Grad != nil)
			}
		})
	}
}

// TestConv2dDeterministic: the same inputs give bit-identical outputs and
// gradients on every run, although the batch is split over workers.
func TestConv2dDeterministic(t *testing.T) {
	run := func() (y, dx, dw []float32) {
		tp := NewTape()
		x := tp.Input(randT(1, -1, 1, 7, 8, 9, 9))
		w := tp.Input(randT(2, -1, 1, 16, 8, 3, 3))
		out := Conv2d(x, w, nil, ConvOptions{Padding: [2]int{1, 1}})
		tp.BackwardWith(out, randT(3, -1, 1, out.Shape()...), x, w)
		return out.Data(), x.Grad.Data(), w.Grad.Data()
	}
	y1, dx1, dw1 := run()
	for range 3 {
		y2, dx2, dw2 := run()
		for _, p := range [][2][]float32{{y1, y2}, {dx1, dx2}, {dw1, dw2}} {
			for i := range p[0] {
				if math.Float32bits(p[0][i]) != math.Float32bits(p[1][i]) {
					t.Fatalf("element %d differs between runs: %g vs %g", i, p[0][i], p[1][i])
				}
			}
		}
	}
}

// TestConv2dParamGradAccumulates: a parameter's gradient adds up over
// Backward calls (PyTorch's semantics); the convolution must add, not
// overwrite.
func TestConv2dParamGradAccumulates(t *testing.T) {
	tp := NewTape()
	x := tp.Input(randT(1, -1, 1, 2, 3, 5, 5))
	w := NewParam(randT(2, -1, 1, 4, 3, 3, 3))
	y := Conv2d(x, w, nil, ConvOptions{})
	seed := randT(3, -1, 1, y.Shape()...)
	tp.BackwardWith(y, seed)
	once := w.Grad.Clone()
	tp.BackwardWith(y, seed)
	for i, v := range w.Grad.Data() {
		if want := 2 * once.Data()[i]; math.Abs(float64(v-want)) > 1e-5*math.Max(1, math.Abs(float64(want))) {
			t.Fatalf("grad[%d] after two calls = %g, want %g", i, v, want)
		}
	}
}

func TestConv2dBadShapes(t *testing.T) {
	cases := []struct {
		name   string
		x, w   []int
		o      ConvOptions
		bias   []int
		shapeE bool
	}{
		{name: "3-D input", x: []int{3, 8, 8}, w: []int{4, 3, 3, 3}, shapeE: true},
		{name: "channel mismatch", x: []int{1, 3, 8, 8}, w: []int{4, 2, 3, 3}, shapeE: true},
		{name: "bias size", x: []int{1, 3, 8, 8}, w: []int{4, 3, 3, 3}, bias: []int{3}, shapeE: true},
		{name: "groups do not divide", x: []int{1, 3, 8, 8}, w: []int{4, 1, 3, 3}, o: ConvOptions{Groups: 2}},
		{name: "kernel larger than input", x: []int{1, 3, 2, 2}, w: []int{4, 3, 3, 3}},
		{name: "negative stride", x: []int{1, 3, 8, 8}, w: []int{4, 3, 3, 3}, o: ConvOptions{Stride: [2]int{-1, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp := NewTape()
			x := tp.Input(tensor.New(c.x...))
			w := tp.Input(tensor.New(c.w...))
			var b *Var
			if c.bias != nil {
				b = tp.Input(tensor.New(c.bias...))
			}
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				var se *tensor.ShapeError
				err, isErr := r.(error)
				if c.shapeE && (!isErr || !errors.As(err, &se)) {
					t.Fatalf("panic %v, want a *tensor.ShapeError", r)
				}
				if msg := fmt.Sprint(r); !c.shapeE && !strings.Contains(msg, "Conv2d") {
					t.Fatalf("panic %q, want a message naming Conv2d", msg)
				}
			}()
			Conv2d(x, w, b, c.o)
		})
	}
}

// resnet20Convs are the convolutions of CIFAR ResNet-20 (He et al. 2016,
// section 4.2) over a batch of 128: the stem, the 3x3 convolutions of each
// stage, and the stride-2 convolutions entering stages 2 and 3.
var resnet20Convs = []struct {
	name          string
	cin, h, cout  int
	stride, count int // count: how many such convolutions the network has
}{
	{"stem3to16@32", 3, 32, 16, 1, 1},
	{"16to16@32", 16, 32, 16, 1, 6},
	{"16to32s2@32", 16, 32, 32, 2, 1},
	{"32to32@16", 32, 16, 32, 1, 5},
	{"32to64s2@16", 32, 16, 64, 2, 1},
	{"64to64@8", 64, 8, 64, 1, 5},
}

// BenchmarkConv2d times ResNet-20's 3x3 convolutions (N=128) forward, forward
// plus the full backward (input and weight), and forward plus the input
// gradient only (what an attack step needs). GFLOPS counts 2*MACs per pass
// (three passes for the full backward, two for input only).
func BenchmarkConv2d(b *testing.B) {
	const n = 128
	for _, c := range resnet20Convs {
		oh := (c.h+2-3)/c.stride + 1
		flops := 2 * float64(n*c.cout*oh*oh*c.cin*9)
		for _, mode := range []struct {
			name   string
			passes float64
		}{{"forward", 1}, {"train", 3}, {"inputgrad", 2}} {
			b.Run(c.name+"/"+mode.name, func(b *testing.B) {
				tp := NewTape()
				xt := randT(1, -1, 1, n, c.cin, c.h, c.h)
				w := NewParam(randT(2, -1, 1, c.cout, c.cin, 3, 3))
				seed := randT(3, -1, 1, n, c.cout, oh, oh)
				o := ConvOptions{Stride: [2]int{c.stride, c.stride}, Padding: [2]int{1, 1}}
				for b.Loop() {
					tp.Reset()
					x := tp.Input(xt)
					y := Conv2d(x, w, nil, o)
					switch mode.name {
					case "train":
						tp.BackwardWith(y, seed, x, w)
					case "inputgrad":
						tp.BackwardWith(y, seed, x)
					}
				}
				b.ReportMetric(mode.passes*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}
