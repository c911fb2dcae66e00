package autograd

import (
	"sync"

	"robustlab/internal/kernels"
)

// The convolution's direct path (kernels.DirectConv): the GEMMs of
// im2col + GEMM with the column matrix read in place from a zero-padded
// copy of the image, which costs one pass over the image where im2col
// writes KH*KW copies of it. It is taken where the kernels are vectorized
// (AVX-512), for ungrouped convolutions of a batch at least as large as
// the worker pool; elsewhere convPlan runs im2col + Sgemm.
//
// Forward and the data gradient (stride 1: the convolution of dy by the
// flipped kernel) lower one image at a time; the weight gradient lowers
// blocks of images (dconvBlock), so that its dot products run long.

// useDirectConv chooses the direct path where it is faster; the tests
// switch it to run both paths on the same shapes.
var useDirectConv = kernels.DirectConvAccelerated()

// dconvBlockTarget is the grid length a weight-gradient block aims for:
// long enough that the lanes of its dot products are summed rarely.
const dconvBlockTarget = 4096

// dconvBlock is the number of images a weight-gradient block of geometry
// g holds.
func dconvBlock(g kernels.ConvGeom) int {
	plane := ((g.H + 2*g.PadH + g.StrideH - 1) / g.StrideH) * ((g.W + 2*g.PadW + g.StrideW - 1) / g.StrideW)
	return min(16, max(1, (dconvBlockTarget+plane-1)/plane))
}

// directConvs caches lowerings by geometry and block size: a network's
// convolutions repeat theirs at every step.
var directConvs sync.Map // dconvKey -> *kernels.DirectConv

type dconvKey struct {
	g      kernels.ConvGeom
	images int
}

func directConv(g kernels.ConvGeom, images int) *kernels.DirectConv {
	k := dconvKey{g, images}
	if d, ok := directConvs.Load(k); ok {
		return d.(*kernels.DirectConv)
	}
	d, _ := directConvs.LoadOrStore(k, kernels.NewDirectConv(g, images))
	return d.(*kernels.DirectConv)
}

// copyGrid writes the valid outputs of one channel of a grid (rows of
// pitch) into the rows x cols plane dst, adding them to dst if add.
func copyGrid(dst, grid []float32, pitch, rows, cols int, add bool) {
	if add {
		kernels.AffineRows(dst, cols, grid, pitch, dst, cols, rows, cols, 1, 0, false)
		return
	}
	for y := 0; y < rows; y++ {
		copy(dst[y*cols:(y+1)*cols], grid[y*pitch:y*pitch+cols])
	}
}

// directForward is forward on the direct path, writing y.
func (pl *convPlan) directForward(x, w, b, y []float32) {
	oh, ow := pl.geom.OutH(), pl.geom.OutW()
	pl.directForwardEach(x, w, func(i int, grid []float32, pitch, gridLen int) {
		yi := y[i*pl.cout*pl.p : (i+1)*pl.cout*pl.p]
		for co := 0; co < pl.cout; co++ {
			g := grid[co*gridLen:]
			dst := yi[co*pl.p : (co+1)*pl.p]
			if b != nil {
				kernels.AffineRows(dst, ow, g, pitch, nil, 0, oh, ow, 1, b[co], false)
			} else {
				copyGrid(dst, g, pitch, oh, ow, false)
			}
		}
	})
}

// directForwardEach computes the output grid of every image on the direct
// path and hands it to epilogue, on the worker that computed it: output
// (co, oy, ox) of image i is grid[co*gridLen + oy*pitch + ox]. Fused
// operations finish the layer there while the grid is in cache.
func (pl *convPlan) directForwardEach(x, w []float32, epilogue func(i int, grid []float32, pitch, gridLen int)) {
	d := directConv(pl.geom, 1)
	packed := scratch.get(d.PackedLen(pl.cout))
	defer scratch.put(packed)
	d.PackWeights(packed, w, pl.cout)
	kernels.ParallelFor(pl.n, func(_, lo, hi int) {
		lowered := scratch.get(d.LoweredLen())
		grid := scratch.get(d.GridSize(pl.cout))
		defer scratch.put(lowered)
		defer scratch.put(grid)
		for i := lo; i < hi; i++ {
			d.Lower(lowered, x[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], 0)
			d.Forward(grid, packed, pl.cout, lowered, 0)
			epilogue(i, grid, d.GridPitch(), d.GridLen())
		}
	})
}

// gradSource gives the output gradient of image i, [Cout][OH][OW]: a slice
// of dy for a plain convolution, or computed into buf (of Cout*OH*OW
// floats, the calling worker's) by a fused operation whose convolution
// output's gradient is never stored whole.
type gradSource func(i int, buf []float32) []float32

