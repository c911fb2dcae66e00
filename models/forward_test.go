package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/internal/fixture"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
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
	// Labels are the targets of the cross-entropy losses.
	Labels           []int     `json:"labels"`
	TrainLoss        []float64 `json:"train_loss"`
	TrainGradEvery37 []float64 `json:"train_grad_every_37"`
	TrainParamGrads  []float64 `json:"train_param_grads"`
	EvalLoss         []float64 `json:"eval_loss"`
	EvalParamGrads   []float64 `json:"eval_param_grads"`
	// TorchError is PyTorch's own float32 error on each quantity.
	TorchError map[string]float64 `json:"torch_f32_error"`
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

// gradSamples returns at most 16 evenly strided values of every parameter's
// gradient, in sorted name order, as gen_fixtures.py's grad_samples.
func gradSamples(m nn.Module) []float32 {
	ps := nn.Parameters(m)
	slices.SortFunc(ps, func(a, b nn.Named[*autograd.Var]) int { return strings.Compare(a.Name, b.Name) })
	var out []float32
	for _, p := range ps {
		g := p.Value.Grad.Data()
		step := max(1, len(g)/16)
		for j, k := 0, 0; j < len(g) && k < 16; j, k = j+step, k+1 {
			out = append(out, g[j])
		}
	}
	return out
}

func every37(g []float32) []float32 {
	var out []float32
	for j := 0; j < len(g); j += 37 {
		out = append(out, g[j])
	}
	return out
}

// TestForwardMatchesPyTorch runs each architecture with the same weights as
// PyTorch: in train mode the logits, the cross-entropy loss, its input and
// parameter gradients and the running statistics; then in eval mode the
// logits, the loss and the input and parameter gradients; all to float32
// accuracy.
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
			fixture.SetFormula(m)
			n := tensor.Numel(c.InputShape)
			x := tensor.New(c.InputShape...)
			for j, u := range fixture.Uniform(0, n) {
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
			xt := tp.Input(x)
			trainLogits := nn.Call(m, xt)
			check("train_logits", trainLogits.Data(), c.TrainLogits)
			loss := autograd.CrossEntropy(trainLogits, c.Labels, 0)
			check("train_loss", loss.Data(), c.TrainLoss)
			tp.Backward(loss, append([]*autograd.Var{xt}, paramVars(m)...)...)
			check("train_grad_every_37", every37(xt.Grad.Data()), c.TrainGradEvery37)
			check("train_param_grads", gradSamples(m), c.TrainParamGrads)
			zeroGrads(m)
			if c.BN != "" {
				check("bn_running_mean", nn.StateDict(m)[c.BN].Data(), c.BNRunningMean)
			}

			nn.SetTraining(m, false)
			tp.Reset()
			in := tp.Input(x)
			logits := nn.Call(m, in)
			check("eval_logits", logits.Data(), c.EvalLogits)
			check("eval_loss", autograd.CrossEntropy(logits, c.Labels, 0).Data(), c.EvalLoss)
			r := tensor.New(logits.Shape()...)
			for j, u := range fixture.Uniform(1<<20, r.Len()) {
				r.Data()[j] = float32(u)
			}
			tp.BackwardWith(logits, r, append([]*autograd.Var{in}, paramVars(m)...)...)
			check("grad_every_37", every37(in.Grad.Data()), c.GradEvery37)
			check("eval_param_grads", gradSamples(m), c.EvalParamGrads)
		})
	}
}

func paramVars(m nn.Module) []*autograd.Var {
	var vs []*autograd.Var
	for _, p := range nn.Parameters(m) {
		vs = append(vs, p.Value)
	}
	return vs
}

func zeroGrads(m nn.Module) {
	for _, p := range nn.Parameters(m) {
		p.Value.ZeroGrad()
	}
}
