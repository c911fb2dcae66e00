package autograd

import (
	"unsafe"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// ConvBN is BatchNorm2dAct(Conv2d(x, w, nil, co), gamma, beta, runMean,
// runVar, residual, relu, bo), the convolution, batch norm, residual
// addition and ReLU that make up most of a CNN, as one operation. Its
// values are those of the separate operations, bit for bit; what it saves
// is memory traffic. Each image's convolution output is finished while it
// is in cache: in evaluation mode (fixed statistics) it goes straight
// through the batch norm, the residual and the ReLU into the result, and
// is not stored at all; in training mode its channel sums are taken there.
// In the backward pass the gradient that reaches the convolution is
// computed image by image as the convolution's backward consumes it,
// instead of being written whole and read back.
//
// It runs the direct convolution (see conv_direct.go); where that is not
// used, it records the separate operations instead.
func ConvBN(x, w *Var, co ConvOptions, gamma, beta *Var, runMean, runVar *tensor.Tensor, residual *Var, relu bool, bo BatchNormOptions) *Var {
	pl := newConvPlan(x.Shape(), w.Shape(), co)
	if !pl.dconv {
		return BatchNorm2dAct(Conv2d(x, w, nil, co), gamma, beta, runMean, runVar, residual, relu, bo)
	}
	tp := TapeOf(x, w, gamma, beta, residual)
	oh, ow := pl.geom.OutH(), pl.geom.OutW()
	shape := []int{pl.n, pl.cout, oh, ow}
	bn := newBNSpec(shape, gamma, beta, residual, runMean, runVar, relu, bo)
	c, hw := bn.c, bn.hw
	stats := tp.Scratch(2 * c)
	mean, rstd := stats[:c], stats[c:]
	xd, wd := x.Data(), w.Data()
	out := tp.ScratchTensor(shape...)
	yd := out.Data()
	bn.out = yd
	// conv is the convolution's output, kept in training mode only.
	var conv []float32
	if bn.batchStats {
		conv = tp.Scratch(len(yd))
		// sums[i*c+ch] and sums[(n+i)*c+ch]: the sum and the sum of
		// squares of channel ch of image i, added in image order below as
		// BatchNorm2d adds them.
		sums := float64Scratch(tp, 2*pl.n*c)
		pl.directForwardEach(xd, wd, func(i int, og outGrid) {
			for ch := 0; ch < c; ch++ {
				plane := conv[(i*c+ch)*hw : (i*c+ch+1)*hw]
				og.copyTo(ch, plane, oh, ow, false)
				sums[i*c+ch] = kernels.Sum(plane)
				sums[(pl.n+i)*c+ch] = kernels.SumSq(plane)
			}
		})
		kernels.ParallelFor(c, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var s, q float64
				for i := 0; i < pl.n; i++ {
					s += sums[i*c+ch]
					q += sums[(pl.n+i)*c+ch]
				}
				bn.setBatchStats(ch, s, q, mean, rstd)
				bn.apply(ch, yd, conv, mean, rstd)
			}
		})
	} else {
		scale, shift := tp.Scratch(c), tp.Scratch(c)
		for ch := 0; ch < c; ch++ {
			bn.setRunningStats(ch, mean, rstd)
			scale[ch], shift[ch] = bn.scaleShift(ch, mean, rstd)
		}
		pl.directForwardEach(xd, wd, func(i int, og outGrid) {
			for ch := 0; ch < c; ch++ {
				off := (i*c + ch) * hw
				var res []float32
				if bn.rd != nil {
					res = bn.rd[off : off+hw]
				}
				og.affine(ch, yd[off:off+hw], res, oh, ow, scale[ch], shift[ch], relu)
			}
		})
	}
	return tp.Record(out, func(o *Var) {
		convd := conv
		if convd == nil && gamma != nil && gamma.NeedsGrad() {
			// gamma's gradient in evaluation mode needs the
			// convolution's output, which was not kept: recompute it.
			convd = tp.Scratch(len(yd))
			pl.directForwardEach(xd, wd, func(i int, og outGrid) {
				for ch := 0; ch < c; ch++ {
					og.copyTo(ch, convd[(i*c+ch)*hw:(i*c+ch+1)*hw], oh, ow, false)
				}
			})
		}
		g := bn.backward(tp, o, mean, rstd, convd)
		dx, dw, fresh := convGrads(tp, x, w)
		if dx == nil && dw == nil {
			return
		}
		// The convolution's output gradient, image by image:
		// k1*dz - k2*conv + k0 per channel (k1*dz with fixed statistics).
		pl.directBackward(xd, wd, func(i int, buf []float32) []float32 {
			for ch := 0; ch < c; ch++ {
				off := (i*c + ch) * hw
				var mk, cv []float32
				if g.mask != nil {
					mk = g.mask[off : off+hw]
				}
				if bn.batchStats {
					cv = conv[off : off+hw]
				}
				kernels.NormGrad(buf[ch*hw:(ch+1)*hw], g.dy[off:off+hw], mk, cv, g.k1[ch], g.k2[ch], g.k0[ch], false)
			}
			return buf[:c*hw]
		}, dx, dw, fresh)
	}, bn.parents(x, w)...)
}

// float64Scratch returns a tape buffer of n float64s (a float32 buffer of
// twice the length, reinterpreted; recycled by Reset like any other).
func float64Scratch(tp *Tape, n int) []float64 {
	b := tp.Scratch(2 * n)
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
