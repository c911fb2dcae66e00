package autograd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// torchCase is one case of testdata/torch_ops.json, written by
// testdata/torch_ops.py with PyTorch 1.13 in float64.
type torchCase struct {
	Name   string `json:"name"`
	Inputs []struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"inputs"`
	Output struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"output"`
	R          []float64   `json:"r"`
	Grads      [][]float64 `json:"grads"`
	Stride     []int       `json:"stride"`
	Padding    []int       `json:"padding"`
	Dilation   []int       `json:"dilation"`
	Groups     int         `json:"groups"`
	Pool       []int       `json:"pool"` // kernel, stride, padding
	Out        []int       `json:"out"`
	Pad        []int       `json:"pad"`
	Scale      int         `json:"scale"`
	RunningIn  [][]float64 `json:"running_in"`
	RunningOut [][]float64 `json:"running_out"`
}

func f32(shape []int, d []float64) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, v := range d {
		t.Data()[i] = float32(v)
	}
	return t
}

// TestTorchParity runs each op on PyTorch's inputs and compares the output
// and the input gradients of sum(r * output) with PyTorch's.
func TestTorchParity(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch_ops.json")
	if err != nil {
		t.Fatal(err)
	}
	var fix struct {
		Cases []torchCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &fix); err != nil {
		t.Fatalf("testdata/torch_ops.json: %v", err)
	}
	if len(fix.Cases) < 10 {
		t.Fatalf("testdata/torch_ops.json has %d cases, want 10", len(fix.Cases))
	}
	for _, c := range fix.Cases {
		t.Run(c.Name, func(t *testing.T) {
			tp := NewTape()
			in := make([]*Var, len(c.Inputs))
			for i, x := range c.Inputs {
				in[i] = tp.Input(f32(x.Shape, x.Data))
			}
			var rm, rv *tensor.Tensor
			if c.RunningIn != nil {
				rm = f32([]int{len(c.RunningIn[0])}, c.RunningIn[0])
				rv = f32([]int{len(c.RunningIn[1])}, c.RunningIn[1])
			}
			var y *Var
			switch c.Name {
			case "conv2d s2 p1 d1 g1 bias", "conv2d s(1,2) p(2,0) d(2,1) g2", "conv2d depthwise":
				o := ConvOptions{
					Stride:   [2]int{c.Stride[0], c.Stride[1]},
					Padding:  [2]int{c.Padding[0], c.Padding[1]},
					Dilation: [2]int{c.Dilation[0], c.Dilation[1]},
					Groups:   c.Groups,
				}
				var b *Var
				if len(in) == 3 {
					b = in[2]
				}
				y = Conv2d(in[0], in[1], b, o)
			case "batchnorm train", "batchnorm eval":
				y = BatchNorm2d(in[0], in[1], in[2], rm, rv, BatchNormOptions{Training: c.RunningOut != nil, Momentum: 0.1, Eps: 1e-5})
			case "maxpool k3 s2 p1":
				y = MaxPool2d(in[0], PoolOptions{Kernel: c.Pool[0], Stride: c.Pool[1], Padding: c.Pool[2]})
			case "avgpool k3 s2 p1":
				y = AvgPool2d(in[0], PoolOptions{Kernel: c.Pool[0], Stride: c.Pool[1], Padding: c.Pool[2]})
			case "adaptive 7x5 to 3x2":
				y = AdaptiveAvgPool2d(in[0], c.Out[0], c.Out[1])
			case "reflect pad (1,2,2,1)":
				y = Pad2d(in[0], c.Pad[0], c.Pad[1], c.Pad[2], c.Pad[3], ReflectPad)
			case "upsample nearest x2":
				y = UpsampleNearest2d(in[0], c.Scale)
			default:
				t.Fatalf("no op for case %q", c.Name)
			}
			if !tensor.SameShape(y.Shape(), c.Output.Shape) {
				t.Fatalf("output shape %v, PyTorch %v", y.Shape(), c.Output.Shape)
			}
			closeTo(t, "output", y.Data(), c.Output.Data)
			tp.BackwardWith(y, f32(c.Output.Shape, c.R), in...)
			for i, g := range c.Grads {
				closeTo(t, fmt.Sprintf("gradient of input %d", i), in[i].Grad.Data(), g)
			}
			if c.RunningOut != nil {
				closeTo(t, "running mean", rm.Data(), c.RunningOut[0])
				closeTo(t, "running var", rv.Data(), c.RunningOut[1])
			}
		})
	}
}

// closeTo holds got to PyTorch's float64 want within 2e-6 of max(1, |want|):
// the float32 rounding of inputs and sums of these small operations (the
// worst measured, a convolution's output, is 2.9e-7), with room for other
// kernels' summation orders.
func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, PyTorch %d", what, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i])-w) / math.Max(1, math.Abs(w)); !(d <= 2e-6) {
			t.Fatalf("%s[%d] = %g, PyTorch %g", what, i, got[i], w)
		}
	}
}
