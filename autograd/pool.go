package autograd

import (
	"fmt"
	"unsafe"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// PoolOptions are a square pooling window, its stride and zero padding
// (PyTorch's meanings). Stride 0 means Stride = Kernel, PyTorch's default.
// Padding may be at most Kernel/2, as in PyTorch.
type PoolOptions struct {
	Kernel, Stride, Padding int
}

// poolGeom is the shape of a windowed pooling of x [N,C,H,W] into
// [N,C,OH,OW]; every (image, channel) plane is pooled independently.
type poolGeom struct {
	planes, h, w, oh, ow int
	// k, s, p: window, stride, padding; k == 0 for adaptive bins.
	k, s, p int
}

func newPoolGeom(op string, xs []int, o PoolOptions) poolGeom {
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: op + " input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	s := o.Stride
	if s == 0 {
		s = o.Kernel
	}
	if o.Kernel < 1 || s < 1 || o.Padding < 0 || o.Padding > o.Kernel/2 {
		panic(fmt.Sprintf("autograd: %s: invalid options %+v: kernel and stride must be positive, padding between 0 and kernel/2", op, o))
	}
	g := poolGeom{planes: xs[0] * xs[1], h: xs[2], w: xs[3], k: o.Kernel, s: s, p: o.Padding}
	if xs[2]+2*o.Padding < o.Kernel || xs[3]+2*o.Padding < o.Kernel {
		panic(fmt.Sprintf("autograd: %s: input %s padded by %d is smaller than the %dx%d window", op, tensor.FormatShape(xs), o.Padding, o.Kernel, o.Kernel))
	}
	g.oh = (g.h+2*g.p-g.k)/g.s + 1
	g.ow = (g.w+2*g.p-g.k)/g.s + 1
	return g
}

// rows returns the input rows [lo, hi) of output row oy, clipped to the
// image (padding holds no values); cols likewise for columns.
func (g *poolGeom) rows(oy int) (lo, hi int) { return g.bin(oy, g.h, g.oh) }
func (g *poolGeom) cols(ox int) (lo, hi int) { return g.bin(ox, g.w, g.ow) }

func (g *poolGeom) bin(o, in, out int) (lo, hi int) {
	if g.k == 0 {
		// PyTorch's adaptive bins: [floor(o*in/out), ceil((o+1)*in/out)).
		return o * in / out, ((o+1)*in + out - 1) / out
	}
	lo = o*g.s - g.p
	return max(lo, 0), min(lo+g.k, in)
}

// divisor is the number a window's sum is divided by: the full window
// including padding for fixed windows (count_include_pad=True), the bin's
// area for adaptive ones.
func (g *poolGeom) divisor(ylo, yhi, xlo, xhi int) float32 {
	if g.k == 0 {
		return float32((yhi - ylo) * (xhi - xlo))
	}
	return float32(g.k * g.k)
}

// MaxPool2d takes the maximum over each window of x [N,C,H,W], giving
// [N,C,OH,OW] with OH = (H + 2*Padding - Kernel)/Stride + 1; padding is
// never the maximum. A NaN in a window is its maximum, as in PyTorch. The
// position of each maximum is cached for the backward pass, which routes
// each output's gradient to it.
func MaxPool2d(x *Var, o PoolOptions) *Var {
	tp := TapeOf(x)
	g := newPoolGeom("MaxPool2d", x.Shape(), o)
	out := tp.ScratchTensor(x.Shape()[0], x.Shape()[1], g.oh, g.ow)
	arg := int32Scratch(tp, out.Len())
	xd, yd := x.Data(), out.Data()
	op := g.oh * g.ow
	// The common 2x2 window of stride 2 has a vectorized kernel.
	pool2x2 := g.k == 2 && g.s == 2 && g.p == 0
	kernels.ParallelFor(g.planes, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			if pool2x2 {
				kernels.MaxPool2x2(yd[pl*op:(pl+1)*op], arg[pl*op:(pl+1)*op], xd[pl*g.h*g.w:(pl+1)*g.h*g.w], g.h, g.w)
				continue
			}
			xp := xd[pl*g.h*g.w : (pl+1)*g.h*g.w]
			for oy := 0; oy < g.oh; oy++ {
				ylo, yhi := g.rows(oy)
				for ox := 0; ox < g.ow; ox++ {
					xlo, xhi := g.cols(ox)
					bi := ylo*g.w + xlo
					best := xp[bi]
					for iy := ylo; iy < yhi; iy++ {
						row := xp[iy*g.w : (iy+1)*g.w]
						for ix := xlo; ix < xhi; ix++ {
							if v := row[ix]; v > best || v != v {
								best, bi = v, iy*g.w+ix
							}
						}
					}
					k := pl*op + oy*g.ow + ox
					yd[k], arg[k] = best, int32(bi)
				}
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		dxt, fresh := tp.GradFor(x)
		dx, dy := dxt.Data(), o.Grad.Data()
		kernels.ParallelFor(g.planes, func(_, lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				dxp := dx[pl*g.h*g.w : (pl+1)*g.h*g.w]
				if fresh {
					clear(dxp)
				}
				for k := pl * op; k < (pl+1)*op; k++ {
					dxp[arg[k]] += dy[k]
				}
			}
		})
	}, x)
}

