package nn

import (
	"strconv"

	"robustlab/autograd"
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
// batch norm followed by a ReLU without hooks runs as one fused operation
// (BatchNorm2d.CallAct), which gives the same values.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	for i := 0; i < len(s.layers); i++ {
		m := s.layers[i]
		if bn, ok := m.(*BatchNorm2d); ok && i+1 < len(s.layers) {
			if r, ok := s.layers[i+1].(*ReLU); ok && len(r.hooks) == 0 {
				x = bn.CallAct(x, nil, true)
				i++
				continue
			}
		}
		x = Call(m, x)
	}
	return x
}
