// Package autograd is robustlab's reverse-mode automatic differentiation:
// operations on Vars are recorded on a Tape as they run, and Tape.Backward
// walks the record backwards, each operation adding its contribution to the
// gradients of its inputs (as in micrograd, over tensors).
//
// Gradients are computed only where they are asked for: Backward(loss, wrt...)
// first marks the recorded operations that lie between the requested leaves
// and the loss, and an operation computes the gradient of an input only if
// that input is marked. An attack asks for the input image only and pays for
// no weight gradients.
//
// Memory: a Tape owns the buffers of every value and gradient it records.
// Reset returns them to the Tape's free lists, so a training loop that reuses
// one Tape allocates nothing in steady state. Values taken from a Tape are
// invalid after Reset; Clone what must outlive it. Backward keeps the
// gradient of an intermediate result only while it is needed: once the
// operation that produced it has passed it on, its buffer goes back to the
// free lists for the gradients still to come (the Backward targets keep
// theirs), so a backward pass holds a few gradients at a time, not one per
// recorded value.
package autograd

import (
	"fmt"

	"github.com/robustlab/robustlab/tensor"
)

// Var is a tensor in a recorded computation: a leaf (an input, a constant or
// a parameter) or the result of an operation.
type Var struct {
	// Value is the tensor this Var holds.
	Value *tensor.Tensor
	// Grad is d(loss)/d(Value) after Backward, or nil if it was not needed.
	Grad *tensor.Tensor

	parents []*Var
	back    func() // adds this Var's Grad into its parents' grads
	tape    *Tape  // nil for parameters
	param   bool
	frozen  bool // parameter excluded from Backward's default targets
	need    bool // set by Backward: a gradient must flow here
	target  bool // set by Backward: a target, whose Grad outlives the call
	// gradSlot is 1 + the index in tape.used of the buffer of Grad when
	// this Var owns it (0 otherwise), so that it can be recycled early.
	gradSlot int
}

// Shape is the shape of the Var's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Data returns the value's elements.
func (v *Var) Data() []float32 { return v.Value.Data() }

// NeedsGrad reports whether the current Backward needs this Var's gradient.
// Operations consult it before computing the gradient of an input.
func (v *Var) NeedsGrad() bool { return v.need }

// NewParam returns a trainable parameter holding t. Parameters live outside
// tapes; their Grad accumulates over Backward calls until ZeroGrad.
func NewParam(t *tensor.Tensor) *Var { return &Var{Value: t, param: true} }

// IsParam reports whether v is a parameter.
func (v *Var) IsParam() bool { return v.param }

// SetFrozen excludes (or re-includes) a parameter from Backward's default
// targets, as requires_grad=False does in PyTorch.
func (v *Var) SetFrozen(f bool) { v.frozen = f }

// Frozen reports whether a parameter is frozen.
func (v *Var) Frozen() bool { return v.frozen }

// ZeroGrad drops a parameter's accumulated gradient (zeroing it in place).
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Fill(0)
	}
}

// Tape records operations for one forward and backward pass.
type Tape struct {
	nodes []*Var
	free  map[int][][]float32
	// used lists the buffers lent until Reset; an entry is nil once its
	// buffer came back early (a gradient recycled during Backward).
	used [][]float32
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{free: map[int][][]float32{}} }

// Reset forgets every recorded operation and recycles their buffers. Vars
// and tensors obtained from the tape must not be used afterwards.
func (tp *Tape) Reset() {
	for _, b := range tp.used {
		if b != nil {
			tp.free[len(b)] = append(tp.free[len(b)], b)
		}
	}
	tp.used = tp.used[:0]
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
}

// Buffer returns a zeroed buffer of n floats owned by the tape until Reset.
func (tp *Tape) Buffer(n int) []float32 {
	b := tp.Scratch(n)
	clear(b)
	return b
}

// Scratch returns a buffer of n floats owned by the tape until Reset, with
// unspecified contents: the caller overwrites every element.
func (tp *Tape) Scratch(n int) []float32 {
	var b []float32
	if l := tp.free[n]; len(l) > 0 {
		b = l[len(l)-1]
		tp.free[n] = l[:len(l)-1]
	} else {
		b = make([]float32, n)
	}
	tp.used = append(tp.used, b)
	return b
}

// Tensor returns a zeroed tensor owned by the tape until Reset.
func (tp *Tape) Tensor(shape ...int) *tensor.Tensor {
	return tensor.FromSlice(tp.Buffer(tensor.Numel(shape)), shape...)
}

// ScratchTensor returns a tensor owned by the tape with unspecified contents.
func (tp *Tape) ScratchTensor(shape ...int) *tensor.Tensor {
	return tensor.FromSlice(tp.Scratch(tensor.Numel(shape)), shape...)
}

// Input records t as a leaf whose gradient can be asked for (an image under
// attack, or any other input). t is not copied.
func (tp *Tape) Input(t *tensor.Tensor) *Var {
	v := &Var{Value: t, tape: tp}
	tp.nodes = append(tp.nodes, v)
	return v
}

// Const records t as a leaf; it is Input under another name for readability
// (a constant simply never appears in Backward's targets).
func (tp *Tape) Const(t *tensor.Tensor) *Var { return tp.Input(t) }