// directBackward is backward on the direct path: dx (if not nil) and the
// workers' partial weight gradients (if dw is not nil), summed into dw in
// worker order. Images are taken in blocks (dconvBlock); each image's
// output gradient is asked of dyAt once.
func (pl *convPlan) directBackward(x, w []float32, dyAt gradSource, dx, dw []float32, dxFresh bool) {
	var dd *kernels.DirectConv // the data gradient's lowering, at stride 1
	var packedFlip []float32
	if dx != nil && pl.flipped {
		dd = directConv(pl.dgeom, 1)
		wf := scratch.get(len(w))
		pl.flipKernel(w, wf)
		packedFlip = scratch.get(dd.PackedLen(pl.cin))
		dd.PackWeights(packedFlip, wf, pl.cin)
		scratch.put(wf)
		defer scratch.put(packedFlip)
	}
	block := dconvBlock(pl.geom)
	parts := make([][]float32, kernels.Threads())
	var partLen, partPitch int
	if dw != nil {
		partLen = directConv(pl.geom, block).WeightGradLen(pl.cout)
		partPitch = directConv(pl.geom, block).WeightGradPitch()
	}
	kernels.ParallelFor(pl.n, func(chunk, lo, hi int) {
		buf := scratch.get(pl.cout * pl.p)
		defer scratch.put(buf)
		var dxs dataGradScratch
		defer dxs.put()
		var part []float32
		if dw != nil {
			part = scratch.get(partLen)
			clear(part)
			parts[chunk] = part
		}
		for b0 := lo; b0 < hi; b0 += block {
			var d *kernels.DirectConv
			var lowered, dyGrid []float32
			if dw != nil {
				d = directConv(pl.geom, min(block, hi-b0))
				lowered = scratch.get(d.LoweredLen())
				dyGrid = scratch.get(d.DotLen() * ((pl.cout + 7) / 8 * 8))
			}
			for i := b0; i < min(b0+block, hi); i++ {
				dyi := dyAt(i, buf)
				if dx != nil {
					dxi := dx[i*pl.cin*pl.plane : (i+1)*pl.cin*pl.plane]
					if dd != nil {
						pl.directDataGrad(dd, packedFlip, dyi, dxi, dxFresh, &dxs)
					} else {
						pl.gemmDataGrad(w, dyi, dxi, dxFresh, &dxs)
					}
				}
				if d != nil {
					d.Lower(lowered, x[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], i-b0)
					d.ExpandGrad(dyGrid, dyi, pl.cout, i-b0)
				}
			}
			if d != nil {
				acc := scratch.get(d.WeightGradScratchLen())
				d.WeightGrad(part, dyGrid, pl.cout, lowered, acc)
				scratch.put(acc)
				scratch.put(dyGrid)
				scratch.put(lowered)
			}
		}
	})
	if dw == nil {
		return
	}
	for _, part := range parts {
		if part == nil {
			continue
		}
		for co := 0; co < pl.cout; co++ {
			d := dw[co*pl.ckk : (co+1)*pl.ckk]
			kernels.Add(d, d, part[co*partPitch:co*partPitch+pl.ckk])
		}
		scratch.put(part)
	}
}

// dataGradScratch holds a worker's buffers for the data gradient, taken
// on first use.
type dataGradScratch struct{ a, b []float32 }

func (s *dataGradScratch) get(na, nb int) (a, b []float32) {
	if s.a == nil {
		s.a, s.b = scratch.get(na), scratch.get(nb)
	}
	return s.a, s.b
}

func (s *dataGradScratch) put() {
	if s.a != nil {
		scratch.put(s.a)
		scratch.put(s.b)
	}
}

// directDataGrad adds (or, if fresh, writes) the data gradient of one
// image at stride 1, dxi, the convolution of its output gradient dyi by
// the flipped kernel, lowered by dd.
func (pl *convPlan) directDataGrad(dd *kernels.DirectConv, packedFlip, dyi, dxi []float32, fresh bool, s *dataGradScratch) {
	lowered, grid := s.get(dd.LoweredLen(), dd.GridSize(pl.cin))
	dd.Lower(lowered, dyi, 0)
	dd.Forward(grid, packedFlip, pl.cin, lowered, 0)
	h, wd := pl.geom.H, pl.geom.W
	for c := 0; c < pl.cin; c++ {
		copyGrid(dxi[c*pl.plane:(c+1)*pl.plane], grid[c*dd.GridLen():], dd.GridPitch(), h, wd, !fresh)
	}
}

// gemmDataGrad is the data gradient of one image as w^T dy followed by
// col2im, for the strided convolutions whose data gradient is not a
// convolution.
func (pl *convPlan) gemmDataGrad(w, dyi, dxi []float32, fresh bool, s *dataGradScratch) {
	var beta float32 = 1
	if fresh {
		beta = 0
	}
	if pl.direct { // 1x1, stride 1: the columns are the image
		kernels.SgemmSerial(true, false, pl.ckk, pl.p, pl.cout, 1, w, pl.ckk, dyi, pl.p, beta, dxi, pl.p)
		return
	}
	dcol, _ := s.get(pl.ckk*pl.p, 0)
	kernels.SgemmSerial(true, false, pl.ckk, pl.p, pl.cout, 1, w, pl.ckk, dyi, pl.p, 0, dcol, pl.p)
	if fresh {
		clear(dxi)
	}
	kernels.Col2im(pl.geom, dcol, dxi)
}
