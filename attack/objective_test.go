package attack

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/robustlab/robustlab/internal/gradcheck"
	"github.com/robustlab/robustlab/tensor"
)

// Float64 references of the objectives, written from the papers'
// formulas, independent of objective.go.
func refCE(z []float64, y, t int) float64 {
	lse := 0.0
	for _, v := range z {
		lse += math.Exp(v)
	}
	lse = math.Log(lse)
	if t < 0 {
		return lse - z[y]
	}
	return z[t] - lse
}

func refDLR(z []float64, y, t int) float64 {
	s := append([]float64(nil), z...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	if t < 0 {
		other := math.Inf(-1)
		for k, v := range z {
			if k != y {
				other = math.Max(other, v)
			}
		}
		return -(z[y] - other) / (s[0] - s[2] + 1e-12)
	}
	return -(z[y] - z[t]) / (s[0] - (s[2]+s[3])/2 + 1e-12)
}

func refKL(p []float64) func(z []float64, y, t int) float64 {
	return func(z []float64, _, _ int) float64 {
		lse := 0.0
		for _, v := range z {
			lse += math.Exp(v)
		}
		lse = math.Log(lse)
		l := 0.0
		for c, pc := range p {
			if pc > 0 {
				l += pc * (math.Log(pc) - (z[c] - lse))
			}
		}
		return l
	}
}

func refMargin(z []float64, y, _ int) float64 {
	other := math.Inf(-1)
	for k, v := range z {
		if k != y {
			other = math.Max(other, v)
		}
	}
	return other - z[y]
}

// TestObjectivesAgainstFiniteDifferences checks each objective's loss
// against its float64 reference and its gradient against central finite
// differences of the reference, on logits with distinct values (the
// objectives with a max or a sort are smooth there).
func TestObjectivesAgainstFiniteDifferences(t *testing.T) {
	const k = 6
	p := tensor.New(2, k)
	pd := p.Data()
	s := 0.0
	for c := 0; c < k; c++ {
		pd[k+c] = float32(0.05 + unit(uint64(900+c)))
		s += float64(pd[k+c])
	}
	for c := 0; c < k; c++ {
		pd[k+c] = float32(float64(pd[k+c]) / s)
	}
	pRow := make([]float64, k)
	for c := range pRow {
		pRow[c] = float64(pd[k+c])
	}
	cases := []struct {
		obj  Objective
		ref  func(z []float64, y, t int) float64
		y, t int
	}{
		{CrossEntropy(), refCE, 2, -1},
		{CrossEntropy(), refCE, 2, 4},
		{DLR(), refDLR, 2, -1},
		{DLR(), refDLR, 0, -1},
		{DLR(), refDLR, 2, 4},
		{KL(p), refKL(pRow), 0, -1},
		{margin{}, refMargin, 3, -1},
		{logitGap{}, func(z []float64, y, t int) float64 { return z[t] - z[y] }, 1, 5},
	}
	for trial := 0; trial < 5; trial++ {
		z := make([]float32, k)
		for c := range z {
			z[c] = float32(6 * (unit(uint64(trial*k+c)) - 0.5))
		}
		z64 := make([]float64, k)
		for c, v := range z {
			z64[c] = float64(v)
		}
		for _, cs := range cases {
			t.Run(fmt.Sprintf("%s/y%d/t%d/%d", cs.obj, cs.y, cs.t, trial), func(t *testing.T) {
				grad := make([]float32, k)
				got := cs.obj.Loss(1, z, cs.y, cs.t, grad)
				want := cs.ref(z64, cs.y, cs.t)
				if !(math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))) {
					t.Errorf("loss %.12g, reference %.12g", got, want)
				}
				// The float32 gradient against central differences of the
				// reference, to 1e-6 and float32 rounding (internal/gradcheck,
				// whose loss is r times the objective, r its seed); and the
				// same check rejects the gradient scaled by 1+1e-4.
				ref := gradcheck.New(gradcheck.Case{Name: cs.obj.String(), Inputs: [][]float64{z64},
					Ref: func(in [][]float64) []float64 { return []float64{cs.ref(in[0], cs.y, cs.t)} }})
				seeded := make([]float32, k)
				for c, g := range grad {
					seeded[c] = g * ref.Seed()[0]
				}
				if _, err := ref.Compare([]float32{float32(want)}, [][]float32{seeded}); err != nil {
					t.Error(err)
				}
				for c := range seeded {
					seeded[c] *= 1 + gradcheck.Perturbation
				}
				if _, err := ref.Compare([]float32{float32(want)}, [][]float32{seeded}); err == nil && ref.NonZero(0) {
					t.Errorf("the gradient scaled by 1+%g passes the check", gradcheck.Perturbation)
				}
			})
		}
	}
}

// TestObjectiveClassCounts: DLR needs 3 classes (4 targeted), KL a
// reference of the batch's shape; the errors say so.
func TestObjectiveClassCounts(t *testing.T) {
	for _, c := range []struct {
		obj      Objective
		k        int
		targeted bool
		ok       bool
	}{
		{DLR(), 3, false, true}, {DLR(), 2, false, false}, {DLR(), 3, true, false}, {DLR(), 4, true, true},
		{KL(tensor.New(5, 3)), 3, false, true}, {KL(tensor.New(5, 4)), 3, false, false},
	} {
		err := checkObjective(c.obj, c.k, c.targeted, 5)
		if (err == nil) != c.ok {
			t.Errorf("%s with %d classes (targeted %v): error %v, want ok=%v", c.obj, c.k, c.targeted, err, c.ok)
		}
	}
}
