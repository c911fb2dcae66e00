package accuracy

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// scores is a data set whose images are 1 x 1 x K class scores: with the
// model flatten, an example's logits are its image, so every accuracy and
// loss has a reference computed here by hand.
type scores struct {
	images [][]float32
	labels []int
}

func (s *scores) Len() int { return len(s.labels) }

func (s *scores) Info() data.Info {
	k := 0
	if len(s.images) > 0 {
		k = len(s.images[0])
	}
	return data.Info{Name: "scores", Classes: make([]string, k), Channels: 1, Height: 1, Width: k}
}

func (s *scores) Get(i int, ex *data.Example) error {
	ex.Image = append(ex.Image[:0], s.images[i]...)
	ex.Label = s.labels[i]
	return nil
}

func randomScores(seed uint64, n, k int) *scores {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &scores{}
	for range n {
		img := make([]float32, k)
		for j := range img {
			img[j] = rng.Float32()
		}
		s.images = append(s.images, img)
		s.labels = append(s.labels, rng.IntN(k))
	}
	return s
}

// flatten is the model logits = image; it records the mode it ran in.
type flatten struct {
	*nn.Base
	sawTraining bool
}

func (m *flatten) Forward(x *autograd.Var) *autograd.Var {
	m.sawTraining = m.sawTraining || m.Training()
	return autograd.Flatten(x)
}

// linear is a model for images of exactly in values: a linear layer,
// which panics with a shape error on other images.
type linear struct {
	*nn.Base
	in int
}

func (m *linear) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Linear(autograd.Flatten(x), autograd.NewParam(tensor.New(2, m.in)), nil)
}

// reference is the accuracy and mean cross-entropy of the first n
// examples, in float64.
func reference(s *scores, n int) (acc, loss float64) {
	correct := 0
	for i := range n {
		x, y := s.images[i], s.labels[i]
		best := 0
		for j, v := range x {
			if v > x[best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
		mx := float64(x[best])
		z := 0.0
		for _, v := range x {
			z += math.Exp(float64(v) - mx)
		}
		loss += mx + math.Log(z) - float64(x[y])
	}
	return float64(correct) / float64(n), loss / float64(n)
}

func TestEvaluateMatchesTheReference(t *testing.T) {
	s := randomScores(1, 300, 7)
	for _, c := range []struct{ batch, n int }{{0, 0}, {7, 0}, {64, 100}, {1000, 299}} {
		m := &flatten{Base: nn.NewBase()}
		nn.SetTraining(m, true)
		rep, err := Evaluate(context.Background(), m, s, Config{BatchSize: c.batch, N: c.n})
		if err != nil {
			t.Fatal(err)
		}
		n := c.n
		if n == 0 {
			n = 300
		}
		acc, loss := reference(s, n)
		if rep.N != n || rep.Accuracy != acc || float64(rep.Correct) != acc*float64(n) || math.Abs(rep.Loss-loss) > 1e-6 {
			t.Errorf("batch %d, n %d: got %+v, want accuracy %v loss %v on %d", c.batch, c.n, rep, acc, loss, n)
		}
		if m.sawTraining || !m.Training() {
			t.Errorf("batch %d: the model must run in evaluation mode and be left in training mode", c.batch)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	ctx := context.Background()
	m := &flatten{Base: nn.NewBase()}
	bad := randomScores(2, 10, 4)
	bad.labels[6] = 4
	nan := randomScores(3, 10, 4)
	nan.images[3][2] = float32(math.NaN())
	narrow := &linear{Base: nn.NewBase(), in: 5}
	for _, c := range []struct {
		m    nn.Module
		ds   data.Dataset
		cfg  Config
		want string
	}{
		{narrow, randomScores(5, 4, 3), Config{}, "cannot take images of shape [1 1 3]"},
		{m, &scores{}, Config{}, "scores is empty"},
		{m, bad, Config{}, "example 6 of scores has label 4, but the model has 4 outputs"},
		{m, nan, Config{BatchSize: 4}, "example 3 of scores is not finite"},
		{m, bad, Config{BatchSize: -1}, "batch size -1"},
		{m, bad, Config{N: -2}, "number of examples -2"},
	} {
		if _, err := Evaluate(ctx, c.m, c.ds, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestReportWritesItsJSON(t *testing.T) {
	rep, err := Evaluate(context.Background(), &flatten{Base: nn.NewBase()}, randomScores(4, 20, 3), Config{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "acc.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := readJSON(path, &back); err != nil {
		t.Fatal(err)
	}
	if back != *rep {
		t.Fatalf("read back %+v, wrote %+v", back, *rep)
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
