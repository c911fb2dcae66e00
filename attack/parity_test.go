package attack

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/internal/fixture"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// parityCase is one entry of testdata/attack_fixtures.json (see
// gen_attack_fixtures.py).
type parityCase struct {
	Model       string  `json:"model"`
	Case        string  `json:"case"`
	Shape       []int   `json:"shape"`
	InputOffset float64 `json:"input_offset"`
	Norm        Norm    `json:"norm"`
	Eps         float64 `json:"eps"`
	Alpha       float64 `json:"alpha"`
	Steps       int     `json:"steps"`
	StartStream *uint64 `json:"start_stream"`
	Labels      []int   `json:"labels"`
	Targets     []int   `json:"targets"`
	Adv         string  `json:"adv_f32_base64"`
	TorchError  float64 `json:"torch_f32_max_error"`
}

// smoothNet is the fixture script's Smooth: conv, batch norm, tanh,
// average pooling, conv, softplus, linear, on normalized 3x8x8 images.
type smoothNet struct {
	*nn.Base
	norm         *nn.Normalize
	conv1, conv2 *nn.Conv2d
	bn1          *nn.BatchNorm2d
	fc           *nn.Linear
}

func newSmoothNet() *smoothNet {
	rng := tensor.NewRNG(1)
	pad := autograd.ConvOptions{Padding: [2]int{1, 1}}
	m := &smoothNet{Base: nn.NewBase()}
	m.norm = m.Child("normalize", nn.NewNormalize([]float32{0.4914, 0.4822, 0.4465}, []float32{0.2471, 0.2435, 0.2616})).(*nn.Normalize)
	m.conv1 = m.Child("conv1", nn.NewConv2d(rng, 3, 6, 3, pad, true)).(*nn.Conv2d)
	m.bn1 = m.Child("bn1", nn.NewBatchNorm2d(6)).(*nn.BatchNorm2d)
	m.conv2 = m.Child("conv2", nn.NewConv2d(rng, 6, 8, 3, pad, true)).(*nn.Conv2d)
	m.fc = m.Child("fc", nn.NewLinear(rng, 8*4*4, 10, true)).(*nn.Linear)
	return m
}

func (m *smoothNet) Forward(x *autograd.Var) *autograd.Var {
	x = nn.Call(m.norm, x)
	x = autograd.Tanh(nn.Call(m.bn1, nn.Call(m.conv1, x)))
	x = autograd.AvgPool2d(x, autograd.PoolOptions{Kernel: 2})
	x = autograd.Softplus(nn.Call(m.conv2, x), 1)
	return nn.Call(m.fc, autograd.Flatten(x))
}

// TestParityWithPyTorch runs FGSM and PGD from the fixture's fixed starts
// on the fixture's models and compares every pixel with PyTorch (float64,
// against which PyTorch's own float32 is within 1e-6): within 1e-5 in
// pixel units. The models are left in training mode: the attacks must
// switch batch norm to its running statistics themselves.
func TestParityWithPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/attack_fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []parityCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) == 0 {
		t.Fatal("no cases in the fixture")
	}
	for _, c := range fx.Cases {
		t.Run(c.Model+"/"+c.Case, func(t *testing.T) {
			var m nn.Module = newSmoothNet()
			switch c.Model {
			case "madry-mnist":
				m, err = models.New("madry-mnist", models.Options{Mean: []float32{0.1307}, Std: []float32{0.3081}})
			case "wong-mnist":
				m, err = models.New("wong-mnist", models.Options{}) // no normalization, as Wong et al.'s code
			}
			if err != nil {
				t.Fatal(err)
			}
			fixture.SetFormula(m)
			nn.SetTraining(m, true)
			n := tensor.Numel(c.Shape)
			x64 := make([]float64, n)
			x := tensor.New(c.Shape...)
			for j, u := range fixture.Uniform(100, n) {
				x64[j] = math.Min(math.Max(u+c.InputOffset, 0), 1)
				x.Data()[j] = float32(x64[j])
			}
			cfg := PGDConfig{Norm: c.Norm, Eps: c.Eps, Alpha: c.Alpha, Steps: c.Steps, Targets: c.Targets}
			if c.StartStream != nil {
				scale := c.Eps
				if c.Norm == L2 {
					scale = c.Eps / math.Sqrt(float64(n/c.Shape[0]))
				}
				cfg.Start = tensor.New(c.Shape...)
				for j, u := range fixture.Uniform(*c.StartStream, n) {
					cfg.Start.Data()[j] = float32(x64[j] + scale*u)
				}
			}
			var adv *tensor.Tensor
			if strings.HasPrefix(c.Case, "fgsm") {
				adv, err = FGSM(m, x, c.Labels, FGSMConfig{Norm: c.Norm, Eps: c.Eps, Targets: c.Targets})
			} else {
				adv, err = PGD(m, x, c.Labels, cfg)
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := base64.StdEncoding.DecodeString(c.Adv)
			if err != nil || len(want) != 4*n {
				t.Fatalf("fixture images: %d bytes for %d pixels (%v)", len(want), n, err)
			}
			worst, at := 0.0, 0
			for j, v := range adv.Data() {
				w := math.Float32frombits(binary.LittleEndian.Uint32(want[4*j:]))
				if d := math.Abs(float64(v) - float64(w)); d > worst || math.IsNaN(d) { // a NaN stays the worst
					worst, at = d, j
				}
			}
			t.Logf("largest difference from PyTorch %.2g at pixel %d (PyTorch float32's own %.2g)", worst, at, c.TorchError)
			if !(worst <= 1e-5) {
				t.Errorf("largest difference from PyTorch %.3g at pixel %d, want <= 1e-5", worst, at)
			}
		})
	}
}
