package nn

import (
	"math"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

func TestFans(t *testing.T) {
	for _, c := range []struct {
		shape       []int
		fanIn, fout int
	}{
		{[]int{10, 20}, 20, 10},
		{[]int{64, 3, 7, 7}, 147, 3136},
		{[]int{16, 4, 3, 5}, 60, 240},
	} {
		in, out := Fans(c.shape)
		if in != c.fanIn || out != c.fout {
			t.Errorf("Fans(%v) = %d, %d; want %d, %d", c.shape, in, out, c.fanIn, c.fout)
		}
	}
}

// stats returns the mean, variance and largest magnitude of t's elements.
func stats(t *tensor.Tensor) (mean, variance, maxAbs float64) {
	for _, v := range t.Data() {
		mean += float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(t.Len())
	for _, v := range t.Data() {
		d := float64(v) - mean
		variance += d * d
	}
	return mean, variance / float64(t.Len()), maxAbs
}

// checkUniform checks that t looks like U(-bound, bound): inside the bound,
// reaching near it, with mean ~0 and variance ~bound²/3 (5 standard errors).
func checkUniform(t *testing.T, name string, x *tensor.Tensor, bound float64) {
	t.Helper()
	mean, v, maxAbs := stats(x)
	n := float64(x.Len())
	wantVar := bound * bound / 3
	if maxAbs > bound || maxAbs < bound*(1-20/n) {
		t.Errorf("%s: largest |w| %g, want just under %g", name, maxAbs, bound)
	}
	if !(math.Abs(mean) <= 5*math.Sqrt(wantVar/n)) {
		t.Errorf("%s: mean %g, want ~0", name, mean)
	}
	// The variance of a U(-b,b) sample variance is (b^4/5 - b^4/9)/n.
	if se := math.Sqrt(bound * bound * bound * bound * (1.0/5 - 1.0/9) / n); !(math.Abs(v-wantVar) <= 5*se) {
		t.Errorf("%s: variance %g, want %g", name, v, wantVar)
	}
}

func TestConv2dDefaultInit(t *testing.T) {
	c := NewConv2d(tensor.NewRNG(1), 32, 64, 3, autograd.ConvOptions{}, true)
	if got := c.Weight.Shape(); !tensor.SameShape(got, []int{64, 32, 3, 3}) {
		t.Fatalf("weight shape %v", got)
	}
	bound := 1 / math.Sqrt(32*9)
	checkUniform(t, "conv weight", c.Weight.Value, bound)
	_, _, maxAbs := stats(c.Bias.Value)
	if maxAbs > bound {
		t.Errorf("conv bias reaches %g, bound %g", maxAbs, bound)
	}
	g := NewConv2d(tensor.NewRNG(1), 32, 64, 3, autograd.ConvOptions{Groups: 4}, false)
	if got := g.Weight.Shape(); !tensor.SameShape(got, []int{64, 8, 3, 3}) || g.Bias != nil {
		t.Fatalf("grouped conv weight %v, bias %v", got, g.Bias)
	}
	checkUniform(t, "grouped conv weight", g.Weight.Value, 1/math.Sqrt(8*9))
	if names := paramNames(g); len(names) != 1 || names[0] != "weight" {
		t.Fatalf("conv without bias registers %v", names)
	}
}

func TestLinearDefaultInit(t *testing.T) {
	l := NewLinear(tensor.NewRNG(2), 400, 300, true)
	checkUniform(t, "linear weight", l.Weight.Value, 1/math.Sqrt(400))
	checkUniform(t, "linear bias", l.Bias.Value, 1/math.Sqrt(400))
	if names := paramNames(l); len(names) != 2 || names[0] != "weight" || names[1] != "bias" {
		t.Fatalf("linear registers %v", names)
	}
}

func TestKaimingNormal(t *testing.T) {
	for _, mode := range []FanMode{FanIn, FanOut} {
		w := tensor.New(256, 128, 3, 3)
		KaimingNormal(tensor.NewRNG(3), w, 0, mode)
		fan := 128 * 9.0
		if mode == FanOut {
			fan = 256 * 9
		}
		wantVar := 2 / fan
		mean, v, _ := stats(w)
		n := float64(w.Len())
		if !(math.Abs(mean) <= 5*math.Sqrt(wantVar/n)) || !(math.Abs(v-wantVar) <= 5*wantVar*math.Sqrt(2/n)) {
			t.Errorf("mode %d: mean %g variance %g, want 0 and %g", mode, mean, v, wantVar)
		}
	}
}

func TestInitIsSeeded(t *testing.T) {
	a := NewConv2d(tensor.NewRNG(9), 3, 8, 3, autograd.ConvOptions{}, true)
	b := NewConv2d(tensor.NewRNG(9), 3, 8, 3, autograd.ConvOptions{}, true)
	c := NewConv2d(tensor.NewRNG(10), 3, 8, 3, autograd.ConvOptions{}, true)
	same := func(x, y *Conv2d) bool {
		for i, v := range x.Weight.Data() {
			if y.Weight.Data()[i] != v {
				return false
			}
		}
		for i, v := range x.Bias.Data() {
			if y.Bias.Data()[i] != v {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("same seed, different weights")
	}
	if same(a, c) {
		t.Error("different seeds, same weights")
	}
}

func TestBatchNormDefaults(t *testing.T) {
	b := NewBatchNorm2d(4)
	sd := StateDict(b)
	want := map[string]struct {
		shape []int
		v     float32
	}{
		"weight": {[]int{4}, 1}, "bias": {[]int{4}, 0},
		"running_mean": {[]int{4}, 0}, "running_var": {[]int{4}, 1},
		"num_batches_tracked": {[]int{}, 0},
	}
	if len(sd) != len(want) {
		t.Fatalf("state dict has %d entries, want %d", len(sd), len(want))
	}
	for name, w := range want {
		got := sd[name]
		if got == nil || !tensor.SameShape(got.Shape(), w.shape) {
			t.Fatalf("%s: %v, want shape %v", name, got, w.shape)
		}
		for _, v := range got.Data() {
			if v != w.v {
				t.Fatalf("%s holds %g, want %g", name, v, w.v)
			}
		}
	}
	if b.Momentum != 0.1 || b.Eps != 1e-5 {
		t.Fatalf("momentum %g eps %g", b.Momentum, b.Eps)
	}
}

func paramNames(m Module) []string {
	var out []string
	for _, p := range Parameters(m) {
		out = append(out, p.Name)
	}
	return out
}
