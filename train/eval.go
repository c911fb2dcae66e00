package train

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/nn"
)

// EvalResult is a model's loss and accuracy on a data set.
type EvalResult struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	N        int     `json:"n"`
}

// Evaluate returns m's mean cross-entropy and accuracy on ds, in evaluation
// mode (the module's mode is restored afterwards).
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, batchSize int) (EvalResult, error) {
	was := m.Core().Training()
	nn.SetTraining(m, false)
	defer nn.SetTraining(m, was)
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: batchSize})
	if err != nil {
		return EvalResult{}, err
	}
	ep := l.Epoch(ctx, 0)
	defer ep.Close()
	tp := autograd.NewTape()
	var lossSum float64
	var correct, n int
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return EvalResult{}, err
		}
		tp.Reset()
		logits := m.Forward(tp.Input(b.Images))
		loss := autograd.CrossEntropy(logits, b.Labels, 0)
		k := len(b.Labels)
		lossSum += float64(loss.Value.Item()) * float64(k)
		correct += countCorrect(logits, b.Labels)
		n += k
		b.Release()
	}
	if n == 0 {
		return EvalResult{Loss: math.NaN(), Accuracy: math.NaN()}, nil
	}
	return EvalResult{Loss: lossSum / float64(n), Accuracy: float64(correct) / float64(n), N: n}, nil
}

// countCorrect counts the rows of logits [N,K] whose argmax is the label.
func countCorrect(logits *autograd.Var, labels []int) int {
	c := 0
	for i, p := range logits.Value.ArgMax(1) {
		if p == labels[i] {
			c++
		}
	}
	return c
}
