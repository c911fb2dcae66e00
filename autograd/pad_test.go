package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// refPad pads planes of h x w by index arithmetic: reflection as the
// period-2(n-1) mirror sequence 0,1,...,n-1,n-2,...,1 extended both ways.
func refPad(x []float64, planes, h, w, top, bottom, left, right int, reflect bool) []float64 {
	mirror := func(i, n int) (int, bool) {
		if i >= 0 && i < n {
			return i, true
		}
		if !reflect {
			return 0, false
		}
		period := 2 * (n - 1)
		i = ((i % period) + period) % period
		if i >= n {
			i = period - i
		}
		return i, true
	}
	oh, ow := h+top+bottom, w+left+right
	out := make([]float64, planes*oh*ow)
	for p := 0; p < planes; p++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				iy, okY := mirror(oy-top, h)
				ix, okX := mirror(ox-left, w)
				if okY && okX {
					out[(p*oh+oy)*ow+ox] = x[(p*h+iy)*w+ix]
				}
			}
		}
	}
	return out
}

func TestGradPad2d(t *testing.T) {
	for k, c := range []struct {
		h, w, top, bottom, left, right int
		mode                           PadMode
	}{
		{4, 5, 1, 1, 1, 1, ZeroPad},
		{3, 4, 2, 0, 0, 3, ZeroPad},
		{4, 5, 1, 1, 1, 1, ReflectPad},
		{5, 4, 3, 2, 1, 3, ReflectPad},
		{2, 2, 1, 1, 1, 1, ReflectPad},
		{3, 3, 0, 0, 0, 0, ReflectPad},
	} {
		gc := gradCase{
			name:   fmt.Sprintf("%dx%d pad (%d,%d,%d,%d) mode %d", c.h, c.w, c.top, c.bottom, c.left, c.right, c.mode),
			inputs: []*tensor.Tensor{randT(uint64(k+1), -1, 1, 2, 3, c.h, c.w)},
			build: func(in []*Var) *Var {
				return Pad2d(in[0], c.top, c.bottom, c.left, c.right, c.mode)
			},
			ref: func(in [][]float64) []float64 {
				return refPad(in[0], 6, c.h, c.w, c.top, c.bottom, c.left, c.right, c.mode == ReflectPad)
			},
		}
		t.Run(gc.name, func(t *testing.T) { checkGrad(t, gc) })
	}
}

func TestGradUpsampleNearest2d(t *testing.T) {
	for _, s := range []int{1, 2, 3} {
		h, w := 3, 4
		gc := gradCase{
			name:   fmt.Sprintf("scale %d", s),
			inputs: []*tensor.Tensor{randT(uint64(s), -1, 1, 2, 2, h, w)},
			build:  func(in []*Var) *Var { return UpsampleNearest2d(in[0], s) },
			ref: func(in [][]float64) []float64 {
				oh, ow := h*s, w*s
				out := make([]float64, 4*oh*ow)
				for i := range out {
					p, rem := i/(oh*ow), i%(oh*ow)
					oy, ox := rem/ow, rem%ow
					out[i] = in[0][(p*h+oy/s)*w+ox/s]
				}
				return out
			},
		}
		t.Run(gc.name, func(t *testing.T) { checkGrad(t, gc) })
	}
}

func TestPadUpsampleBadOptions(t *testing.T) {
	for _, c := range []struct {
		name, op string
		f        func(x *Var)
	}{
		{"negative pad", "Pad2d", func(x *Var) { Pad2d(x, -1, 0, 0, 0, ZeroPad) }},
		{"reflect pad as large as the input", "Pad2d", func(x *Var) { Pad2d(x, 0, 0, 3, 0, ReflectPad) }},
		{"unknown mode", "Pad2d", func(x *Var) { Pad2d(x, 1, 1, 1, 1, PadMode(7)) }},
		{"zero scale", "UpsampleNearest2d", func(x *Var) { UpsampleNearest2d(x, 0) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if msg := fmt.Sprint(recover()); !strings.Contains(msg, c.op) {
					t.Fatalf("panic %q, want one naming %s", msg, c.op)
				}
			}()
			c.f(NewTape().Input(randT(1, -1, 1, 1, 2, 3, 3)))
		})
	}
}
