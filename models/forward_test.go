package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"robustlab/autograd"
	"robustlab/nn"
	"robustlab/tensor"
)

// forwardCase is one entry of testdata/forward.json (see gen_fixtures.py).
type forwardCase struct {
	Arch          string    `json:"arch"`
	Options       Options   `json:"options"`
	InputShape    []int     `json:"input_shape"`
	EvalLogits    []float64 `json:"eval_logits"`
	TrainLogits   []float64 `json:"train_logits"`
	GradEvery37   []float64 `json:"grad_every_37"`
	BN            string    `json:"bn"`
	BNRunningMean []float64 `json:"bn_running_mean"`
	// TorchError is PyTorch's own float32 error on each quantity.
	TorchError map[string]float64 `json:"torch_f32_error"`
}

// uniform returns n draws in [-1, 1) of the fixture's generator: splitmix64
// of (stream << 32) + index, top 53 bits (as gen_fixtures.py).
func uniform(stream uint64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		z := stream<<32 + uint64(i) + 0x9e3779b97f4a7c15
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		out[i] = float64(z>>11)*0x1p-52 - 1
	}
	return out
}

// setFormula sets every tensor of m except the normalization buffers and
// the batch counters as gen_fixtures.py does, by sorted name.
func setFormula(m nn.Module) {
	sd := nn.StateDict(m)
	var names []string
	for n := range sd {
		if !strings.HasPrefix(n, "normalize.") && !strings.HasSuffix(n, "num_batches_tracked") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for k, name := range names {
		t := sd[name]
		shape := t.Shape()
		for j, b := range uniform(uint64(k+1), t.Len()) {
			var v float64
			switch {
			case strings.HasSuffix(name, "running_var"):
				v = 0.75 + 0.25*b
			case strings.HasSuffix(name, "running_mean"):
				v = 0.1 * b
			case len(shape) == 1 && strings.HasSuffix(name, "weight"):
				v = 1 + 0.2*b
			case len(shape) == 1:
				v = 0.1 * b
			default:
				v = b * math.Sqrt(3/float64(t.Len()/shape[0]))
			}
			t.Data()[j] = float32(v)
		}
	}
}

// relErr is ||got - want|| / ||want|| (L2), as gen_fixtures.py's rel_err.
func relErr(got []float32, want []float64) float64 {
	var d, w float64
	for i, v := range want {
		d += (float64(got[i]) - v) * (float64(got[i]) - v)
		w += v * v
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(w), 1e-12)
}

// TestForwardMatchesPyTorch runs each architecture with the same weights as
// PyTorch: train-mode logits and running statistics, then eval-mode logits
// and the input gradient, all to float32 accuracy.
func TestForwardMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/forward.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []forwardCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		name := fmt.Sprintf("%d-%s", i, c.Arch)
		if testing.Short() && (c.Arch == "resnet50" || c.Arch == "preact-resnet18") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			m, err := New(c.Arch, c.Options)
			if err != nil {
				t.Fatal(err)
			}
			setFormula(m)
			n := tensor.Numel(c.InputShape)
			x := tensor.New(c.InputShape...)
			for j, u := range uniform(0, n) {
				x.Data()[j] = float32(0.5 + 0.5*u)
			}
			// The reference is PyTorch in float64; robustlab's float32 may
			// be off by 10 times PyTorch's own float32 error, or 2e-5.
			check := func(what string, got []float32, want []float64) {
				t.Helper()
				tol := max(2e-5, 10*c.TorchError[what])
				d := relErr(got, want)
				if d > tol {
					t.Errorf("%s: relative error %.2g against PyTorch float64 (tolerance %.2g)", what, d, tol)
				}
				t.Logf("%s: relative error %.2g, PyTorch float32's %.2g", what, d, c.TorchError[what])
			}

			tp := autograd.NewTape()
			check("train_logits", nn.Call(m, tp.Input(x)).Data(), c.TrainLogits)
			if c.BN != "" {
				check("bn_running_mean", nn.StateDict(m)[c.BN].Data(), c.BNRunningMean)
			}

			nn.SetTraining(m, false)
			tp.Reset()
			in := tp.Input(x)
			logits := nn.Call(m, in)
			check("eval_logits", logits.Data(), c.EvalLogits)
			r := tensor.New(logits.Shape()...)
			for j, u := range uniform(1<<20, r.Len()) {
				r.Data()[j] = float32(u)
			}
			tp.BackwardWith(logits, r, in)
			var grad []float32
			for j := 0; j < n; j += 37 {
				grad = append(grad, in.Grad.Data()[j])
			}
			check("grad_every_37", grad, c.GradEvery37)
		})
	}
}
