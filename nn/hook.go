package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/autograd"
)

// forwardHook is one function registered with OnForward; hooks are compared
// by pointer so that removing one never removes another with equal code.
type forwardHook struct {
	f func(out *autograd.Var)
}

// Call runs m.Forward(x) and then every hook registered on m with OnForward,
// and returns m's output. Composite modules (Sequential, every model in
// package models) run their children through Call, so that a hook sees the
// output of any submodule, which is how GradCAM reads "layer3".
func Call(m Module, x *autograd.Var) *autograd.Var {
	out := m.Forward(x)
	for _, h := range m.Core().hooks {
		h.f(out)
	}
	return out
}

// OnForward registers f to be called with m's output each time m runs
// through Call, and returns a function that removes the hook again.
func OnForward(m Module, f func(out *autograd.Var)) (remove func()) {
	b := m.Core()
	h := &forwardHook{f}
	b.hooks = append(b.hooks, h)
	return func() {
		if i := slices.Index(b.hooks, h); i >= 0 {
			b.hooks = slices.Delete(b.hooks, i, i+1)
		}
	}
}

// Modules returns m and every submodule with its dotted path ("" for m,
// "layer1", "layer1.0", "layer1.0.conv1", ...), depth first in registration
// order, as PyTorch's named_modules.
func Modules(m Module) []Named[Module] {
	var out []Named[Module]
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		out = append(out, Named[Module]{prefix, m})
		for _, c := range m.Core().children {
			walk(join(prefix, c.Name), c.Value)
		}
	}
	walk("", m)
	return out
}

// Lookup returns the submodule of m at a dotted path such as "layer3" or
// "layer1.0.conv1"; the empty path is m itself. The error for an unknown
// path lists the names that exist at the level where the path went wrong.
func Lookup(m Module, path string) (Module, error) {
	if path == "" {
		return m, nil
	}
	cur := m
	parts := strings.Split(path, ".")
	for i, p := range parts {
		var next Module
		var names []string
		for _, c := range cur.Core().children {
			names = append(names, c.Name)
			if c.Name == p {
				next = c.Value
			}
		}
		if next == nil {
			where := strings.Join(parts[:i], ".")
			if where == "" {
				where = "the model"
			}
			return nil, fmt.Errorf("nn: no submodule %q: %s has %s", path, where, listOrNone(names))
		}
		cur = next
	}
	return cur, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no submodules"
	}
	return "submodules " + strings.Join(names, ", ")
}

// Capture holds the most recent output of one submodule, recorded by a
// forward hook. Out is a Var on the tape of that forward: GradCAM asks
// Backward for its gradient. It is invalid after the tape's Reset.
type Capture struct {
	// Path is the submodule's dotted path.
	Path string
	// Out is the submodule's output in the latest forward through Call,
	// or nil before the first.
	Out    *autograd.Var
	remove func()
}

// NewCapture starts recording the output of the submodule of m at path.
// Call Remove when done, so later forwards stop recording.
func NewCapture(m Module, path string) (*Capture, error) {
	sub, err := Lookup(m, path)
	if err != nil {
		return nil, err
	}
	c := &Capture{Path: path}
	c.remove = OnForward(sub, func(out *autograd.Var) { c.Out = out })
	return c, nil
}

// Remove unregisters the capture's hook; Out keeps its last value.
func (c *Capture) Remove() { c.remove() }
