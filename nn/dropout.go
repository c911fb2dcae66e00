package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/robustlab/robustlab/autograd"
)

// Dropout zeroes each element with probability P in training mode and
// scales the others by 1/(1-P) (Srivastava et al. 2014, inverted dropout as
// PyTorch's nn.Dropout); in evaluation mode it is the identity.
//
// Its random draws come from a generator the owner supplies: the training
// loop calls SetRNG(model, rng) with its own seeded generator, whose state it
// checkpoints, so a resumed run draws the same masks; package models gives
// every model a generator derived from Options.Seed at construction, so a
// model is deterministic even when nobody calls SetRNG.
type Dropout struct {
	*Base
	// P is the probability of zeroing an element, in [0, 1).
	P   float32
	rng *rand.Rand
}

// NewDropout returns a dropout layer with probability p, in [0, 1).
func NewDropout(p float32) *Dropout {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("nn: NewDropout: probability %g outside [0, 1)", p))
	}
	return &Dropout{Base: NewBase(), P: p}
}

// SetRNG sets the generator the masks are drawn from.
func (d *Dropout) SetRNG(rng *rand.Rand) { d.rng = rng }

// Forward drops elements of x in training mode.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if !d.Training() || d.P == 0 {
		return x
	}
	if d.rng == nil {
		panic("nn: Dropout in training mode has no random generator; call nn.SetRNG on the model first")
	}
	return autograd.Dropout(x, d.P, true, d.rng)
}

// RandomModule is a module that draws random numbers in its forward pass
// (Dropout) and takes its generator from its owner.
type RandomModule interface {
	Module
	SetRNG(rng *rand.Rand)
}

// SetRNG gives rng to every RandomModule in m. The modules share it and draw
// from it in forward order, so one seeded generator fixes every mask of a
// training run.
func SetRNG(m Module, rng *rand.Rand) {
	for _, sub := range Modules(m) {
		if r, ok := sub.Value.(RandomModule); ok {
			r.SetRNG(rng)
		}
	}
}
