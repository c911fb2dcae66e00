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
	Arch       string  `json:"arch"`
	Options    Options `json:"options"`
	InputShape []int   `json:"input_shape"`
	// EvalOnly cases have no train-mode step: evaluation mode on the
	// formula's running statistics; TrainOnly cases no evaluation.
	EvalOnly  bool `json:"eval_only"`
	TrainOnly bool `json:"train_only"`
	// KinkCuts lists, by ReLU call site (and "maxpool"), the outputs whose
	// input lies within rounding of the kink: the evaluation's gradients
	// flow through every unit but these (see gen_fixtures.py's kink_cuts);
	// TrainKinkCuts the same for the train step.
	KinkCuts      map[string][]int `json:"kink_cuts"`
	TrainKinkCuts map[string][]int `json:"train_kink_cuts"`
	// GradStride is the stride of the input-gradient samples,
	// ParamSamples the number of samples per parameter gradient.
	GradStride   int `json:"grad_stride"`
	ParamSamples int `json:"param_samples"`
	// Labels are the targets of the cross-entropy losses.
	Labels           []int     `json:"labels"`
	TrainLogits      []float64 `json:"train_logits"`
	TrainLoss        []float64 `json:"train_loss"`
	TrainGradSamples []float64 `json:"train_grad_samples"`
	TrainParamGrads  []float64 `json:"train_param_grads"`
	BN               string    `json:"bn"`
	BNRunningMean    []float64 `json:"bn_running_mean"`
	EvalLogits       []float64 `json:"eval_logits"`
	EvalLoss         []float64 `json:"eval_loss"`
	GradSamples      []float64 `json:"grad_samples"`
	// GradNorm is the input gradient's L2 norm, GradSums its sum over each
	// example's channel: every element enters both.
	GradNorm       []float64 `json:"grad_norm"`
	GradSums       []float64 `json:"grad_sums"`
	EvalParamGrads []float64 `json:"eval_param_grads"`
	// TorchError is PyTorch's own float32 error on each quantity, and
	// Sensitivity how much the float64 reference moves when its input moves
	// by one float32 rounding (see gen_fixtures.py).
	TorchError  map[string]float64 `json:"torch_f32_error"`
	Sensitivity map[string]float64 `json:"f64_sensitivity"`
}

func readForwardCases(t *testing.T) []forwardCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/forward.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []forwardCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("testdata/forward.json: %v", err)
	}
	return cases
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

// gradSamples returns at most k evenly strided values of every parameter's
// gradient, in sorted name order, as gen_fixtures.py's grad_samples.
func gradSamples(m nn.Module, k int) []float32 {
	ps := nn.Parameters(m)
	slices.SortFunc(ps, func(a, b nn.Named[*autograd.Var]) int { return strings.Compare(a.Name, b.Name) })
	var out []float32
	for _, p := range ps {
		g := p.Value.Grad.Data()
		step := max(1, len(g)/k)
		for j, i := 0, 0; j < len(g) && i < k; j, i = j+step, i+1 {
			out = append(out, g[j])
		}
	}
	return out
}

func strided(g []float32, stride int) []float32 {
	var out []float32
	for j := 0; j < len(g); j += stride {
		out = append(out, g[j])
	}
	return out
}

// gradSummary is the input gradient's L2 norm and its sums over each
// example's channel (shape [N,C,H,W]), as gen_fixtures.py's grad_norm and
// grad_sums.
func gradSummary(g []float32, shape []int) (norm, sums []float32) {
	var sq float64
	plane := shape[2] * shape[3]
	for p := range shape[0] * shape[1] {
		var s float64
		for _, v := range g[p*plane : (p+1)*plane] {
			s += float64(v)
			sq += float64(v) * float64(v)
		}
		sums = append(sums, float32(s))
	}
	return []float32{float32(math.Sqrt(sq))}, sums
}

