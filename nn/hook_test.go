package nn

import (
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// hookNet is built from layers whose forward needs no pending autograd op.
func hookNet() *Sequential {
	inner := NewSequential(NewPadShortcut(2, 1, 1), NewIdentity())
	return NewSequential(NewNormalize([]float32{0.5, 0.5}, []float32{0.25, 0.25}), inner)
}

func TestModulesAndLookup(t *testing.T) {
	m := hookNet()
	var paths []string
	for _, s := range Modules(m) {
		paths = append(paths, s.Name)
	}
	if got := strings.Join(paths, ","); got != ",0,1,1.0,1.1" {
		t.Fatalf("Modules paths %q", got)
	}
	sub, err := Lookup(m, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sub.(*PadShortcut); !ok {
		t.Fatalf("Lookup(1.0) = %T", sub)
	}
	if root, _ := Lookup(m, ""); root != Module(m) {
		t.Fatal("Lookup of the empty path is not the model")
	}
	_, err = Lookup(m, "1.7")
	if err == nil || !strings.Contains(err.Error(), `"1.7"`) || !strings.Contains(err.Error(), "submodules 0, 1") {
		t.Fatalf("Lookup of a missing path: %v", err)
	}
	if _, err = Lookup(m, "1.0.x"); err == nil || !strings.Contains(err.Error(), "no submodules") {
		t.Fatalf("Lookup below a leaf: %v", err)
	}
}

func TestCapture(t *testing.T) {
	m := hookNet()
	c, err := NewCapture(m, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	remove := OnForward(m.At(0), func(*autograd.Var) { calls++ })

	tp := autograd.NewTape()
	x := tp.Input(tensor.RandU(tensor.NewRNG(4), 0, 1, 2, 2, 4, 4))
	out := m.Forward(x)
	if c.Out == nil || !tensor.SameShape(c.Out.Shape(), []int{2, 4, 2, 2}) {
		t.Fatalf("captured %v", c.Out)
	}
	// The Identity after the capture point returns the captured Var itself.
	if c.Out != out {
		t.Fatal("the captured output is not the Var the next layer received")
	}
	// The gradient with respect to the capture is what GradCAM reads.
	r := tensor.RandN(tensor.NewRNG(5), 0, 1, out.Shape()...)
	tp.BackwardWith(out, r, c.Out)
	for i, v := range r.Data() {
		if c.Out.Grad.Data()[i] != v {
			t.Fatalf("gradient at the capture [%d] = %g, want %g", i, c.Out.Grad.Data()[i], v)
		}
	}
	if calls != 1 {
		t.Fatalf("hook on the first layer ran %d times", calls)
	}
	remove()
	c.Remove()
	c.Out = nil
	m.Forward(x)
	if calls != 1 || c.Out != nil {
		t.Fatal("removed hooks still ran")
	}
}
