package attack

import (
	"math"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/fixture"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// The test problem: K classes of 1x8x8 images, each a class prototype
// (a fixed +-1 pattern) at a contrast between 0.02 and 0.12 that varies by
// example, around grey 0.5, plus uniform noise of +-0.05: every pixel lies
// in [0.33, 0.67], so budgets up to 0.33 never meet the box [0,1]. A linear model whose weights are the
// prototypes classifies it well, and for a linear model the exact Linf
// robustness of an example is known in closed form (exactRobust), which
// is the independent reference the attacks are held to.
const (
	protoK    = 10
	protoSide = 8
	protoDim  = protoSide * protoSide
)

// unit returns a deterministic draw in [0,1) for key.
func unit(key uint64) float64 { return float64(fixture.Splitmix(key)>>11) * 0x1p-53 }

// prototype returns pixel j of class c's +-1 pattern.
func prototype(c, j int) float64 {
	if fixture.Splitmix(uint64(c*protoDim+j)+1<<40)&1 == 0 {
		return -1
	}
	return 1
}

// protoSet is n examples of the test problem (label i mod K).
type protoSet struct{ n int }

func (s protoSet) Len() int { return s.n }

func (s protoSet) Info() data.Info {
	classes := make([]string, protoK)
	for c := range classes {
		classes[c] = string(rune('a' + c))
	}
	return data.Info{Name: "proto", Classes: classes, Channels: 1, Height: protoSide, Width: protoSide}
}

func (s protoSet) Get(i int, ex *data.Example) error {
	ex.Label = i % protoK
	if cap(ex.Image) < protoDim {
		ex.Image = make([]float32, protoDim)
	}
	ex.Image = ex.Image[:protoDim]
	contrast := 0.02 + 0.1*unit(uint64(i)+1<<50)
	for j := range ex.Image {
		ex.Image[j] = float32(0.5 + contrast*prototype(ex.Label, j) + 0.1*(unit(uint64(i*protoDim+j))-0.5))
	}
	return nil
}

// protoBatch returns the first n examples as a batch.
func protoBatch(n int) (*tensor.Tensor, []int) {
	x := tensor.New(n, 1, protoSide, protoSide)
	labels := make([]int, n)
	var ex data.Example
	for i := 0; i < n; i++ {
		protoSet{n}.Get(i, &ex)
		copy(row(x, i), ex.Image)
		labels[i] = ex.Label
	}
	return x, labels
}

// linearModel is logits = W (x - 0.5) with W the prototypes, scaled by
// scale. With quantize > 0 its forward first rounds every pixel to a
// multiple of 1/quantize, an operation whose gradient is zero: the
// classic gradient-masking defense (input quantization), which leaves
// FGSM and PGD blind but not a score-based attack.
type linearModel struct {
	*nn.Base
	lin      *nn.Linear
	quantize int
}

func newLinearModel(quantize int) *linearModel {
	m := &linearModel{Base: nn.NewBase(), quantize: quantize}
	m.lin = m.Child("fc", nn.NewLinear(tensor.NewRNG(1), protoDim, protoK, true)).(*nn.Linear)
	w, b := m.lin.Weight.Value.Data(), m.lin.Bias.Value.Data()
	for c := 0; c < protoK; c++ {
		s := 0.0
		for j := 0; j < protoDim; j++ {
			w[c*protoDim+j] = float32(prototype(c, j))
			s += prototype(c, j)
		}
		b[c] = float32(-0.5 * s)
	}
	return m
}

func (m *linearModel) Forward(x *autograd.Var) *autograd.Var {
	if m.quantize > 0 {
		tp := autograd.TapeOf(x)
		q := tp.ScratchTensor(x.Shape()...)
		for j, v := range x.Data() {
			q.Data()[j] = float32(math.Round(float64(v)*float64(m.quantize)) / float64(m.quantize))
		}
		x = tp.Record(q, func(*autograd.Var) {}, x) // zero gradient
	}
	return nn.Call(m.lin, autograd.Flatten(x))
}

// logits64 is the linear model in float64 on one image.
func logits64(m *linearModel, img []float32) []float64 {
	w, b := m.lin.Weight.Value.Data(), m.lin.Bias.Value.Data()
	z := make([]float64, protoK)
	for c := range z {
		z[c] = float64(b[c])
		for j, v := range img {
			z[c] += float64(w[c*protoDim+j]) * float64(v)
		}
	}
	return z
}

// exactRobust reports whether no Linf perturbation of size eps changes the
// linear model's decision on img away from y: for every other class k the
// margin (w_y - w_k).x + b_y - b_k must exceed eps ||w_y - w_k||_1, the
// most a perturbation of Linf size eps can take from it (the box [0,1] is
// never binding on the test problem).
func exactRobust(m *linearModel, img []float32, y int, eps float64) bool {
	w := m.lin.Weight.Value.Data()
	z := logits64(m, img)
	for k := 0; k < protoK; k++ {
		if k == y {
			continue
		}
		l1 := 0.0
		for j := 0; j < protoDim; j++ {
			l1 += math.Abs(float64(w[y*protoDim+j]) - float64(w[k*protoDim+j]))
		}
		if z[y]-z[k] <= eps*l1 {
			return false
		}
	}
	return true
}