// TestForwardMatchesPyTorch runs each architecture with the same weights as
// PyTorch: in train mode (unless the case is evaluation only) the logits,
// the cross-entropy loss, its input and parameter gradients and the
// running statistics; then in eval mode the logits, the loss and the input
// and parameter gradients; all to float32 accuracy.
func TestForwardMatchesPyTorch(t *testing.T) {
	for i, c := range readForwardCases(t) {
		name := fmt.Sprintf("%d-%s", i, c.Arch)
		if testing.Short() && (c.Arch == "resnet50" || c.Arch == "preact-resnet18" || c.Arch == "resnet110") {
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
			// be off by 2e-5, or by 10 times PyTorch's own float32 error or
			// the reference's sensitivity to one rounding of its input
			// where those are larger (an ill-conditioned quantity).
			check := func(what string, got []float32, want []float64) {
				t.Helper()
				if len(want) == 0 || len(got) != len(want) {
					t.Errorf("%s: %d values, the fixture %d", what, len(got), len(want))
					return
				}
				tol := max(2e-5, 10*c.TorchError[what], 10*c.Sensitivity[what])
				d := relErr(got, want)
				if !(d <= tol) {
					t.Errorf("%s: relative error %.2g against PyTorch float64 (tolerance %.2g)", what, d, tol)
				}
				t.Logf("%s: relative error %.2g, PyTorch float32's %.2g, sensitivity %.2g", what, d, c.TorchError[what], c.Sensitivity[what])
			}

			tp := autograd.NewTape()
			if !c.EvalOnly {
				xt := tp.Input(x)
				var trainLogits *autograd.Var
				if c.TrainKinkCuts != nil {
					trainLogits = resnet50CutForward(t, m, xt, c.TrainKinkCuts)
				} else {
					trainLogits = nn.Call(m, xt)
				}
				check("train_logits", trainLogits.Data(), c.TrainLogits)
				loss := autograd.CrossEntropy(trainLogits, c.Labels, 0)
				check("train_loss", loss.Data(), c.TrainLoss)
				tp.Backward(loss, append([]*autograd.Var{xt}, paramVars(m)...)...)
				check("train_grad_samples", strided(xt.Grad.Data(), c.GradStride), c.TrainGradSamples)
				check("train_param_grads", gradSamples(m, c.ParamSamples), c.TrainParamGrads)
				zeroGrads(m)
				if c.BN != "" {
					check("bn_running_mean", nn.StateDict(m)[c.BN].Data(), c.BNRunningMean)
				}
				tp.Reset()
			}
			if c.TrainOnly {
				return
			}

			nn.SetTraining(m, false)
			in := tp.Input(x)
			var logits *autograd.Var
			if c.KinkCuts != nil {
				logits = resnet50CutForward(t, m, in, c.KinkCuts)
			} else {
				logits = nn.Call(m, in)
			}
			check("eval_logits", logits.Data(), c.EvalLogits)
			check("eval_loss", autograd.CrossEntropy(logits, c.Labels, 0).Data(), c.EvalLoss)
			r := tensor.New(logits.Shape()...)
			for j, u := range fixture.Uniform(1<<20, r.Len()) {
				r.Data()[j] = float32(u)
			}
			tp.BackwardWith(logits, r, append([]*autograd.Var{in}, paramVars(m)...)...)
			check("grad_samples", strided(in.Grad.Data(), c.GradStride), c.GradSamples)
			norm, sums := gradSummary(in.Grad.Data(), c.InputShape)
			check("grad_norm", norm, c.GradNorm)
			check("grad_sums", sums, c.GradSums)
			check("eval_param_grads", gradSamples(m, c.ParamSamples), c.EvalParamGrads)
		})
	}
}

// cutKinks is an identity whose backward passes no gradient to the
// elements at idx (flat indices): units at their kink, whose side float32
// rounding decides.
func cutKinks(x *autograd.Var, idx []int) *autograd.Var {
	if len(idx) == 0 {
		return x
	}
	cut := make([]bool, x.Value.Len())
	for _, i := range idx {
		cut[i] = true
	}
	tp := autograd.TapeOf(x)
	return tp.Record(x.Value, func(out *autograd.Var) {
		if !x.NeedsGrad() {
			return
		}
		g := tp.GradOf(x).Data()
		for i, v := range out.Grad.Data() {
			if !cut[i] {
				g[i] += v
			}
		}
	}, x)
}

