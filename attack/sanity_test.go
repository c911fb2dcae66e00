package attack

import (
	"context"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// alwaysZero predicts class 0 for every image (its logits do not depend
// on the image).
type alwaysZero struct{ *nn.Base }

func (m alwaysZero) Forward(x *autograd.Var) *autograd.Var {
	n := x.Shape()[0]
	w := tensor.New(10, x.Value.Len()/n)
	b := tensor.New(10)
	b.Data()[0] = 1
	return autograd.Linear(autograd.Flatten(x), autograd.NewParam(w), autograd.NewParam(b))
}

// shiftedSet is protoSet with every label 1 (alwaysZero gets all wrong).
type shiftedSet struct{ protoSet }

func (s shiftedSet) Get(i int, ex *data.Example) error {
	err := s.protoSet.Get(i, ex)
	ex.Label = 1
	return err
}

// TestSanityChecksOnNothingAreSkipped: when no example is classified
// correctly the attack checks have nothing to compare and say "skipped"
// and why, rather than "pass" on 0 of 0.
func TestSanityChecksOnNothingAreSkipped(t *testing.T) {
	rep, err := Evaluate(context.Background(), alwaysZero{nn.NewBase()}, shiftedSet{protoSet{12}},
		EvalConfig{Attacks: mustSpecs(t, "fgsm,pgd,square?queries=4"), Eps: []float64{0.05, 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CleanAccuracy != 0 {
		t.Fatalf("clean accuracy %v, want 0", rep.CleanAccuracy)
	}
	for _, c := range rep.Checks {
		switch {
		case c.Name == CheckDeterministic:
			if !c.Passed || c.Skipped {
				t.Errorf("%s: %+v, want a pass: it runs on the clean images", c.Name, c)
			}
		case c.Passed || !c.Skipped || !strings.Contains(c.Detail, "no example of 12 was classified correctly"):
			t.Errorf("%s: %+v, want skipped with the reason", c.Name, c)
		}
	}
	if len(rep.Failed()) != 0 {
		t.Errorf("skipped checks count as failed: %v", rep.Failed())
	}
}
