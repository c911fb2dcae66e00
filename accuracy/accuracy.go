// Package accuracy measures how often a classifier is right on a data set,
// and its mean cross-entropy there. It also holds the loop that every
// measurement running a model forward only shares (Batches): the model in
// evaluation mode, the data set batch by batch in index order, each batch's
// logits checked before anyone counts them. Shape bias and accuracy under
// corruptions are that loop with another tally.
package accuracy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Config configures Evaluate and Batches.
type Config struct {
	// BatchSize is the number of images per forward pass (default 256).
	BatchSize int
	// N, if positive, evaluates the data set's first N examples only.
	N int
	// Workers is the number of data-loading goroutines (0: all cores);
	// the batches are the same for every value.
	Workers int
}

func (c *Config) check() error {
	switch {
	case c.BatchSize < 0:
		return fmt.Errorf("accuracy: batch size %d is negative", c.BatchSize)
	case c.N < 0:
		return fmt.Errorf("accuracy: number of examples %d is negative", c.N)
	case c.Workers < 0:
		return fmt.Errorf("accuracy: %d data-loading workers", c.Workers)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	return nil
}

// Batches runs m over the examples of ds (its first cfg.N, if set) in
// evaluation mode, cfg.BatchSize at a time in index order, and calls fn
// with each batch and the model's logits for it ([n,K], on a tape reused
// from batch to batch: valid only during the call). The model is left in
// the mode it was in. An empty data set, logits of the wrong shape or a
// logit that is not finite (a diverged model, which argmax would silently
// count as class 0) is an error naming the data set and the example.
func Batches(ctx context.Context, m nn.Module, ds data.Dataset, cfg Config, fn func(b *data.Batch, logits *autograd.Var) error) error {
	if err := cfg.check(); err != nil {
		return err
	}
	name := ds.Info().Name
	ds = data.First(ds, cfg.N)
	if ds.Len() == 0 {
		return fmt.Errorf("accuracy: data set %s is empty: nothing to measure", name)
	}
	defer nn.EvalMode(m)()
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: cfg.BatchSize, Workers: cfg.Workers})
	if err != nil {
		return err
	}
	ep := l.Epoch(ctx, 0)
	defer ep.Close()
	tp := autograd.NewTape()
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		tp.Reset()
		logits, err := forward(m, tp, b)
		if err == nil {
			err = checkLogits(logits, b, name)
		}
		if err != nil {
			b.Release()
			return err
		}
		err = fn(b, logits)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// forward runs m on the batch; a model that cannot take these images
// panics with a shape error inside its layers, which becomes an error
// naming the images' shape.
func forward(m nn.Module, tp *autograd.Tape, b *data.Batch) (logits *autograd.Var, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*tensor.ShapeError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("accuracy: the model cannot take images of shape %s (C x H x W): %v", tensor.FormatShape(b.Images.Shape()[1:]), se)
		}
	}()
	return nn.Call(m, tp.Input(b.Images)), nil
}

// checkLogits reports logits that are not [n,K] for a batch of n, or that
// hold a value that is not finite.
func checkLogits(logits *autograd.Var, b *data.Batch, name string) error {
	n := len(b.Labels)
	s := logits.Shape()
	if len(s) != 2 || s[0] != n || s[1] < 1 {
		return fmt.Errorf("accuracy: the model's output for a batch of %d images of %s has shape %v, want [%d K] logits", n, name, s, n)
	}
	k := s[1]
	for j, v := range logits.Data() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("accuracy: the model's output for example %d of %s is not finite (logit %d is %g)", b.Indices[j/k], name, j%k, v)
		}
	}
	return nil
}

// Report is the result of Evaluate.
type Report struct {
	// Model names the model (its file), if the caller says.
	Model string `json:"model,omitempty"`
	// Data names the data set.
	Data string `json:"data"`
	// N is the number of examples evaluated, Correct those whose most
	// probable class (the first of ties) is their label.
	N       int `json:"n"`
	Correct int `json:"correct"`
	// Accuracy is Correct / N.
	Accuracy float64 `json:"accuracy"`
	// Loss is the mean cross-entropy of the softmax of the logits.
	Loss float64 `json:"loss"`
	// Seconds is the wall time of the evaluation.
	Seconds float64 `json:"seconds"`
}

// Evaluate returns m's accuracy and mean cross-entropy on ds (its first
// cfg.N examples, if set), the model in evaluation mode. A label outside
// the model's outputs is an error.
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, cfg Config) (*Report, error) {
	start := time.Now()
	rep := &Report{Data: ds.Info().Name}
	var lossSum float64
	err := Batches(ctx, m, ds, cfg, func(b *data.Batch, logits *autograd.Var) error {
		k := logits.Shape()[1]
		for i, y := range b.Labels {
			if y < 0 || y >= k {
				return fmt.Errorf("accuracy: example %d of %s has label %d, but the model has %d outputs", b.Indices[i], rep.Data, y, k)
			}
		}
		loss := autograd.CrossEntropy(logits, b.Labels, 0)
		lossSum += float64(loss.Value.Item()) * float64(len(b.Labels))
		for i, p := range logits.Value.ArgMax(1) {
			if p == b.Labels[i] {
				rep.Correct++
			}
		}
		rep.N += len(b.Labels)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Accuracy = float64(rep.Correct) / float64(rep.N)
	rep.Loss = lossSum / float64(rep.N)
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// WriteJSON writes the report to path, atomically, as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
