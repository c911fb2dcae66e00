package saliency

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// linearNet is logits = [v . x, 0]: the target-0 probability is
// sigmoid(v . x), known in closed form.
type linearNet struct {
	*nn.Base
	v []float32
}

func (m *linearNet) Forward(x *autograd.Var) *autograd.Var {
	w := tensor.New(2, len(m.v))
	copy(w.Data(), m.v)
	return autograd.Linear(autograd.Flatten(x), autograd.NewParam(w), nil)
}

func TestDeletionInsertionMatchTheReference(t *testing.T) {
	const c, h, w, steps = 2, 5, 6, 8
	hw, chw := h*w, c*h*w
	x := randImages(8, 3, c, h, w)
	v := make([]float32, chw)
	for j := range v {
		v[j] = float32(math.Sin(float64(j)*1.7)) * 0.8
	}
	model := &linearNet{Base: nn.NewBase(), v: v}
	maps := randImages(9, 3, 1, h, w).Reshape(3, h, w)
	// Ties in the order: image 1's map has equal values, broken by index.
	for p := 0; p < 10; p++ {
		maps.Index(1).Data()[p] = 0.5
	}
	targets := []int{0, 0, 1}
	o := CurveOptions{Steps: steps, Deletion: Black, Insertion: Blur, BlurSigma: 1.2, BatchSize: 5}
	got, err := DeletionInsertion(ctx, model, x, targets, maps, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range targets {
		xi := f64s(x.Index(i).Data())
		blur32 := make([]float32, chw)
		gaussianBlur(blur32, x.Index(i).Data(), c, h, w, 1.2)
		blur := f64s(blur32)
		m := maps.Index(i).Data()
		order := make([]int, hw)
		for p := range order {
			order[p] = p
		}
		// Highest first; equal values by position.
		slices.SortStableFunc(order, func(a, b int) int {
			if m[a] != m[b] {
				if m[a] > m[b] {
					return -1
				}
				return 1
			}
			return a - b
		})
		prob := func(img []float64) float64 {
			var z float64
			for j := range img {
				z += float64(v[j]) * img[j]
			}
			p0 := 1 / (1 + math.Exp(-z))
			if target == 1 {
				return 1 - p0
			}
			return p0
		}
		for k := 0; k <= steps; k++ {
			count := int(math.Round(float64(k*hw) / steps))
			del := slices.Clone(xi)
			ins := slices.Clone(blur)
			for _, p := range order[:count] {
				for ch := 0; ch < c; ch++ {
					del[ch*hw+p] = 0
					ins[ch*hw+p] = xi[ch*hw+p]
				}
			}
			if d := math.Abs(got.Deletion[i][k] - prob(del)); d > 1e-6 {
				t.Fatalf("image %d step %d: deletion %g, want %g", i, k, got.Deletion[i][k], prob(del))
			}
			if d := math.Abs(got.Insertion[i][k] - prob(ins)); d > 1e-6 {
				t.Fatalf("image %d step %d: insertion %g, want %g", i, k, got.Insertion[i][k], prob(ins))
			}
		}
		if got.DeletionAUC[i] != AUC(got.Deletion[i]) || got.InsertionAUC[i] != AUC(got.Insertion[i]) {
			t.Fatalf("image %d: AUCs %g %g", i, got.DeletionAUC[i], got.InsertionAUC[i])
		}
	}
}

// TestDeletionRewardsAGoodMap: ordering pixels by their true contribution
// to the logit makes the deletion curve fall, and the insertion curve rise,
// faster than the reverse order.
func TestDeletionRewardsAGoodMap(t *testing.T) {
	const c, h, w = 1, 6, 6
	x := randImages(10, 4, c, h, w)
	v := make([]float32, c*h*w)
	for j := range v {
		v[j] = float32(math.Cos(float64(j)*2.3)) * 2
	}
	model := &linearNet{Base: nn.NewBase(), v: v}
	good := tensor.New(4, h, w)
	for i := 0; i < 4; i++ {
		for j, xv := range x.Index(i).Data() {
			good.Index(i).Data()[j] = xv * v[j]
		}
	}
	bad := tensor.Scale(good, -1)
	targets := []int{0, 0, 0, 0}
	o := CurveOptions{Steps: 12, Insertion: Black}
	g, err := DeletionInsertion(ctx, model, x, targets, good, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DeletionInsertion(ctx, model, x, targets, bad, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if !(g.DeletionAUC[i] < b.DeletionAUC[i]) || !(g.InsertionAUC[i] > b.InsertionAUC[i]) {
			t.Errorf("image %d: good map deletion %g insertion %g, reversed %g %g", i, g.DeletionAUC[i], g.InsertionAUC[i], b.DeletionAUC[i], b.InsertionAUC[i])
		}
	}
}

func TestDeletionInsertionErrors(t *testing.T) {
	m, _, x, targets := setup(t)
	h, w := x.Dim(2), x.Dim(3)
	nan := tensor.New(5, h, w)
	nan.Data()[0] = float32(math.NaN())
	for _, c := range []struct {
		maps    *tensor.Tensor
		targets []int
		want    string
	}{
		{tensor.New(5, 1, h, w), targets, "maps have shape [5 1 8 7]"},
		{tensor.New(4, h, w), targets, "want [5 8 7]"},
		{nan, targets, "NaN"},
		{tensor.New(5, h, w), []int{0, 0, 9, 0, 0}, "image 2: target class 9"},
	} {
		if _, err := DeletionInsertion(ctx, m, x, c.targets, c.maps, CurveOptions{Steps: 4}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if _, err := DeletionInsertion(ctx, m, x, targets, tensor.New(5, h, w), CurveOptions{BlurSigma: math.Inf(1)}); err == nil || !strings.Contains(err.Error(), "blur sigma +Inf") {
		t.Errorf("infinite blur: %v", err)
	}
}
