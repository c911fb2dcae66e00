package autograd

import (
	"sync"

	"github.com/robustlab/robustlab/internal/kernels"
)

// The convolution's direct path (kernels.DirectConv): the GEMMs of
// im2col + GEMM with the column matrix read in place from a zero-padded
// copy of the image, which costs one pass over the image where im2col
// writes KH*KW copies of it. It is taken where the kernels are vectorized
// (AVX-512), for ungrouped convolutions of a batch at least as large as
// the worker pool; elsewhere convPlan runs im2col + Sgemm.
//
// 3x3 convolutions of stride 1 with an even output (most of a ResNet's)
// run their forward pass and their data gradient (the convolution of dy by
// the flipped kernel) as Winograd F(2x2, 3x3) (kernels.Winograd), in
// blocks of a few images; the others lower one image at a time. The
// weight gradient lowers blocks of images (dconvBlock), so that its dot
// products run long.

// useDirectConv chooses the direct path where it is faster; the tests
// switch it to run both paths on the same shapes.
var useDirectConv = kernels.DirectConvAccelerated()

// useWinograd chooses Winograd where it fits (on the direct path); the
// tests switch it off to run the direct kernels on the same shapes.
var useWinograd = true

// dconvBlockTarget is the grid length a weight-gradient block aims for:
// long enough that the lanes of its dot products are summed rarely.
const dconvBlockTarget = 4096

// phasePlane is the size of a stride phase of g's padded input.
func phasePlane(g kernels.ConvGeom, sh, sw int) int {
	return ((g.H + 2*g.PadH + sh - 1) / sh) * ((g.W + 2*g.PadW + sw - 1) / sw)
}

// dconvBlock is the number of images a weight-gradient block of geometry
// g holds.
func dconvBlock(g kernels.ConvGeom) int {
	plane := phasePlane(g, g.StrideH, g.StrideW)
	return min(16, max(1, (dconvBlockTarget+plane-1)/plane))
}

// winoBlock is the number of images a Winograd block of geometry g (to
// cout channels) holds: about 256 tiles, as long as the lowered block and
// its output stay within a quarter of a MiB each.
func winoBlock(g kernels.ConvGeom, cout int) int {
	plane := phasePlane(g, 2, 2)
	return max(1, min((256+plane-1)/plane, (1<<16)/(4*plane*max(g.C, cout))))
}

// winoWorthIt reports whether Winograd beats the direct kernels for a
// convolution from cin to cout channels (and its data gradient, from cout
// to cin): its GEMMs reduce over cin channels where the direct ones reduce
// over 9*cin taps, and below 16 the micro-kernel's fixed costs eat the
// saving (the first layer, 3 channels to 16, runs 2.3 times slower).
func winoWorthIt(cin, cout int) bool { return cin >= 16 && cout >= 16 }

// lowerings caches DirectConv and Winograd lowerings by geometry and block
// size: a network's convolutions repeat theirs at every step.
var lowerings sync.Map // lowerKey -> *kernels.DirectConv or *kernels.Winograd

type lowerKey struct {
	g      kernels.ConvGeom
	images int
	wino   bool
}

func directConv(g kernels.ConvGeom, images int) *kernels.DirectConv {
	return lowering(lowerKey{g, images, false}, func() *kernels.DirectConv { return kernels.NewDirectConv(g, images) })
}

func winograd(g kernels.ConvGeom, images int) *kernels.Winograd {
	return lowering(lowerKey{g, images, true}, func() *kernels.Winograd { return kernels.NewWinograd(g, images) })
}

// lowering returns the cached plan for k, building it on first use.
func lowering[T any](k lowerKey, build func() T) T {
	if v, ok := lowerings.Load(k); ok {
		return v.(T)
	}
	v, _ := lowerings.LoadOrStore(k, build())
	return v.(T)
}

// outGrid is where a convolution left one image's outputs: output (co, oy,
// ox) is at grid[co*chanLen + off + (oy%2)*half + (oy/2)*pitch + ox]. The
// direct kernels' grids have rows pitch/2 apart (half = pitch/2); the
// Winograd kernels write even and odd rows to two streams.
type outGrid struct {
	grid                      []float32
	chanLen, off, half, pitch int
}

