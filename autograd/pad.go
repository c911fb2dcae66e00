package autograd

import (
	"fmt"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// PadMode selects Pad2d's fill.
type PadMode int

// Padding modes.
const (
	// ZeroPad fills with zeros (PyTorch's ZeroPad2d).
	ZeroPad PadMode = iota
	// ReflectPad mirrors the image about its edge rows and columns, the
	// edge itself not repeated (PyTorch's ReflectionPad2d): each pad must
	// be smaller than the padded dimension.
	ReflectPad
)

// Pad2d pads x [N,C,H,W] by top, bottom, left, right (non-negative), giving
// [N,C,H+top+bottom,W+left+right]. Invalid pads panic with a message naming
// them and the shape.
func Pad2d(x *Var, top, bottom, left, right int, mode PadMode) *Var {
	tp := TapeOf(x)
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "Pad2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	h, w := xs[2], xs[3]
	if top < 0 || bottom < 0 || left < 0 || right < 0 || (mode != ZeroPad && mode != ReflectPad) {
		panic(fmt.Sprintf("autograd: Pad2d: pads (top %d, bottom %d, left %d, right %d) must be non-negative and mode (%d) zero or reflect", top, bottom, left, right, mode))
	}
	if mode == ReflectPad && (top >= h || bottom >= h || left >= w || right >= w) {
		panic(fmt.Sprintf("autograd: Pad2d: reflection pads (top %d, bottom %d, left %d, right %d) must be smaller than the input's %dx%d", top, bottom, left, right, h, w))
	}
	pd := padPlan{h: h, w: w, top: top, left: left, right: right, reflect: mode == ReflectPad}
	pd.oh, pd.ow = h+top+bottom, w+left+right
	planes := xs[0] * xs[1]
	out := tp.ScratchTensor(xs[0], xs[1], pd.oh, pd.ow)
	xd, yd := x.Data(), out.Data()
	kernels.ParallelFor(planes, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			pd.forward(xd[p*h*w:(p+1)*h*w], yd[p*pd.oh*pd.ow:(p+1)*pd.oh*pd.ow])
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		dx, dy := tp.GradOf(x).Data(), o.Grad.Data()
		kernels.ParallelFor(planes, func(_, lo, hi int) {
			for p := lo; p < hi; p++ {
				pd.backward(dy[p*pd.oh*pd.ow:(p+1)*pd.oh*pd.ow], dx[p*h*w:(p+1)*h*w])
			}
		})
	}, x)
}

// padPlan pads one plane of h x w into oh x ow.
type padPlan struct {
	h, w, oh, ow     int
	top, left, right int
	reflect          bool
}

// srcRow is the input row that output row oy shows, or -1 for zeros.
func (pd *padPlan) srcRow(oy int) int {
	iy := oy - pd.top
	switch {
	case iy >= 0 && iy < pd.h:
		return iy
	case !pd.reflect:
		return -1
	case iy < 0:
		return -iy
	default:
		return 2*(pd.h-1) - iy
	}
}

func (pd *padPlan) forward(x, y []float32) {
	for oy := 0; oy < pd.oh; oy++ {
		yr := y[oy*pd.ow : (oy+1)*pd.ow]
		iy := pd.srcRow(oy)
		if iy < 0 {
			clear(yr)
			continue
		}
		xr := x[iy*pd.w : (iy+1)*pd.w]
		copy(yr[pd.left:pd.left+pd.w], xr)
		if !pd.reflect {
			clear(yr[:pd.left])
			clear(yr[pd.left+pd.w:])
			continue
		}
		for j := 0; j < pd.left; j++ {
			yr[j] = xr[pd.left-j]
		}
		for j := 0; j < pd.right; j++ {
			yr[pd.left+pd.w+j] = xr[pd.w-2-j]
		}
	}
}

// backward adds the adjoint of forward: every output's gradient goes to the
// input element it shows (zeros take none).
func (pd *padPlan) backward(dy, dx []float32) {
	for oy := 0; oy < pd.oh; oy++ {
		iy := pd.srcRow(oy)
		if iy < 0 {
			continue
		}
		gr := dy[oy*pd.ow : (oy+1)*pd.ow]
		xr := dx[iy*pd.w : (iy+1)*pd.w]
		kernels.Add(xr, xr, gr[pd.left:pd.left+pd.w])
		if !pd.reflect {
			continue
		}
		for j := 0; j < pd.left; j++ {
			xr[pd.left-j] += gr[j]
		}
		for j := 0; j < pd.right; j++ {
			xr[pd.w-2-j] += gr[pd.left+pd.w+j]
		}
	}
}
