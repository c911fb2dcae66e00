package saliency

import (
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/nn"
)

func TestRandomizationCheck(t *testing.T) {
	m, _, x, targets := setup(t)
	same, err := RandomizationCheck(ctx, m, m, x, targets, Gradient, Options{}, AbsMax)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range same {
		if r != 1 {
			t.Fatalf("image %d: a model against itself correlates %g", i, r)
		}
	}
	other := newTinyNet(99, 3, 4)
	rho, err := RandomizationCheck(ctx, m, other, x, targets, Gradient, Options{}, AbsMax)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Compute(ctx, m, x, targets, Gradient, Options{})
	b, _ := Compute(ctx, other, x, targets, Gradient, Options{})
	aa, _ := Aggregate(a, AbsMax)
	bb, _ := Aggregate(b, AbsMax)
	want, _ := RankCorrelation(aa, bb)
	if !slices.Equal(rho, want) {
		t.Fatalf("rho %v, want %v", rho, want)
	}
	if _, err := RandomizationCheck(ctx, m, other, x, targets, GradCAM, Options{}, AbsMax); err == nil || !strings.Contains(err.Error(), "trained model") {
		t.Fatalf("error %v", err)
	}
}

func TestCascadingRandomizationGoesFromTheOutputAndRestoresTheModel(t *testing.T) {
	m, _, x, targets := setup(t)
	fresh := newTinyNet(77, 3, 4)
	before := map[string][]float32{}
	for name, v := range nn.StateDict(m) {
		before[name] = slices.Clone(v.Data())
	}
	stages, err := CascadingRandomization(ctx, m, fresh, x, targets, SmoothGrad, Options{Samples: 3}, L2)
	if err != nil {
		t.Fatal(err)
	}
	// "act" has no parameters and is no stage.
	if len(stages) != 2 || stages[0].Layer != "fc" || stages[1].Layer != "conv" {
		t.Fatalf("stages %+v", stages)
	}
	for name, v := range nn.StateDict(m) {
		if !slices.Equal(before[name], v.Data()) {
			t.Fatalf("%s was not restored", name)
		}
	}
	// The last stage has every layer randomized: it is the full check.
	full, err := RandomizationCheck(ctx, m, fresh, x, targets, SmoothGrad, Options{Samples: 3}, L2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stages[1].Spearman, full) || stages[1].Summary != Summarize(full) {
		t.Fatalf("last stage %v, full randomization %v", stages[1].Spearman, full)
	}
	// After the first stage only fc differs: maps change but not as much
	// as with everything randomized, on average.
	if stages[0].Summary.Mean == 1 {
		t.Fatal("randomizing fc did not change the maps")
	}
	wrong := newTinyNet(5, 3, 7) // 7 classes: fc has another shape
	if _, err := CascadingRandomization(ctx, m, wrong, x, targets, Gradient, Options{}, AbsMax); err == nil || !strings.Contains(err.Error(), "not the same architecture") {
		t.Fatalf("error %v", err)
	}
}
