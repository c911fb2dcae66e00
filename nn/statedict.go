package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/tensor"
)

// StateDict returns every parameter and buffer of m by full name, as
// PyTorch's state_dict: the tensors are m's own (not copies), so a caller
// that keeps them across training steps clones them.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, p := range Parameters(m) {
		sd[p.Name] = p.Value.Value
	}
	for _, b := range Buffers(m) {
		sd[b.Name] = b.Value
	}
	return sd
}

// NumParams is the number of trainable scalars of m (parameters, not
// buffers), the figure papers quote ("ResNet-50, 25.6M parameters").
func NumParams(m Module) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.Value.Value.Len()
	}
	return n
}

// ShapeMismatch is a tensor whose shape in a state dict differs from the
// model's.
type ShapeMismatch struct {
	Name        string
	Model, Dict []int
}

// StateDictError reports why a state dict does not fit a model: the names
// the model has and the dict lacks, the names the dict has and the model
// lacks, and the tensors of different shapes.
type StateDictError struct {
	Missing, Unexpected []string
	Mismatched          []ShapeMismatch
}

// Error lists the shape mismatches, then the missing and unexpected names.
func (e *StateDictError) Error() string {
	var parts []string
	for _, m := range e.Mismatched {
		parts = append(parts, fmt.Sprintf("tensor %q has shape %s in the state dict, %s in the model",
			m.Name, tensor.FormatShape(m.Dict), tensor.FormatShape(m.Model)))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+quoteList(e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+quoteList(e.Unexpected))
	}
	return "state dict does not fit the model: " + strings.Join(parts, "; ")
}

// quoteList quotes names, eliding the middle of a long list.
func quoteList(names []string) string {
	const most = 8
	q := make([]string, 0, most+1)
	for i, n := range names {
		if i == most {
			q = append(q, fmt.Sprintf("and %d more", len(names)-most))
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}

// LoadStateDict copies sd into m's parameters and buffers. Every name of m
// must be in sd with the same shape and sd must hold nothing else; otherwise
// m is left unchanged and the error is a *StateDictError naming every
// missing and unexpected tensor and every shape mismatch with both shapes.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor) error {
	own := StateDict(m)
	e := &StateDictError{}
	for name, t := range own {
		src, ok := sd[name]
		switch {
		case !ok || src == nil:
			e.Missing = append(e.Missing, name)
		case !tensor.SameShape(src.Shape(), t.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{name, t.Shape(), src.Shape()})
		}
	}
	for name := range sd {
		if _, ok := own[name]; !ok {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) > 0 {
		slices.Sort(e.Missing)
		slices.Sort(e.Unexpected)
		slices.SortFunc(e.Mismatched, func(a, b ShapeMismatch) int { return strings.Compare(a.Name, b.Name) })
		return e
	}
	for name, t := range own {
		t.CopyFrom(sd[name])
	}
	return nil
}
