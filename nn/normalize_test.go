package nn

import (
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		name      string
		mean, std []float32
		shape     []int
	}{
		{"rgb", []float32{0.4914, 0.4822, 0.4465}, []float32{0.2471, 0.2435, 0.2616}, []int{2, 3, 4, 5}},
		{"gray", []float32{0.1307}, []float32{0.3081}, []int{3, 1, 2, 3}},
	} {
		n := NewNormalize(c.mean, c.std)
		x := tensor.RandU(tensor.NewRNG(1), 0, 1, c.shape...)
		hw := c.shape[2] * c.shape[3]
		ref := func(x []float64) []float64 {
			y := make([]float64, len(x))
			for i := range x {
				ch := (i / hw) % c.shape[1]
				y[i] = (x[i] - float64(c.mean[ch])) / float64(c.std[ch])
			}
			return y
		}
		checkLayer(t, "Normalize "+c.name, x, n.Forward, ref)
	}
}

func TestNormalizeBuffers(t *testing.T) {
	mean := []float32{0.5, 0.25}
	n := NewNormalize(mean, []float32{2, 4})
	mean[0] = 9 // the layer keeps its own copy
	sd := StateDict(n)
	if len(sd) != 2 || sd["mean"].Data()[0] != 0.5 || sd["std"].Data()[1] != 4 {
		t.Fatalf("state dict %v", sd)
	}
	if NumParams(n) != 0 {
		t.Fatalf("Normalize has %d parameters, want 0", NumParams(n))
	}
}

func TestNormalizeRejectsBadOptions(t *testing.T) {
	for _, c := range []struct {
		name      string
		mean, std []float32
	}{
		{"zero std", []float32{0}, []float32{0}},
		{"negative std", []float32{0, 0}, []float32{1, -1}},
		{"lengths", []float32{0, 0}, []float32{1}},
		{"empty", nil, nil},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewNormalize did not panic", c.name)
				}
			}()
			NewNormalize(c.mean, c.std)
		}()
	}
}

func TestNormalizeWrongChannels(t *testing.T) {
	n := NewNormalize([]float32{0, 0, 0}, []float32{1, 1, 1})
	tp := autograd.NewTape()
	defer func() {
		if _, ok := recover().(*tensor.ShapeError); !ok {
			t.Fatal("a 1-channel input to a 3-channel Normalize did not panic with a ShapeError")
		}
	}()
	n.Forward(tp.Input(tensor.New(1, 1, 2, 2)))
}
