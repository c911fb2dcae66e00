package nn

import (
	"strconv"

	"github.com/robustlab/robustlab/autograd"
)

// Sequential runs its children in order; they are registered as "0", "1",
// ... as in PyTorch's nn.Sequential, so "layer1.0.conv1.weight" names the
// first block's convolution.
type Sequential struct {
	*Base
	layers []Module
}

// NewSequential returns the modules ms chained in order.
func NewSequential(ms ...Module) *Sequential {
	s := &Sequential{Base: NewBase()}
	for _, m := range ms {
		s.Append(m)
	}
	return s
}

// Append adds m at the end under the next index.
func (s *Sequential) Append(m Module) {
	s.Child(strconv.Itoa(len(s.layers)), m)
	s.layers = append(s.layers, m)
}

// Len is the number of modules.
func (s *Sequential) Len() int { return len(s.layers) }

// At returns the i-th module.
func (s *Sequential) At(i int) Module { return s.layers[i] }

// Forward runs every module in order, each through Call so hooks fire. A
// convolution followed by a batch norm, and a batch norm followed by a
// ReLU without hooks, run as fused operations (ConvBN,
// BatchNorm2d.CallAct), which give the same values.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	for i := 0; i < len(s.layers); i++ {
		m := s.layers[i]
		if conv, ok := m.(*Conv2d); ok && i+1 < len(s.layers) {
			if bn, ok := s.layers[i+1].(*BatchNorm2d); ok {
				relu := s.reluAt(i + 2)
				x = ConvBN(conv, bn, x, nil, relu)
				i++
				if relu {
					i++
				}
				continue
			}
		}
		if bn, ok := m.(*BatchNorm2d); ok && s.reluAt(i+1) {
			x = bn.CallAct(x, nil, true)
			i++
			continue
		}
		x = Call(m, x)
	}
	return x
}

// reluAt reports whether layer i is a ReLU without hooks, which a fused
// operation can take over.
func (s *Sequential) reluAt(i int) bool {
	if i >= len(s.layers) {
		return false
	}
	r, ok := s.layers[i].(*ReLU)
	return ok && len(r.hooks) == 0
}
