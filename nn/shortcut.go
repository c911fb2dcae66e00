package nn

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// PadShortcut is the parameter-free shortcut of He et al. 2016 (sec. 4.2,
// option A) for a residual block that changes shape: it keeps every
// Stride-th pixel in each direction (x[:, :, ::s, ::s]) and adds Before
// zero channels in front and After behind, so x [N,C,H,W] becomes
// [N, Before+C+After, ceil(H/s), ceil(W/s)]. The common PyTorch CIFAR ResNet
// writes it as F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4)).
type PadShortcut struct {
	*Base
	// Stride is the subsampling step (1 keeps every pixel).
	Stride int
	// Before and After are the numbers of zero channels added.
	Before, After int
}

// NewPadShortcut returns an option-A shortcut.
func NewPadShortcut(stride, before, after int) *PadShortcut {
	if stride < 1 || before < 0 || after < 0 {
		panic(fmt.Sprintf("nn: NewPadShortcut: stride %d, padding %d+%d", stride, before, after))
	}
	return &PadShortcut{Base: NewBase(), Stride: stride, Before: before, After: after}
}

// Forward subsamples and pads x [N,C,H,W]; the gradient flows back to the
// kept pixels only.
func (p *PadShortcut) Forward(x *autograd.Var) *autograd.Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "nn.PadShortcut", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	s := p.Stride
	oc, oh, ow := p.Before+c+p.After, (h+s-1)/s, (w+s-1)/s
	tp := autograd.TapeOf(x)
	out := tp.Tensor(n, oc, oh, ow) // zeroed: the padded channels stay 0
	xd, od := x.Data(), out.Data()
	// rows calls f once per kept row with the offsets of its first source
	// and output pixels; the pixels of a row are src+k*s and dst+k.
	rows := func(f func(src, dst int)) {
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				src := (i*c + ch) * h * w
				dst := (i*oc + p.Before + ch) * oh * ow
				for y := 0; y < oh; y++ {
					f(src+y*s*w, dst+y*ow)
				}
			}
		}
	}
	rows(func(src, dst int) {
		for k := range ow {
			od[dst+k] = xd[src+k*s]
		}
	})
	return tp.Record(out, func(o *autograd.Var) {
		if !x.NeedsGrad() {
			return
		}
		g, xg := o.Grad.Data(), tp.GradOf(x).Data()
		rows(func(src, dst int) {
			for k := range ow {
				xg[src+k*s] += g[dst+k]
			}
		})
	}, x)
}
