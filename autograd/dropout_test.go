package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// refDropoutMask redraws the documented mask: 32 bits per element, low half
// of each Uint64 first, dropped below p*2^32, survivors scaled by 1/(1-p).
func refDropoutMask(seed uint64, n int, p float64) []float64 {
	rng := tensor.NewRNG(seed)
	m := make([]float64, n)
	var r uint64
	for i := range m {
		if i%2 == 0 {
			r = rng.Uint64()
		}
		bits := uint32(r >> (32 * (i % 2)))
		if float64(bits) >= p*(1<<32) {
			m[i] = 1 / (1 - p)
		}
	}
	return m
}

func TestGradDropout(t *testing.T) {
	var cases []gradCase
	for i, c := range []struct {
		shape []int
		p     float32
	}{{[]int{3, 4, 5}, 0.5}, {[]int{7}, 0.2}, {[]int{2, 9}, 0.9}} {
		seed := uint64(130 + i)
		cases = append(cases, gradCase{
			name:   "dropout" + tensor.FormatShape(c.shape),
			inputs: []*tensor.Tensor{randT(seed, -1, 1, c.shape...)},
			build: func(in []*Var) *Var {
				return Dropout(in[0], c.p, true, tensor.NewRNG(seed))
			},
			ref: func(in [][]float64) []float64 {
				m := refDropoutMask(seed, len(in[0]), float64(c.p))
				out := make([]float64, len(in[0]))
				for i, v := range in[0] {
					out[i] = v * m[i]
				}
				return out
			},
		})
	}
	checkGradBoth(t, cases)
}

func TestDropoutRate(t *testing.T) {
	n := 1 << 17
	x := tensor.Full(1, n)
	for _, p := range []float32{0.1, 0.5, 0.8} {
		tp := NewTape()
		y := Dropout(tp.Input(x), p, true, tensor.NewRNG(1)).Data()
		dropped := 0
		keep := float32(1 / (1 - float64(p)))
		for _, v := range y {
			switch v {
			case 0:
				dropped++
			case keep:
			default:
				t.Fatalf("p=%g: output %g is neither 0 nor %g", p, v, keep)
			}
		}
		sd := math.Sqrt(float64(n) * float64(p) * float64(1-p))
		if d := math.Abs(float64(dropped) - float64(n)*float64(p)); d > 5*sd {
			t.Errorf("p=%g: %d of %d dropped, %.1f standard deviations from the expected", p, dropped, n, d/sd)
		}
	}
}

func TestDropoutModes(t *testing.T) {
	tp := NewTape()
	x := tp.Input(randT(1, -1, 1, 4, 5))
	if Dropout(x, 0.5, false, nil) != x {
		t.Error("eval mode must return x itself")
	}
	if Dropout(x, 0, true, tensor.NewRNG(1)) != x {
		t.Error("p = 0 must return x itself")
	}
	for _, v := range Dropout(x, 1, true, tensor.NewRNG(1)).Data() {
		if v != 0 {
			t.Fatalf("p = 1 must zero everything, got %g", v)
		}
	}
	a := Dropout(x, 0.5, true, tensor.NewRNG(7)).Data()
	b := Dropout(x, 0.5, true, tensor.NewRNG(7)).Data()
	c := Dropout(x, 0.5, true, tensor.NewRNG(8)).Data()
	same, differ := true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same || !differ {
		t.Errorf("same seed must give the same mask (%v), another seed another (%v)", same, differ)
	}
}

func TestDropoutBadInputPanics(t *testing.T) {
	for _, c := range []struct {
		p   float32
		rng *rand.Rand
	}{{-0.1, tensor.NewRNG(1)}, {1.5, tensor.NewRNG(1)}, {float32(math.NaN()), tensor.NewRNG(1)}, {0.5, nil}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Dropout(p=%g, rng=%v) did not panic", c.p, c.rng)
				}
			}()
			tp := NewTape()
			Dropout(tp.Input(tensor.New(3)), c.p, true, c.rng)
		}()
	}
}