// AvgPool2d averages each window of x [N,C,H,W], giving [N,C,OH,OW] with OH
// as MaxPool2d's; padding counts as zeros in the average (PyTorch's default
// count_include_pad=True).
func AvgPool2d(x *Var, o PoolOptions) *Var {
	return avgPool(x, newPoolGeom("AvgPool2d", x.Shape(), o))
}

// AdaptiveAvgPool2d averages x [N,C,H,W] into [N,C,oh,ow] with PyTorch's
// bin boundaries: output row i covers input rows [floor(i*H/oh),
// ceil((i+1)*H/oh)), and columns alike.
func AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "AdaptiveAvgPool2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd: AdaptiveAvgPool2d: output size %dx%d must be positive", oh, ow))
	}
	return avgPool(x, poolGeom{planes: xs[0] * xs[1], h: xs[2], w: xs[3], oh: oh, ow: ow})
}

func avgPool(x *Var, g poolGeom) *Var {
	tp := TapeOf(x)
	out := tp.ScratchTensor(x.Shape()[0], x.Shape()[1], g.oh, g.ow)
	xd, yd := x.Data(), out.Data()
	op := g.oh * g.ow
	kernels.ParallelFor(g.planes, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp := xd[pl*g.h*g.w : (pl+1)*g.h*g.w]
			for oy := 0; oy < g.oh; oy++ {
				ylo, yhi := g.rows(oy)
				for ox := 0; ox < g.ow; ox++ {
					xlo, xhi := g.cols(ox)
					var s float32
					for iy := ylo; iy < yhi; iy++ {
						for _, v := range xp[iy*g.w+xlo : iy*g.w+xhi] {
							s += v
						}
					}
					yd[pl*op+oy*g.ow+ox] = s / g.divisor(ylo, yhi, xlo, xhi)
				}
			}
		}
	})
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		dx, dy := tp.GradOf(x).Data(), o.Grad.Data()
		kernels.ParallelFor(g.planes, func(_, lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				dxp := dx[pl*g.h*g.w : (pl+1)*g.h*g.w]
				for oy := 0; oy < g.oh; oy++ {
					ylo, yhi := g.rows(oy)
					for ox := 0; ox < g.ow; ox++ {
						xlo, xhi := g.cols(ox)
						v := dy[pl*op+oy*g.ow+ox] / g.divisor(ylo, yhi, xlo, xhi)
						for iy := ylo; iy < yhi; iy++ {
							row := dxp[iy*g.w+xlo : iy*g.w+xhi]
							for j := range row {
								row[j] += v
							}
						}
					}
				}
			}
		})
	}, x)
}

// GlobalAvgPool2d averages x [N,C,H,W] over space into [N,C] (each mean
// accumulated in float64).
func GlobalAvgPool2d(x *Var) *Var {
	tp := TapeOf(x)
	xs := x.Shape()
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "GlobalAvgPool2d input (want [N,C,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	hw := xs[2] * xs[3]
	out := tp.ScratchTensor(xs[0], xs[1])
	xd, yd := x.Data(), out.Data()
	for pl := range yd {
		yd[pl] = float32(kernels.Sum(xd[pl*hw:(pl+1)*hw]) / float64(hw))
	}
	return tp.Record(out, func(o *Var) {
		if !x.NeedsGrad() {
			return
		}
		dx, dy := tp.GradOf(x).Data(), o.Grad.Data()
		inv := 1 / float32(hw)
		for pl, g := range dy {
			v := g * inv
			row := dx[pl*hw : (pl+1)*hw]
			for j := range row {
				row[j] += v
			}
		}
	}, x)
}

// int32Scratch returns a tape buffer of n int32s (the float32 buffer
// reinterpreted: same size, recycled by Reset like any other).
func int32Scratch(tp *Tape, n int) []int32 {
	b := tp.Scratch(n)
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