// resnet50CutForward is resNet.Forward with bottleneck.Forward inlined, the
// same operations in the same order, with the gradient cut (cutKinks) at
// the ReLU outputs and max-pool outputs that cuts lists by site, named as
// gen_fixtures.py's kink_site_names. It fails the test on a site name or
// index that the network does not have.
func resnet50CutForward(t *testing.T, model nn.Module, x *autograd.Var, cuts map[string][]int) *autograd.Var {
	t.Helper()
	m := model.(*resNet)
	used := 0
	site := func(name string, v *autograd.Var) *autograd.Var {
		idx, ok := cuts[name]
		if ok {
			used++
		}
		for _, i := range idx {
			if i < 0 || i >= v.Value.Len() {
				t.Fatalf("kink cut %s[%d]: the site has %d elements", name, i, v.Value.Len())
			}
		}
		return cutKinks(v, idx)
	}
	x = nn.Call(m.normalize, x)
	x = site("relu", autograd.Relu(nn.Call(m.bn1, nn.Call(m.conv1, x))))
	x = site("maxpool", nn.Call(m.maxpool, x))
	for i, l := range m.layers {
		for j := range l.Len() {
			b := l.At(j).(*bottleneck)
			name := func(q int) string { return fmt.Sprintf("layer%d.%d.relu%d", i+1, j, q) }
			out := site(name(1), autograd.Relu(nn.Call(b.bn1, nn.Call(b.conv1, x))))
			out = site(name(2), autograd.Relu(nn.Call(b.bn2, nn.Call(b.conv2, out))))
			out = nn.Call(b.bn3, nn.Call(b.conv3, out))
			x = site(name(3), autograd.Relu(autograd.Add(out, shortcut(b.downsample, x))))
		}
	}
	if used != len(cuts) {
		t.Fatalf("kink cuts name %d sites, ResNet-50 has %d of them", len(cuts), used)
	}
	return nn.Call(m.fc, autograd.Flatten(nn.Call(m.avgpool, x)))
}

// TestResNet50CutForwardIsTheModel: without cuts, resnet50CutForward gives
// the bits of the model's own forward and input gradient, so the parity
// case that cuts kinks tests models/resnet.go.
func TestResNet50CutForwardIsTheModel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ResNet-50")
	}
	m, err := New("resnet50", Options{Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	nn.SetTraining(m, false)
	x := tensor.New(1, 3, 32, 32)
	for j, u := range fixture.Uniform(0, x.Len()) {
		x.Data()[j] = float32(0.5 + 0.5*u)
	}
	run := func(f func(in *autograd.Var) *autograd.Var) (logits, grad []float32) {
		tp := autograd.NewTape()
		in := tp.Input(x)
		y := f(in)
		r := tensor.New(y.Shape()...)
		for j, u := range fixture.Uniform(1<<20, r.Len()) {
			r.Data()[j] = float32(u)
		}
		tp.BackwardWith(y, r, in)
		return y.Value.Clone().Data(), in.Grad.Clone().Data()
	}
	l0, g0 := run(func(in *autograd.Var) *autograd.Var { return nn.Call(m, in) })
	l1, g1 := run(func(in *autograd.Var) *autograd.Var { return resnet50CutForward(t, m, in, map[string][]int{}) })
	if !slices.Equal(l0, l1) || !slices.Equal(g0, g1) {
		t.Fatal("resnet50CutForward without cuts differs from the model's forward")
	}
	// A cut changes the gradient and nothing else (here all of one site:
	// 64 channels of 8x8).
	all := make([]int, 64*8*8)
	for i := range all {
		all[i] = i
	}
	l2, g2 := run(func(in *autograd.Var) *autograd.Var {
		return resnet50CutForward(t, m, in, map[string][]int{"layer1.0.relu2": all})
	})
	if !slices.Equal(l0, l2) || slices.Equal(g0, g2) {
		t.Fatal("a kink cut must change the input gradient and not the logits")
	}
}

// TestEveryArchitectureHasPyTorchParity: every registered architecture has
// a case in testdata/forward.json, and ResNet-50 has one in evaluation mode
// at 128x128 or more (train-mode ResNet-50 on 2x2 maps keeps only about two
// digits of its gradients, so its case alone would hold little).
func TestEveryArchitectureHasPyTorchParity(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range readForwardCases(t) {
		covered[c.Arch] = true
		if c.Arch == "resnet50" && !c.TrainOnly && c.InputShape[2] >= 128 {
			covered["resnet50 eval"] = true
		}
	}
	for _, name := range append(Names(), "resnet50 eval") {
		if !covered[name] {
			t.Errorf("%s has no PyTorch parity case in testdata/forward.json (gen_fixtures.py)", name)
		}
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
