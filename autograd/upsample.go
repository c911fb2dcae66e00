package autograd

import (
	"fmt"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// UpsampleNearest2d repeats every pixel of x [N,C,H,W] scale x scale times,
// giving [N,C,H*scale,W*scale] (PyTorch's nearest upsampling with an
// integer scale factor). Its gradient sums each scale x scale block.
func UpsampleNearest2d(x *Var, scale int) *Var {
	tp := TapeOf(x)
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "UpsampleNearest2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	if scale < 1 {
		panic(fmt.Sprintf("autograd: UpsampleNearest2d: scale %d must be positive", scale))
	}
	planes, h, w := xs[0]*xs[1], xs[2], xs[3]
	oh, ow := h*scale, w*scale
	out := tp.ScratchTensor(xs[0], xs[1], oh, ow)
	xd, yd := x.Data(), out.Data()
	kernels.ParallelFor(planes, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			for oy := 0; oy < oh; oy++ {
				xr := xd[(p*h+oy/scale)*w:][:w]
				yr := yd[(p*oh+oy)*ow:][:ow]
				for ix, v := range xr {
					blk := yr[ix*scale : (ix+1)*scale]
					for j := range blk {
						blk[j] = v
					}
				}
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		dx, dy := tp.GradOf(x).Data(), o.Grad.Data()
		kernels.ParallelFor(planes, func(_, lo, hi int) {
			for p := lo; p < hi; p++ {
				for oy := 0; oy < oh; oy++ {
					xr := dx[(p*h+oy/scale)*w:][:w]
					gr := dy[(p*oh+oy)*ow:][:ow]
					for ix := range xr {
						var s float32
						for _, g := range gr[ix*scale : (ix+1)*scale] {
							s += g
						}
						xr[ix] += s
					}
				}
			}
		})
	}, x)
}