// directGrid is the outGrid of a DirectConv grid.
func directGrid(grid []float32, d *kernels.DirectConv) outGrid {
	return outGrid{grid: grid, chanLen: d.GridLen(), half: d.GridPitch(), pitch: 2 * d.GridPitch()}
}

// winoGrid is the outGrid of image j of a Winograd output.
func winoGrid(out []float32, w *kernels.Winograd, j int) outGrid {
	off, chanLen, half, pitch := w.Output(j)
	return outGrid{grid: out, chanLen: chanLen, off: off, half: half, pitch: pitch}
}

// rows calls f for the runs of output rows of channel ch of an h x w
// output: f(src, pitch, y0, step, n) for rows y0, y0+step, ... (n of them),
// the first at src and the next each pitch further.
func (g outGrid) rows(ch, h int, f func(src []float32, pitch, y0, step, n int)) {
	base := g.grid[ch*g.chanLen+g.off:]
	if 2*g.half == g.pitch {
		f(base, g.half, 0, 1, h)
		return
	}
	f(base, g.pitch, 0, 2, (h+1)/2)
	if h > 1 {
		f(base[g.half:], g.pitch, 1, 2, h/2)
	}
}

// affine writes channel ch into the h x w plane dst as AffineRows does:
// dst = act(out*a + b (+ res)), res an h x w plane or nil.
func (g outGrid) affine(ch int, dst, res []float32, h, w int, a, b float32, relu bool) {
	g.rows(ch, h, func(src []float32, pitch, y0, step, n int) {
		var r []float32
		if res != nil {
			r = res[y0*w:]
		}
		kernels.AffineRows(dst[y0*w:], step*w, src, pitch, r, step*w, n, w, a, b, relu)
	})
}

// copyTo writes channel ch into the h x w plane dst, or adds it to dst.
func (g outGrid) copyTo(ch int, dst []float32, h, w int, add bool) {
	g.rows(ch, h, func(src []float32, pitch, y0, step, n int) {
		if add {
			kernels.AffineRows(dst[y0*w:], step*w, src, pitch, dst[y0*w:], step*w, n, w, 1, 0, false)
			return
		}
		for k := 0; k < n; k++ {
			y := y0 + k*step
			copy(dst[y*w:(y+1)*w], src[k*pitch:k*pitch+w])
		}
	})
}

// directForward is forward on the direct path, writing y.
func (pl *convPlan) directForward(x, w, b, y []float32) {
	oh, ow := pl.geom.OutH(), pl.geom.OutW()
	pl.directForwardEach(x, w, func(i int, g outGrid) {
		yi := y[i*pl.cout*pl.p : (i+1)*pl.cout*pl.p]
		for co := 0; co < pl.cout; co++ {
			dst := yi[co*pl.p : (co+1)*pl.p]
			if b != nil {
				g.affine(co, dst, nil, oh, ow, 1, b[co], false)
			} else {
				g.copyTo(co, dst, oh, ow, false)
			}
		}
	})
}

// directForwardEach computes the outputs of every image on the direct path
// and hands them to epilogue, on the worker that computed them. Fused
// operations finish the layer there while the outputs are in cache.
func (pl *convPlan) directForwardEach(x, w []float32, epilogue func(i int, g outGrid)) {
	if pl.wino {
		pl.winoEach(x, w, epilogue)
		return
	}
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
			epilogue(i, directGrid(grid, d))
		}
	})
}

// winoEach runs the forward convolution as Winograd F(2x2, 3x3) over the
// images of x in blocks, on the worker pool, handing each image's outputs
// to epilogue.
func (pl *convPlan) winoEach(x, w []float32, epilogue func(i int, og outGrid)) {
	block := winoBlock(pl.geom, pl.cout)
	packed := scratch.get(winograd(pl.geom, block).PackedLen(pl.cout))
	defer scratch.put(packed)
	winograd(pl.geom, block).PackWeights(packed, w, pl.cout)
	imgLen := pl.cin * pl.plane
	kernels.ParallelFor(pl.n, func(_, lo, hi int) {
		for b0 := lo; b0 < hi; b0 += block {
			pl.winoBlock(winograd(pl.geom, min(block, hi-b0)), packed, pl.cout, b0,
				func(i int) []float32 { return x[i*imgLen : (i+1)*imgLen] }, epilogue)
		}
	})
}