// Record adds the result of an operation: out's value, the inputs it was
// computed from, and back, which reads out.Grad and adds to the gradient of
// every input p with p.NeedsGrad(), through GradOf(p). Operations in this
// package and in others (nn layers that fuse work) use it.
func (tp *Tape) Record(value *tensor.Tensor, back func(out *Var), parents ...*Var) *Var {
	out := &Var{Value: value, tape: tp, parents: parents}
	out.back = func() { back(out) }
	tp.nodes = append(tp.nodes, out)
	return out
}

// GradOf returns p's gradient buffer to accumulate into, allocating a zeroed
// one on first use (from the tape for recorded Vars, on the heap for
// parameters).
func (tp *Tape) GradOf(p *Var) *tensor.Tensor {
	g, fresh := tp.GradFor(p)
	if fresh {
		clear(g.Data())
	}
	return g
}

// GradFor is GradOf for an operation that can write its contribution
// rather than add it: when fresh is true, the buffer was just allocated
// with unspecified contents and the caller must set every element (a GEMM
// with beta = 0, a copy); otherwise it adds to g as with GradOf. Zeroing a
// buffer only to add into it once costs a pass over memory that the first
// writer saves.
func (tp *Tape) GradFor(p *Var) (g *tensor.Tensor, fresh bool) {
	if p.Grad != nil {
		return p.Grad, false
	}
	if p.param {
		p.Grad = tensor.New(p.Value.Shape()...)
		return p.Grad, false // already zero: adding is as cheap
	}
	b := tp.Scratch(p.Value.Len())
	p.gradSlot = len(tp.used)
	p.Grad = tensor.FromSlice(b, p.Value.Shape()...)
	return p.Grad, true
}

// PassGrad makes out's gradient, unchanged, the gradient of p, when p has
// none yet and out's buffer is free to give away (out is on the tape and
// not a Backward target): an identity-like operation (an addition, a
// reshape) then passes its gradient on without copying it. It reports
// whether it did; if not, the caller adds out's gradient to p's.
func (tp *Tape) PassGrad(out, p *Var) bool {
	if p.Grad != nil || p.param || out.target || out.gradSlot == 0 || out.Grad.Len() != p.Value.Len() {
		return false
	}
	p.Grad = tensor.FromSlice(out.Grad.Data(), p.Value.Shape()...)
	p.gradSlot, out.gradSlot = out.gradSlot, 0
	return true
}

// releaseGrad drops v's gradient after its operation has run, recycling
// the buffer if v owns it.
func (tp *Tape) releaseGrad(v *Var) {
	if s := v.gradSlot; s > 0 {
		b := tp.used[s-1]
		tp.used[s-1] = nil
		tp.free[len(b)] = append(tp.free[len(b)], b)
		v.gradSlot = 0
	}
	v.Grad = nil
}

// TapeOf returns the tape of the first input that has one, or panics: an
// operation needs at least one input on a tape (parameters alone are not).
func TapeOf(vs ...*Var) *Tape {
	for _, v := range vs {
		if v != nil && v.tape != nil {
			return v.tape
		}
	}
	panic("autograd: operation has no input on a tape; bring one onto a tape with Tape.Input")
}

// Backward computes d(out)/d(v) for every v in wrt, or, if wrt is empty, for
// every unfrozen parameter the computation of out used. out must hold one
// element. Parameters' gradients accumulate across calls (until ZeroGrad);
// the gradients of Vars on the tape, inputs included, are those of this call
// only. Intermediate gradients are computed only on paths from wrt to out,
// and only the targets' are kept: other Vars' Grad is nil afterwards.
func (tp *Tape) Backward(out *Var, wrt ...*Var) {
	if out.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward needs a one-element output, got shape %s", tensor.FormatShape(out.Shape())))
	}
	seed := tp.Tensor(out.Shape()...)
	seed.Fill(1)
	tp.BackwardWith(out, seed, wrt...)
}

// BackwardWith is Backward for an output of any shape, given d(loss)/d(out).
func (tp *Tape) BackwardWith(out *Var, gradOut *tensor.Tensor, wrt ...*Var) {
	if !tensor.SameShape(out.Shape(), gradOut.Shape()) {
		panic(&tensor.ShapeError{Op: "BackwardWith", Got: gradOut.Shape(), Expected: out.Shape()})
	}
	// Mark what needs a gradient: the targets, then every recorded result
	// with a marked input (the tape is in execution order, hence topological).
	explicit := map[*Var]bool{}
	for _, v := range wrt {
		explicit[v] = true
	}
	mark := func(v *Var) {
		if len(wrt) > 0 {
			v.need = explicit[v]
		} else {
			v.need = v.param && !v.frozen
		}
	}
	for _, n := range tp.nodes {
		// Gradients of recorded Vars are per Backward call; a previous
		// call's stay valid (their buffers return at Reset).
		n.Grad, n.gradSlot = nil, 0
		n.target = explicit[n]
		if n.back == nil {
			mark(n)
			continue
		}
		n.need = explicit[n] // an intermediate result asked for, as GradCAM's activations
		for _, p := range n.parents {
			if p.tape == nil { // a parameter: not on the tape
				mark(p)
			}
			if p.need {
				n.need = true
			}
		}
	}
	if !out.need {
		return
	}
	if g, fresh := tp.GradFor(out); fresh {
		copy(g.Data(), gradOut.Data())
	} else {
		g.AddInPlace(gradOut)
	}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		if n.back != nil && n.need && n.Grad != nil {
			n.back()
			if !n.target {
				tp.releaseGrad(n)
			}
		}
	}
	for _, n := range tp.nodes {
		for _, p := range n.parents {
			p.need = false
		}
		n.target = false
	}
}
