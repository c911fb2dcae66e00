package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// The layers pass their weights and options to autograd's operations
// (tested there); these tests check the wiring against naive float64
// references, input gradients included.

func TestConv2dLayer(t *testing.T) {
	o := autograd.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 2}
	c := NewConv2d(tensor.NewRNG(1), 4, 6, 3, o, true)
	n, cin, h, w, cout, k := 2, 4, 5, 6, 6, 3
	oh, ow := (h+2-k)/2+1, (w+2-k)/2+1
	wt, b := c.Weight.Data(), c.Bias.Data()
	ref := func(x []float64) []float64 {
		y := make([]float64, n*cout*oh*ow)
		for i := range n {
			for co := range cout {
				g := co / 3 // 3 output channels per group, 2 input channels each
				for yy := range oh {
					for xx := range ow {
						s := float64(b[co])
						for ci := range 2 {
							for ky := range k {
								for kx := range k {
									iy, ix := yy*2-1+ky, xx*2-1+kx
									if iy < 0 || iy >= h || ix < 0 || ix >= w {
										continue
									}
									s += float64(wt[((co*2+ci)*k+ky)*k+kx]) * x[((i*cin+g*2+ci)*h+iy)*w+ix]
								}
							}
						}
						y[((i*cout+co)*oh+yy)*ow+xx] = s
					}
				}
			}
		}
		return y
	}
	checkLayer(t, "Conv2d", tensor.RandN(tensor.NewRNG(2), 0, 1, n, cin, h, w), c.Forward, ref)
}

func TestLinearLayer(t *testing.T) {
	l := NewLinear(tensor.NewRNG(1), 5, 3, true)
	wt, b := l.Weight.Data(), l.Bias.Data()
	ref := func(x []float64) []float64 {
		y := make([]float64, 2*3)
		for i := range 2 {
			for o := range 3 {
				s := float64(b[o])
				for j := range 5 {
					s += float64(wt[o*5+j]) * x[i*5+j]
				}
				y[i*3+o] = s
			}
		}
		return y
	}
	checkLayer(t, "Linear", tensor.RandN(tensor.NewRNG(2), 0, 1, 2, 5), l.Forward, ref)
}

func TestBatchNormLayer(t *testing.T) {
	const n, c, hw = 3, 2, 4
	b := NewBatchNorm2d(c)
	b.Weight.Value.Data()[1] = 2
	b.Bias.Value.Data()[0] = 0.5
	x := tensor.RandN(tensor.NewRNG(3), 1, 2, n, c, 2, 2)
	tp := autograd.NewTape()
	b.Forward(tp.Input(x))
	b.Forward(tp.Input(x))
	if got := b.NumBatchesTracked.Item(); got != 2 {
		t.Fatalf("num_batches_tracked = %g after two training forwards", got)
	}
	// Running statistics after two updates with momentum 0.1 from (0, 1):
	// r = 0.81 r0 + 0.19 s, with the unbiased batch variance.
	for ch := range c {
		var mean, sq float64
		for i := range n {
			for j := range hw {
				v := float64(x.Data()[(i*c+ch)*hw+j])
				mean += v
				sq += v * v
			}
		}
		m := float64(n * hw)
		mean /= m
		unbiased := (sq - m*mean*mean) / (m - 1)
		if got, want := float64(b.RunningMean.Data()[ch]), 0.19*mean; !(math.Abs(got-want) <= 1e-5) {
			t.Errorf("running_mean[%d] = %g, want %g", ch, got, want)
		}
		if got, want := float64(b.RunningVar.Data()[ch]), 0.81+0.19*unbiased; !(math.Abs(got-want) <= 1e-5) {
			t.Errorf("running_var[%d] = %g, want %g", ch, got, want)
		}
	}
	SetTraining(b, false)
	rm, rv := b.RunningMean.Data(), b.RunningVar.Data()
	ref := func(x []float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			ch := (i / hw) % c
			y[i] = (v-float64(rm[ch]))/math.Sqrt(float64(rv[ch])+1e-5)*float64(b.Weight.Data()[ch]) + float64(b.Bias.Data()[ch])
		}
		return y
	}
	checkLayer(t, "BatchNorm2d eval", x, b.Forward, ref)
	if got := b.NumBatchesTracked.Item(); got != 2 {
		t.Fatalf("num_batches_tracked = %g: evaluation forwards counted", got)
	}
}

func TestDropout(t *testing.T) {
	x := tensor.Full(1, 100, 100)
	tp := autograd.NewTape()
	in := tp.Input(x)

	d := NewDropout(0.25)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "SetRNG") {
				t.Fatalf("training without a generator: %v", r)
			}
		}()
		d.Forward(in)
	}()

	net := NewSequential(NewIdentity(), NewSequential(d))
	SetRNG(net, tensor.NewRNG(8))
	out := net.Forward(in)
	zeros := 0
	for _, v := range out.Data() {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("dropout produced %g; kept elements are scaled by 1/(1-p)", v)
		}
	}
	// 10,000 Bernoulli(0.25) draws: 2,500 +- 5 standard deviations (43).
	if !(math.Abs(float64(zeros)-2500) <= 5*math.Sqrt(10000*0.25*0.75)) {
		t.Fatalf("%d of 10000 elements dropped with p = 0.25", zeros)
	}

	again := NewDropout(0.25)
	again.SetRNG(tensor.NewRNG(8))
	for i, v := range again.Forward(in).Data() {
		if v != out.Data()[i] {
			t.Fatal("the same seed drew another mask")
		}
	}

	SetTraining(net, false)
	if net.Forward(in) != in {
		t.Fatal("dropout in evaluation mode is not the identity")
	}
}
