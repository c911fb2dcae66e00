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

// directForward is forward on the direct path.
func (pl *convPlan) directForward(x, w, b, y []float32) {
	d := directConv(pl.geom, 1)
	packed := scratch.get(d.PackedLen(pl.cout))
	defer scratch.put(packed)
	d.PackWeights(packed, w, pl.cout)
	oh, ow := pl.geom.OutH(), pl.geom.OutW()
	kernels.ParallelFor(pl.n, func(_, lo, hi int) {
		lowered := scratch.get(d.LoweredLen())
		grid := scratch.get(d.GridSize(pl.cout))
		defer scratch.put(lowered)
		defer scratch.put(grid)
		for i := lo; i < hi; i++ {
			d.Lower(lowered, x[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], 0)
			d.Forward(grid, packed, pl.cout, lowered, 0)
			yi := y[i*pl.cout*pl.p : (i+1)*pl.cout*pl.p]
			for co := 0; co < pl.cout; co++ {
				g := grid[co*d.GridLen():]
				dst := yi[co*pl.p : (co+1)*pl.p]
				if b != nil {
					kernels.AffineRows(dst, ow, g, d.GridPitch(), nil, 0, oh, ow, 1, b[co], false)
				} else {
					copyGrid(dst, g, d.GridPitch(), oh, ow, false)
				}
			}
		}
	})
}

// directBackward is backward on the direct path: dx (if not nil) and the
// worker's partial weight gradients (if dw is not nil), summed into dw in
// worker order.
func (pl *convPlan) directBackward(x, w, dy, dx, dw []float32, dxFresh bool) {
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
		if dx != nil {
			if dd != nil {
				pl.directDataGrad(dd, packedFlip, dy, dx, dxFresh, lo, hi)
			} else {
				pl.gemmDataGrad(w, dy, dx, dxFresh, lo, hi)
			}
		}
		if dw == nil {
			return
		}
		part := scratch.get(partLen)
		clear(part)
		parts[chunk] = part
		for b0 := lo; b0 < hi; b0 += block {
			d := directConv(pl.geom, min(block, hi-b0))
			lowered := scratch.get(d.LoweredLen())
			dyGrid := scratch.get(d.DotLen() * ((pl.cout + 7) / 8 * 8))
			acc := scratch.get(d.WeightGradScratchLen())
			for j := 0; j < d.Images(); j++ {
				i := b0 + j
				d.Lower(lowered, x[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], j)
				d.ExpandGrad(dyGrid, dy[i*pl.cout*pl.p:(i+1)*pl.cout*pl.p], pl.cout, j)
			}
			d.WeightGrad(part, dyGrid, pl.cout, lowered, acc)
			scratch.put(acc)
			scratch.put(dyGrid)
			scratch.put(lowered)
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

// directDataGrad is the data gradient of images [lo, hi) at stride 1: the
// convolution of dy by the flipped kernel, lowered by dd.
func (pl *convPlan) directDataGrad(dd *kernels.DirectConv, packedFlip, dy, dx []float32, fresh bool, lo, hi int) {
	lowered := scratch.get(dd.LoweredLen())
	grid := scratch.get(dd.GridSize(pl.cin))
	defer scratch.put(lowered)
	defer scratch.put(grid)
	h, wd := pl.geom.H, pl.geom.W
	for i := lo; i < hi; i++ {
		dd.Lower(lowered, dy[i*pl.cout*pl.p:(i+1)*pl.cout*pl.p], 0)
		dd.Forward(grid, packedFlip, pl.cin, lowered, 0)
		dxi := dx[i*pl.cin*pl.plane : (i+1)*pl.cin*pl.plane]
		for c := 0; c < pl.cin; c++ {
			copyGrid(dxi[c*pl.plane:(c+1)*pl.plane], grid[c*dd.GridLen():], dd.GridPitch(), h, wd, !fresh)
		}
	}
}

// gemmDataGrad is the data gradient of images [lo, hi) as w^T dy followed
// by col2im, for the strided convolutions whose data gradient is not a
// convolution.
func (pl *convPlan) gemmDataGrad(w, dy, dx []float32, fresh bool, lo, hi int) {
	dcol := scratch.get(pl.ckk * pl.p)
	defer scratch.put(dcol)
	for i := lo; i < hi; i++ {
		dxi := dx[i*pl.cin*pl.plane : (i+1)*pl.cin*pl.plane]
		if pl.direct { // 1x1, stride 1: the columns are the image
			var beta float32 = 1
			if fresh {
				beta = 0
			}
			kernels.SgemmSerial(true, false, pl.ckk, pl.p, pl.cout, 1, w, pl.ckk, dy[i*pl.cout*pl.p:], pl.p, beta, dxi, pl.p)
			continue
		}
		kernels.SgemmSerial(true, false, pl.ckk, pl.p, pl.cout, 1, w, pl.ckk, dy[i*pl.cout*pl.p:], pl.p, 0, dcol, pl.p)
		if fresh {
			clear(dxi)
		}
		kernels.Col2im(pl.geom, dcol, dxi)
	}
}
