package autograd

import (
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// TestBackwardRecyclesGradients: along a chain, an intermediate gradient
// goes back to the tape once its operation has run, so that the tape holds
// a few gradient buffers rather than one per value; the targets, an
// intermediate one included, keep theirs.
func TestBackwardRecyclesGradients(t *testing.T) {
	const n, depth = 1000, 20
	tp := NewTape()
	for round := 0; round < 2; round++ {
		tp.Reset()
		x := tp.Input(randT(1, -1, 1, n))
		v := x
		var mid *Var
		for i := 0; i < depth; i++ {
			v = Scale(v, 1.5)
			if i == depth/2 {
				mid = v
			}
		}
		seed := tensor.Full(1, n)
		tp.BackwardWith(v, seed, x, mid)
		for _, node := range tp.nodes {
			if node != x && node != mid && node.Grad != nil {
				t.Fatal("an intermediate gradient outlived Backward")
			}
		}
		want := float32(1)
		for i := 0; i < depth; i++ {
			want *= 1.5
		}
		for i, g := range x.Grad.Data() {
			if g != want {
				t.Fatalf("round %d: dx[%d] = %g, want %g", round, i, g, want)
			}
		}
		if mid.Grad == nil {
			t.Fatal("the intermediate target lost its gradient")
		}
	}
	tp.Reset()
	// Values: the input is the caller's; depth outputs and the seed's
	// copy come from the tape. Gradients: at most a few at a time.
	if got := len(tp.free[n]); got > depth+4 {
		t.Fatalf("the tape holds %d buffers of %d floats for %d values: gradients are not recycled", got, n, depth)
	}
}

// TestAddPassesGradient: x + x and chains of additions, where the output's
// gradient buffer becomes an input's, still give exact gradients, and an
// earlier Backward's target gradient stays valid after a later Backward.
func TestAddPassesGradient(t *testing.T) {
	tp := NewTape()
	a := tp.Input(randT(1, -1, 1, 4))
	b := tp.Input(randT(2, -1, 1, 4))
	y := Add(Add(a, a), Mul(a, b)) // dy/da = 2 + b, dy/db = a
	seed := tensor.Full(1, 4)
	tp.BackwardWith(y, seed, a, b)
	first := a.Grad
	for i := range 4 {
		if want := 2 + b.Value.Data()[i]; a.Grad.Data()[i] != want {
			t.Fatalf("da[%d] = %g, want %g", i, a.Grad.Data()[i], want)
		}
		if want := a.Value.Data()[i]; b.Grad.Data()[i] != want {
			t.Fatalf("db[%d] = %g, want %g", i, b.Grad.Data()[i], want)
		}
	}
	saved := append([]float32(nil), first.Data()...)
	tp.BackwardWith(y, seed, b)
	for i, v := range first.Data() {
		if v != saved[i] {
			t.Fatal("a second Backward overwrote the first one's target gradient")
		}
	}
}
