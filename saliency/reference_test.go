package saliency

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// tinyNet is the model the methods are checked on: a smooth network small
// enough to have a float64 reference written out by hand below.
//
//	x [C,H,W] -> conv (3x3, stride 2, padding 1, bias) -> A [F,OH,OW]
//	  -> tanh ("act") -> T -> mean over space -> p [F] -> fc -> logits [K]
type tinyNet struct {
	*nn.Base
	conv *nn.Conv2d
	act  *tanhLayer
	fc   *nn.Linear
}

type tanhLayer struct{ *nn.Base }

func (tanhLayer) Forward(x *autograd.Var) *autograd.Var { return autograd.Tanh(x) }

const tinyFeatures = 4

func newTinyNet(seed uint64, c, k int) *tinyNet {
	rng := tensor.NewRNG(seed)
	m := &tinyNet{Base: nn.NewBase()}
	m.conv = nn.NewConv2d(rng, c, tinyFeatures, 3, autograd.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true)
	// Weights large enough that tanh bends: the maps are not constant.
	m.conv.Weight.Value.ScaleInPlace(4)
	m.act = &tanhLayer{nn.NewBase()}
	m.fc = nn.NewLinear(rng, tinyFeatures, k, true)
	m.fc.Weight.Value.ScaleInPlace(3)
	m.Child("conv", m.conv)
	m.Child("act", m.act)
	m.Child("fc", m.fc)
	return m
}

func (m *tinyNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.conv, x)
	x = nn.Call(m.act, x)
	return nn.Call(m.fc, autograd.GlobalAvgPool2d(x))
}

// ref is tinyNet in float64: weights copied out, naive loops.
type ref struct {
	c, h, w, oh, ow, k int
	cw, cb, fw, fb     []float64
}

func refOf(m *tinyNet, c, h, w int) *ref {
	f64 := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	return &ref{c: c, h: h, w: w, oh: (h-1)/2 + 1, ow: (w-1)/2 + 1, k: m.fc.Weight.Value.Dim(0),
		cw: f64(m.conv.Weight.Value.Data()), cb: f64(m.conv.Bias.Value.Data()),
		fw: f64(m.fc.Weight.Value.Data()), fb: f64(m.fc.Bias.Value.Data())}
}

// act returns T = tanh(conv(x)), [F,OH,OW].
func (r *ref) act(x []float64) []float64 {
	t := make([]float64, tinyFeatures*r.oh*r.ow)
	for f := 0; f < tinyFeatures; f++ {
		for oy := 0; oy < r.oh; oy++ {
			for ox := 0; ox < r.ow; ox++ {
				a := r.cb[f]
				for ch := 0; ch < r.c; ch++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							iy, ix := 2*oy-1+ky, 2*ox-1+kx
							if iy >= 0 && iy < r.h && ix >= 0 && ix < r.w {
								a += r.cw[((f*r.c+ch)*3+ky)*3+kx] * x[(ch*r.h+iy)*r.w+ix]
							}
						}
					}
				}
				t[(f*r.oh+oy)*r.ow+ox] = math.Tanh(a)
			}
		}
	}
	return t
}

func (r *ref) logits(x []float64) []float64 {
	t := r.act(x)
	hw := r.oh * r.ow
	out := make([]float64, r.k)
	for j := range out {
		out[j] = r.fb[j]
		for f := 0; f < tinyFeatures; f++ {
			var p float64
			for _, v := range t[f*hw : (f+1)*hw] {
				p += v
			}
			out[j] += r.fw[j*tinyFeatures+f] * p / float64(hw)
		}
	}
	return out
}

// grad is d logits[t] / dx by the chain rule written out: dT = fw[t,f]/HW,
// dA = dT (1 - T^2), dx = the transposed convolution of dA.
func (r *ref) grad(x []float64, t int) []float64 {
	tt := r.act(x)
	hw := r.oh * r.ow
	g := make([]float64, len(x))
	for f := 0; f < tinyFeatures; f++ {
		for oy := 0; oy < r.oh; oy++ {
			for ox := 0; ox < r.ow; ox++ {
				tv := tt[(f*r.oh+oy)*r.ow+ox]
				da := r.fw[t*tinyFeatures+f] / float64(hw) * (1 - tv*tv)
				for ch := 0; ch < r.c; ch++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							iy, ix := 2*oy-1+ky, 2*ox-1+kx
							if iy >= 0 && iy < r.h && ix >= 0 && ix < r.w {
								g[(ch*r.h+iy)*r.w+ix] += r.cw[((f*r.c+ch)*3+ky)*3+kx] * da
							}
						}
					}
				}
			}
		}
	}
	return g
}

func f64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func randImages(seed uint64, n, c, h, w int) *tensor.Tensor {
	return tensor.RandU(rand.New(rand.NewPCG(seed, 7)), 0, 1, n, c, h, w)
}

// TestReferenceGradientIsTheDerivative checks the hand-written reference
// against central finite differences in float64, so that the tests below
// compare with something right.
func TestReferenceGradientIsTheDerivative(t *testing.T) {
	m := newTinyNet(1, 3, 5)
	r := refOf(m, 3, 7, 6)
	x := f64s(randImages(2, 1, 3, 7, 6).Data())
	for target := 0; target < 5; target++ {
		g := r.grad(x, target)
		for j := range x {
			const h = 1e-6
			old := x[j]
			x[j] = old + h
			up := r.logits(x)[target]
			x[j] = old - h
			down := r.logits(x)[target]
			x[j] = old
			fd := (up - down) / (2 * h)
			if !(math.Abs(fd-g[j]) <= 1e-7*(1+math.Abs(fd))) {
				t.Fatalf("target %d input %d: analytic %g, finite difference %g", target, j, g[j], fd)
			}
		}
	}
}

// close32 reports whether got (float32) is within a float32 computation's
// error of want: relative to the largest reference value.
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale float64
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*scale) {
			t.Fatalf("%s[%d] = %g, want %g (scale %g)", what, i, got[i], want[i], scale)
		}
	}
}
