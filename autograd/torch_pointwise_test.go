package autograd

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// pointwiseCase is one record of testdata/torch_pointwise.json, written by
// testdata/torch_pointwise.py: an operation's inputs, an upstream gradient, and
// PyTorch's outputs and input gradients (computed in float64 from inputs
// that are exact float32 values). A null in dp is a NaN gradient.
type pointwiseCase struct {
	Op        string     `json:"op"`
	Shape     []int      `json:"shape"`
	X         []float32  `json:"x"`
	P         []float32  `json:"p"`
	G         []float32  `json:"g"`
	GStd      []float32  `json:"gstd"`
	Y         []float64  `json:"y"`
	Std       []float64  `json:"std"`
	DX        []float64  `json:"dx"`
	DP        []*float64 `json:"dp"`
	Labels    []int      `json:"labels"`
	Smoothing float32    `json:"smoothing"`
	Lo        float32    `json:"lo"`
	Hi        float32    `json:"hi"`
	Slope     float32    `json:"slope"`
	Beta      float32    `json:"beta"`
	Eps       float32    `json:"eps"`
}

func loadPointwiseCases(t *testing.T) []pointwiseCase {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_pointwise.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []pointwiseCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("testdata/torch_pointwise.json: %v", err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("testdata/torch_pointwise.json holds no cases")
	}
	return f.Cases
}

func TestTorchParityPointwise(t *testing.T) {
	for _, c := range loadPointwiseCases(t) {
		t.Run(c.Op, func(t *testing.T) {
			tp := NewTape()
			x := tp.Input(tensor.FromSlice(c.X, c.Shape...))
			wrt := []*Var{x}
			var y, std, p *Var
			switch c.Op {
			case "clamp":
				y = Clamp(x, c.Lo, c.Hi)
			case "abs":
				y = Abs(x)
			case "relu":
				y = Relu(x)
			case "leaky_relu":
				y = LeakyRelu(x, c.Slope)
			case "sigmoid":
				y = Sigmoid(x)
			case "tanh":
				y = Tanh(x)
			case "softplus":
				y = Softplus(x, c.Beta)
			case "log_softmax":
				y = LogSoftmax(x)
			case "softmax":
				y = Softmax(x)
			case "linf":
				y = LinfNormPerExample(x)
			case "l2":
				y = L2NormPerExample(x)
			case "cross_entropy":
				y = CrossEntropy(x, c.Labels, c.Smoothing)
			case "kl_div":
				p = tp.Input(tensor.FromSlice(c.P, c.Shape...))
				wrt = append(wrt, p)
				y = KLDiv(x, p)
			case "channel_mean_std":
				y, std = ChannelMeanStd(x, c.Eps)
			default:
				t.Fatalf("unknown op %q", c.Op)
			}
			out := y
			if std != nil {
				// Both statistics feed one loss: sum(g*mean) + sum(gstd*std).
				gm := tp.Const(tensor.FromSlice(c.G, y.Shape()...))
				gs := tp.Const(tensor.FromSlice(c.GStd, std.Shape()...))
				out = Add(Sum(Mul(y, gm)), Sum(Mul(std, gs)))
				matchTorch(t, "std", std.Data(), c.Std, 1e-6)
			}
			if c.G != nil && std == nil {
				tp.BackwardWith(out, tensor.FromSlice(c.G, out.Shape()...), wrt...)
			} else {
				tp.Backward(out, wrt...)
			}
			matchTorch(t, "output", y.Data(), c.Y, 1e-6)
			matchTorch(t, "dx", x.Grad.Data(), c.DX, 1e-5)
			if p != nil {
				// PyTorch's d/dp is NaN (null) where p = 0; robustlab
				// documents 0 there.
				dp := make([]float64, len(c.DP))
				for i, v := range c.DP {
					switch {
					case v != nil:
						dp[i] = *v
					case c.P[i] != 0:
						t.Fatalf("PyTorch's dp[%d] is NaN at p = %g", i, c.P[i])
					}
				}
				matchTorch(t, "dp", p.Grad.Data(), dp, 1e-5)
			}
		})
	}
}

func matchTorch(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, PyTorch %d", what, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= tol*math.Max(1, math.Abs(w))) {
			t.Errorf("%s[%d] = %g, PyTorch %g", what, i, got[i], w)
		}
	}
}