// winoBlock lowers the images [b0, b0+wn.Images()) given by img, convolves
// them, and hands each image's outputs to epilogue.
func (pl *convPlan) winoBlock(wn *kernels.Winograd, packed []float32, cout, b0 int, img func(i int) []float32, epilogue func(i int, og outGrid)) {
	lowered := scratch.get(wn.LoweredLen())
	out := scratch.get(wn.OutputLen(cout))
	ws := scratch.get(wn.ScratchLen(cout))
	for j := 0; j < wn.Images(); j++ {
		wn.Lower(lowered, img(b0+j), j)
	}
	wn.Forward(out, packed, cout, lowered, ws)
	for j := 0; j < wn.Images(); j++ {
		epilogue(b0+j, winoGrid(out, wn, j))
	}
	scratch.put(ws)
	scratch.put(out)
	scratch.put(lowered)
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
	wino := dx != nil && pl.flipped && pl.wino && kernels.WinogradFits(pl.dgeom)
	// Winograd takes the data gradient in blocks of wblock images, whose
	// output gradients must stay at hand until the block is convolved.
	wblock := 1
	var wfull *kernels.Winograd
	if dx != nil && pl.flipped {
		wf := scratch.get(len(w))
		pl.flipKernel(w, wf)
		if wino {
			wblock = winoBlock(pl.dgeom, pl.cin)
			wfull = winograd(pl.dgeom, wblock)
			packedFlip = scratch.get(wfull.PackedLen(pl.cin))
			wfull.PackWeights(packedFlip, wf, pl.cin)
		} else {
			dd = directConv(pl.dgeom, 1)
			packedFlip = scratch.get(dd.PackedLen(pl.cin))
			dd.PackWeights(packedFlip, wf, pl.cin)
		}
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
	yLen := pl.cout * pl.p
	kernels.ParallelFor(pl.n, func(chunk, lo, hi int) {
		buf := scratch.get(wblock * yLen)
		defer scratch.put(buf)
		var dxs dataGradScratch
		defer dxs.put()
		var part []float32
		if dw != nil {
			part = scratch.get(partLen)
			clear(part)
			parts[chunk] = part
		}
		// The output gradients of the pending Winograd block, by image.
		pending := make([][]float32, 0, wblock)
		flush := func(next int) {
			if len(pending) == 0 {
				return
			}
			b0 := next - len(pending)
			wn := winograd(pl.dgeom, len(pending))
			pl.winoBlock(wn, packedFlip, pl.cin, b0, func(i int) []float32 { return pending[i-b0] }, func(i int, og outGrid) {
				dxi := dx[i*pl.cin*pl.plane : (i+1)*pl.cin*pl.plane]
				for c := 0; c < pl.cin; c++ {
					og.copyTo(c, dxi[c*pl.plane:(c+1)*pl.plane], pl.geom.H, pl.geom.W, !dxFresh)
				}
			})
			pending = pending[:0]
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
				dyi := dyAt(i, buf[len(pending)*yLen:(len(pending)+1)*yLen])
				switch {
				case wino:
					pending = append(pending, dyi)
				case dx != nil && dd != nil:
					pl.directDataGrad(dd, packedFlip, dyi, dx[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], dxFresh, &dxs)
				case dx != nil:
					pl.gemmDataGrad(w, dyi, dx[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], dxFresh, &dxs)
				}
				if d != nil {
					d.Lower(lowered, x[i*pl.cin*pl.plane:(i+1)*pl.cin*pl.plane], i-b0)
					d.ExpandGrad(dyGrid, dyi, pl.cout, i-b0)
				}
				if len(pending) == wblock {
					flush(i + 1)
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
		flush(hi)
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
	og := directGrid(grid, dd)
	for c := 0; c < pl.cin; c++ {
		og.copyTo(c, dxi[c*pl.plane:(c+1)*pl.plane], pl.geom.H, pl.geom.W, !fresh)
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
