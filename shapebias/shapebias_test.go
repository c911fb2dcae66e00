package shapebias

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

func TestCountByHand(t *testing.T) {
	var r Result
	// (pred, shape, texture): 3 shape decisions, 1 texture, 1 neither, 1 excluded.
	for _, d := range [][3]int{{0, 0, 1}, {2, 2, 5}, {3, 3, 4}, {4, 1, 4}, {7, 1, 2}, {6, 6, 6}} {
		r.Count(d[0], d[1], d[2])
	}
	if r.Shape != 3 || r.Texture != 1 || r.Neither != 1 || r.Excluded != 1 {
		t.Fatalf("counts %+v", r)
	}
	if r.Bias != 0.75 {
		t.Fatalf("bias %g, want 3/(3+1)", r.Bias)
	}
	s, tx, n := r.Fractions()
	if !(math.Abs(s-0.6) <= 1e-12) || !(math.Abs(tx-0.2) <= 1e-12) || !(math.Abs(n-0.2) <= 1e-12) {
		t.Fatalf("fractions %g %g %g, want 0.6 0.2 0.2", s, tx, n)
	}
}

// oracle answers with one of an example's factors, read from a pixel the
// test data set writes: a model whose decisions are known in advance.
type oracle struct {
	*nn.Base
	classes int
}

func (o *oracle) Forward(x *autograd.Var) *autograd.Var {
	n := x.Shape()[0]
	per := x.Value.Len() / n
	out := tensor.New(n, o.classes)
	for i := 0; i < n; i++ {
		out.Set(1, i, int(x.Value.Data()[i*per]*100+0.5))
	}
	return autograd.TapeOf(x).Input(out)
}

type conflicts struct {
	decide func(i, shape, texture int) int
}

func (c conflicts) Len() int { return 90 }
func (c conflicts) Info() data.Info {
	return data.Info{Name: "toy-conflicts", Classes: make([]string, 10), Channels: 1, Height: 2, Width: 2, FactorNames: []string{"shape", "texture"}}
}
func (c conflicts) Get(i int, ex *data.Example) error {
	shape, texture := i%10, (i/10+i%10+1)%10
	ex.Image = append(ex.Image[:0], float32(c.decide(i, shape, texture))/100, 0, 0, 0)
	ex.Factors = append(ex.Factors[:0], shape, texture)
	ex.Label = shape
	return nil
}

func TestEvaluateCountsTheModelsDecisions(t *testing.T) {
	// Decide by shape on even examples, by texture on odd ones, except every
	// ninth which goes to a class that is neither.
	ds := conflicts{func(i, shape, texture int) int {
		switch {
		case i%9 == 0:
			for k := 0; ; k++ {
				if k != shape && k != texture {
					return k
				}
			}
		case i%2 == 0:
			return shape
		}
		return texture
	}}
	var want Result
	var ex data.Example
	for i := 0; i < ds.Len(); i++ {
		ds.Get(i, &ex)
		want.Count(ds.decide(i, ex.Factors[0], ex.Factors[1]), ex.Factors[0], ex.Factors[1])
	}
	got, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, ds, 16)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got.Conflicts() != 90 || got.Neither != 10 {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

type plain struct{ conflicts }

func (p plain) Info() data.Info {
	i := p.conflicts.Info()
	i.FactorNames = nil
	return i
}

func TestRefusesSetsWithoutCues(t *testing.T) {
	_, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, plain{}, 16)
	if err == nil || !strings.Contains(err.Error(), "not a cue-conflict set") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
}
