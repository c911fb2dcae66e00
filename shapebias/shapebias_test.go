package shapebias

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

func TestCountByHand(t *testing.T) {
	var r Report
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
	if math.Abs(s-0.6) > 1e-12 || math.Abs(tx-0.2) > 1e-12 || math.Abs(n-0.2) > 1e-12 {
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
	want := Report{Data: "toy-conflicts"}
	var ex data.Example
	for i := 0; i < ds.Len(); i++ {
		ds.Get(i, &ex)
		want.Count(ds.decide(i, ex.Factors[0], ex.Factors[1]), ex.Factors[0], ex.Factors[1])
	}
	got, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, ds, Config{BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	got.Seconds = 0
	if *got != want || got.Conflicts() != 90 || got.Neither != 10 {
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
	_, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, plain{}, Config{BatchSize: 16})
	if err == nil || !strings.Contains(err.Error(), "not a cue-conflict set") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
}

// agreeing is a cue-conflict set whose every image has one class for both
// cues: no conflict at all.
type agreeing struct{ conflicts }

func (a agreeing) Get(i int, ex *data.Example) error {
	ex.Image = append(ex.Image[:0], float32(i%10)/100, 0, 0, 0)
	ex.Factors = append(ex.Factors[:0], i%10, i%10)
	ex.Label = i % 10
	return nil
}

func TestNoConflictImagesIsAnError(t *testing.T) {
	r, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, agreeing{}, Config{})
	if err == nil || !strings.Contains(err.Error(), "no cue-conflict images") {
		t.Fatalf("want an error for stimuli without conflicts, got %+v, %v", r, err)
	}
}

func TestNoDecisionsGiveNoBias(t *testing.T) {
	// The model always answers a class that is neither cue's.
	ds := conflicts{func(i, shape, texture int) int {
		for k := 0; ; k++ {
			if k != shape && k != texture {
				return k
			}
		}
	}}
	r, err := Evaluate(context.Background(), &oracle{nn.NewBase(), 10}, ds, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.Bias) || r.Neither != 90 || r.Decided() != 0 {
		t.Fatalf("bias %v of %+v, want NaN: no decision for either cue", r.Bias, r)
	}
	path := filepath.Join(t.TempDir(), "sb.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if v, ok := fields["shape_bias"]; !ok || v != nil || fields["note"] != NoDecisions || fields["neither_fraction"] != 1.0 {
		t.Fatalf("JSON %s: want shape_bias null with the note", raw)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil || !math.IsNaN(back.Bias) || back.Neither != 90 {
		t.Fatalf("read back %+v, %v", back, err)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	r := &Report{Data: "x", Shape: 3, Texture: 1, Neither: 1, Excluded: 2, Bias: 0.75, Seconds: 1.5}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil || back != *r {
		t.Fatalf("%s read back as %+v (%v)", raw, back, err)
	}
	if _, err := json.Marshal(&Report{Data: "empty"}); err == nil {
		t.Fatal("a report of no cue-conflict images must not be written")
	}
}
