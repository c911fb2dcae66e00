package autograd

import (
	"fmt"
	"sync"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/robustlab/robustlab/tensor"
)

// ConvOptions are Conv2d's stride, zero padding, dilation and groups
// (PyTorch's meanings). Zero values mean stride 1, padding 0, dilation 1,
// groups 1.
type ConvOptions struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
}

// Conv2d is a 2-D cross-correlation: x [N,Cin,H,W], w [Cout,Cin/Groups,KH,KW],
// b [Cout] or nil; the result is [N,Cout,OH,OW] with
// OH = (H + 2*Padding[0] - Dilation[0]*(KH-1) - 1)/Stride[0] + 1 (OW alike).
//
// It is lowered to im2col + GEMM per image, the images of the batch in
// parallel (see convPlan). Nothing is cached for the backward pass: the
// column matrices are rebuilt there, so inference pays for none of it. A
// shape that does not fit the options panics with a *tensor.ShapeError,
// invalid options with a message naming them.
func Conv2d(x, w, b *Var, o ConvOptions) *Var {
	tp := TapeOf(x, w, b)
	pl := newConvPlan(x.Shape(), w.Shape(), o)
	if b != nil && !tensor.SameShape(b.Shape(), []int{pl.cout}) {
		panic(&tensor.ShapeError{Op: "Conv2d bias", Got: b.Shape(), Expected: []int{pl.cout}})
	}
	out := tp.ScratchTensor(pl.n, pl.cout, pl.geom.OutH(), pl.geom.OutW())
	var bd []float32
	parents := []*Var{x, w}
	if b != nil {
		bd = b.Data()
		parents = append(parents, b)
	}
	pl.forward(x.Data(), w.Data(), bd, out.Data())
	return tp.Record(out, func(o *Var) {
		dx, dw, fresh := convGrads(tp, x, w)
		if dx != nil || dw != nil {
			pl.backward(x.Data(), w.Data(), o.Grad.Data(), dx, dw, fresh)
		}
		if b != nil && b.NeedsGrad() {
			pl.backwardBias(o.Grad.Data(), tp.GradOf(b).Data())
		}
	}, parents...)
}

// convPlan is the lowering of one convolution's shapes: everything forward
// and backward need to know, computed once per call. Each image i and group
// g is an independent problem on contiguous slices:
//
//	x_ig [CinG, H*W]   w_g [CoutG, CinG*KH*KW]   y_ig [CoutG, OH*OW]
//	col_ig = im2col(x_ig)                      [CinG*KH*KW, OH*OW]
//	y_ig   = w_g col_ig (+ b)                  forward
//	dx_ig += col2im(w_g^T dy_ig)               backward, data
//	dw_g  += dy_ig col_ig^T                    backward, weight
//
// For stride 1 with padding at most the dilated kernel's reach (the usual
// "same" convolutions) the data gradient is itself a convolution, of dy
// with the kernel flipped and its channels swapped (w'), padded by
// dilation*(K-1) - padding:
//
//	dx_ig += w'_g im2col'(dy_ig)               w'_g [CinG, CoutG*KH*KW]
//
// which accumulates straight into dx: it replaces col2im's scattered
// read-add-write of a column matrix by im2col's plain copies, and its GEMM
// has the long reduction (CoutG*KH*KW) the micro-kernel prefers.
//
// The weight gradient is computed transposed, dw_g^T += col_ig dy_ig^T, so
// that the GEMM packs the small dy_ig transposed rather than the large
// column matrix (a strided transpose is the expensive way to pack); the
// partials are transposed back when they are summed.
//
// Images are split over the workers of kernels.ParallelFor with a fixed
// partition; each worker has its own column buffer and its own partial
// weight gradient, and the partials are summed in worker order, so results
// are bit-identical run to run (for a given kernels.Threads()). A batch
// smaller than the worker count (one image to explain or stylize) instead
// runs each GEMM on all workers.
type convPlan struct {
	n, groups   int
	cin, cout   int
	cinG, coutG int
	// geom is one group of one image: geom.C == cinG.
	geom kernels.ConvGeom
	// plane is H*W, p is OH*OW, ckk is CinG*KH*KW.
	plane, p, ckk int
	// direct: a 1x1, stride-1, unpadded kernel, whose column matrix is the
	// image itself, so no im2col is done.
	direct bool
	// depthwise: one input channel per group (and several groups), where a
	// GEMM would have a reduction of only KH*KW and no reuse to win: a
	// direct loop is faster. Its work is split over (image, group) pairs.
	depthwise bool
	// flipped: the data gradient is the convolution of dy by w' over
	// dgeom (one group of dy: dgeom.C == coutG, output H x W).
	flipped bool
	dgeom   kernels.ConvGeom
	// dconv: the direct path of conv_direct.go computes this convolution;
	// wino: as Winograd F(2x2, 3x3).
	dconv, wino bool
	// gemm is kernels.SgemmSerial when the images keep every worker busy,
	// else the parallel kernels.Sgemm.
	gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

func newConvPlan(xs, ws []int, o ConvOptions) convPlan {
	if len(xs) != 4 {
		panic(&tensor.ShapeError{Op: "Conv2d input (want [N,Cin,H,W])", Got: xs, Expected: []int{-1, -1, -1, -1}})
	}
	if len(ws) != 4 {
		panic(&tensor.ShapeError{Op: "Conv2d weight (want [Cout,Cin/Groups,KH,KW])", Got: ws, Expected: []int{-1, -1, -1, -1}})
	}
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	sh, sw := def(o.Stride[0], 1), def(o.Stride[1], 1)
	dh, dw := def(o.Dilation[0], 1), def(o.Dilation[1], 1)
	ph, pw := o.Padding[0], o.Padding[1]
	groups := def(o.Groups, 1)
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 || ph < 0 || pw < 0 || groups < 1 {
		panic(fmt.Sprintf("autograd: Conv2d: invalid options %+v: stride and dilation must be positive, padding non-negative, groups positive", o))
	}
	n, cin, h, wd := xs[0], xs[1], xs[2], xs[3]
	cout, kh, kw := ws[0], ws[2], ws[3]
	if cin%groups != 0 || cout%groups != 0 {
		panic(fmt.Sprintf("autograd: Conv2d: groups %d must divide input channels %d and output channels %d", groups, cin, cout))
	}
	if want := []int{cout, cin / groups, kh, kw}; ws[1] != cin/groups || kh < 1 || kw < 1 {
		panic(&tensor.ShapeError{Op: fmt.Sprintf("Conv2d weight for input %s, groups %d", tensor.FormatShape(xs), groups), Got: ws, Expected: want})
	}
	g := kernels.ConvGeom{
		C: cin / groups, H: h, W: wd, KH: kh, KW: kw,
		StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw,
	}
	if h+2*ph < dh*(kh-1)+1 || wd+2*pw < dw*(kw-1)+1 {
		panic(fmt.Sprintf("autograd: Conv2d: input %s padded by %dx%d is smaller than the %dx%d kernel dilated by %dx%d",
			tensor.FormatShape(xs), ph, pw, kh, kw, dh, dw))
	}
	pl := convPlan{
		n: n, groups: groups, cin: cin, cout: cout,
		cinG: cin / groups, coutG: cout / groups,
		geom: g, plane: h * wd, p: g.OutH() * g.OutW(), ckk: g.ColRows(),
	}
	pl.direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0
	pl.depthwise = pl.cinG == 1 && groups > 1
	if !pl.direct && !pl.depthwise && sh == 1 && sw == 1 && ph <= dh*(kh-1) && pw <= dw*(kw-1) {
		pl.flipped = true
		pl.dgeom = kernels.ConvGeom{
			C: pl.coutG, H: g.OutH(), W: g.OutW(), KH: kh, KW: kw,
			StrideH: 1, StrideW: 1, PadH: dh*(kh-1) - ph, PadW: dw*(kw-1) - pw, DilH: dh, DilW: dw,
		}
	}
	pl.gemm = kernels.SgemmSerial
	if n < kernels.Threads() {
		pl.gemm = kernels.Sgemm
	}
	pl.dconv = useDirectConv && groups == 1 && n >= kernels.Threads()
	pl.wino = pl.dconv && useWinograd && kernels.WinogradFits(g) && winoWorthIt(pl.cinG, pl.coutG)
	return pl
}

// Offsets of the group-g slices of image i.
func (pl *convPlan) xOff(i, g int) int { return (i*pl.cin + g*pl.cinG) * pl.plane }
func (pl *convPlan) yOff(i, g int) int { return (i*pl.cout + g*pl.coutG) * pl.p }
func (pl *convPlan) wOff(g int) int    { return g * pl.coutG * pl.ckk }

// forward computes y [N,Cout,OH,OW] from x, w and the bias b (nil: none).
func (pl *convPlan) forward(x, w, b, y []float32) {
	if pl.dconv {
		pl.directForward(x, w, b, y)
		return
	}
	if pl.depthwise {
		pl.depthwiseForward(x, w, b, y)
		return
	}
	kernels.ParallelFor(pl.n, func(_, lo, hi int) {
		var col []float32
		if !pl.direct {
			col = scratch.get(pl.ckk * pl.p)
			defer scratch.put(col)
		}
		for i := lo; i < hi; i++ {
			for g := 0; g < pl.groups; g++ {
				xg := x[pl.xOff(i, g):]
				yg := y[pl.yOff(i, g) : pl.yOff(i, g)+pl.coutG*pl.p]
				src := xg
				if !pl.direct {
					kernels.Im2col(pl.geom, xg, col)
					src = col
				}
				var beta float32
				if b != nil {
					fillRows(yg, b[g*pl.coutG:(g+1)*pl.coutG], pl.p)
					beta = 1
				}
				pl.gemm(false, false, pl.coutG, pl.p, pl.ckk, 1, w[pl.wOff(g):], pl.ckk, src, pl.p, beta, yg, pl.p)
			}
		}
	})
}

// backward adds the gradients of x and w, given dy, into dx and dw; a nil
// dx or dw is not computed. With dxFresh, dx holds no gradient yet and is
// overwritten instead.
func (pl *convPlan) backward(x, w, dy, dx, dw []float32, dxFresh bool) {
	if pl.dconv {
		yLen := pl.cout * pl.p
		pl.directBackward(x, w, func(i int, _ []float32) []float32 { return dy[i*yLen : (i+1)*yLen] }, dx, dw, dxFresh)
		return
	}
	units := pl.n
	if pl.depthwise {
		units = pl.n * pl.groups
	}
	var wf []float32
	if dx != nil && pl.flipped {
		wf = scratch.get(len(w))
		defer scratch.put(wf)
		pl.flipKernel(w, wf)
	}
	parts := make([][]float32, kernels.Threads())
	kernels.ParallelFor(units, func(chunk, lo, hi int) {
		var part []float32
		if dw != nil {
			part = scratch.get(len(dw))
			clear(part)
			parts[chunk] = part
		}
		if pl.depthwise {
			if dxFresh && dx != nil {
				// Unit u is input plane u: one channel per group.
				clear(dx[lo*pl.plane : hi*pl.plane])
			}
			pl.depthwiseBackward(x, w, dy, dx, part, lo, hi)
			return
		}
		var col, dcol []float32
		if dw != nil && !pl.direct {
			col = scratch.get(pl.ckk * pl.p)
			defer scratch.put(col)
		}
		if dx != nil && pl.flipped {
			dcol = scratch.get(pl.dgeom.ColRows() * pl.plane)
			defer scratch.put(dcol)
		} else if dx != nil && !pl.direct {
			dcol = scratch.get(pl.ckk * pl.p)
			defer scratch.put(dcol)
		}
		var beta float32 = 1
		if dxFresh {
			beta = 0
		}
		for i := lo; i < hi; i++ {
			for g := 0; g < pl.groups; g++ {
				dyg := dy[pl.yOff(i, g):]
				wg := w[pl.wOff(g):]
				if dx != nil {
					dxg := dx[pl.xOff(i, g):]
					switch {
					case pl.direct:
						pl.gemm(true, false, pl.ckk, pl.p, pl.coutG, 1, wg, pl.ckk, dyg, pl.p, beta, dxg, pl.p)
					case pl.flipped:
						kernels.Im2col(pl.dgeom, dyg, dcol)
						k := pl.dgeom.ColRows()
						pl.gemm(false, false, pl.cinG, pl.plane, k, 1, wf[g*pl.cinG*k:], k, dcol, pl.plane, beta, dxg, pl.plane)
					default:
						pl.gemm(true, false, pl.ckk, pl.p, pl.coutG, 1, wg, pl.ckk, dyg, pl.p, 0, dcol, pl.p)
						if dxFresh {
							clear(dxg[:pl.cinG*pl.plane])
						}
						kernels.Col2im(pl.geom, dcol, dxg)
					}
				}
				if dw != nil {
					src := x[pl.xOff(i, g):]
					if !pl.direct {
						kernels.Im2col(pl.geom, src, col)
						src = col
					}
					pl.gemm(false, true, pl.ckk, pl.coutG, pl.p, 1, src, pl.p, dyg, pl.p, 1, part[pl.wOff(g):], pl.coutG)
				}
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
		if pl.depthwise {
			kernels.Add(dw, dw, part)
		} else {
			// part holds dw_g^T [CinG*KH*KW, CoutG] for each group g.
			for g := 0; g < pl.groups; g++ {
				pg, dg := part[pl.wOff(g):], dw[pl.wOff(g):]
				for r := 0; r < pl.ckk; r++ {
					for c, v := range pg[r*pl.coutG : (r+1)*pl.coutG] {
						dg[c*pl.ckk+r] += v
					}
				}
			}
		}
		scratch.put(part)
	}
}

// flipKernel writes w' for the flipped data gradient: for each group g,
// w'_g[ci][co][kh][kw] = w[g*CoutG+co][ci][KH-1-kh][KW-1-kw], a
// [CinG, CoutG*KH*KW] matrix.
func (pl *convPlan) flipKernel(w, wf []float32) {
	khw := pl.geom.KH * pl.geom.KW
	for g := 0; g < pl.groups; g++ {
		for co := 0; co < pl.coutG; co++ {
			for ci := 0; ci < pl.cinG; ci++ {
				src := w[((g*pl.coutG+co)*pl.cinG+ci)*khw:][:khw]
				dst := wf[((g*pl.cinG+ci)*pl.coutG+co)*khw:][:khw]
				for j, v := range src {
					dst[khw-1-j] = v
				}
			}
		}
	}
}

// backwardBias adds the sum of dy over images and positions into db.
func (pl *convPlan) backwardBias(dy, db []float32) {
	kernels.ParallelFor(pl.cout, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var s float64
			for i := 0; i < pl.n; i++ {
				off := (i*pl.cout + c) * pl.p
				s += kernels.Sum(dy[off : off+pl.p])
			}
			db[c] += float32(s)
		}
	})
}

// depthwiseForward is forward for one input channel per group: each output
// plane, computed in parallel, is a sum of KH*KW shifted, scaled rows of
// its input plane.
func (pl *convPlan) depthwiseForward(x, w, b, y []float32) {
	g := pl.geom
	oh, ow := g.OutH(), g.OutW()
	kernels.ParallelFor(pl.n*pl.cout, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			i, oc := u/pl.cout, u%pl.cout
			xp := x[pl.xOff(i, oc/pl.coutG):][:pl.plane]
			yp := y[u*pl.p:][:pl.p]
			if b != nil {
				fillRows(yp, b[oc:oc+1], pl.p)
			} else {
				clear(yp)
			}
			wk := w[oc*pl.ckk:]
			for kh := 0; kh < g.KH; kh++ {
				yLo, yHi := validRange(oh, g.H, g.StrideH, g.PadH, kh*g.DilH)
				for kw := 0; kw < g.KW; kw++ {
					xLo, xHi := validRange(ow, g.W, g.StrideW, g.PadW, kw*g.DilW)
					wv := wk[kh*g.KW+kw]
					for oy := yLo; oy < yHi; oy++ {
						xr := xp[(oy*g.StrideH-g.PadH+kh*g.DilH)*g.W:]
						yr := yp[oy*ow : (oy+1)*ow]
						ix := xLo*g.StrideW - g.PadW + kw*g.DilW
						for ox := xLo; ox < xHi; ox++ {
							yr[ox] += wv * xr[ix]
							ix += g.StrideW
						}
					}
				}
			}
		}
	})
}

// depthwiseBackward is backward for one input channel per group over the
// (image, group) pairs [lo, hi); a pair owns its input plane, so dx needs
// no partials, and the weight gradient goes into this worker's part.
func (pl *convPlan) depthwiseBackward(x, w, dy, dx, part []float32, lo, hi int) {
	g := pl.geom
	oh, ow := g.OutH(), g.OutW()
	for u := lo; u < hi; u++ {
		i, grp := u/pl.groups, u%pl.groups
		xo := pl.xOff(i, grp)
		for oc := grp * pl.coutG; oc < (grp+1)*pl.coutG; oc++ {
			dyp := dy[(i*pl.cout+oc)*pl.p:][:pl.p]
			wk := w[oc*pl.ckk:]
			for kh := 0; kh < g.KH; kh++ {
				yLo, yHi := validRange(oh, g.H, g.StrideH, g.PadH, kh*g.DilH)
				for kw := 0; kw < g.KW; kw++ {
					xLo, xHi := validRange(ow, g.W, g.StrideW, g.PadW, kw*g.DilW)
					wv := wk[kh*g.KW+kw]
					var acc float32
					for oy := yLo; oy < yHi; oy++ {
						r := xo + (oy*g.StrideH-g.PadH+kh*g.DilH)*g.W
						dyr := dyp[oy*ow : (oy+1)*ow]
						ix := xLo*g.StrideW - g.PadW + kw*g.DilW
						if dx != nil {
							dxr := dx[r : r+g.W]
							for ox, j := xLo, ix; ox < xHi; ox++ {
								dxr[j] += wv * dyr[ox]
								j += g.StrideW
							}
						}
						if part != nil {
							xr := x[r : r+g.W]
							for ox, j := xLo, ix; ox < xHi; ox++ {
								acc += dyr[ox] * xr[j]
								j += g.StrideW
							}
						}
					}
					if part != nil {
						part[oc*pl.ckk+kh*g.KW+kw] += acc
					}
				}
			}
		}
	}
}

// validRange returns the outputs [lo, hi) of an axis of size out whose input
// coordinate o*stride - pad + off falls inside [0, in).
func validRange(out, in, stride, pad, off int) (lo, hi int) {
	if d := pad - off; d > 0 {
		lo = (d + stride - 1) / stride
	}
	last := in - 1 + pad - off
	if last < 0 {
		return 0, 0
	}
	hi = min(out, last/stride+1)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// fillRows sets row r of m (rows of width cols) to v[r].
func fillRows(m, v []float32, cols int) {
	for r, x := range v {
		row := m[r*cols : (r+1)*cols]
		for j := range row {
			row[j] = x
		}
	}
}

// scratchPool lends float32 buffers to the workers of parallel kernels (the
// column matrices of a convolution, partial weight gradients). Unlike tape
// buffers they go back as soon as the operation ends, so a network's
// convolutions share a few buffers instead of each holding its own until
// the tape is reset; in steady state nothing is allocated.
type scratchPool struct {
	mu   sync.Mutex
	free [][]float32
}

var scratch scratchPool

// get returns a buffer of n floats with unspecified contents.
func (s *scratchPool) get(n int) []float32 {
	var b []float32
	s.mu.Lock()
	// Prefer a buffer that is large enough; otherwise replace the last one,
	// so that the pool converges to buffers of the largest sizes in use.
	k := len(s.free) - 1
	for j, f := range s.free {
		if cap(f) >= n {
			k = j
			break
		}
	}
	if k >= 0 {
		b = s.free[k]
		s.free[k] = s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
	}
	s.mu.Unlock()
	if cap(b) < n {
		b = make([]float32, n)
	}
	return b[:n]
}

// put returns a buffer obtained from get.
func (s *scratchPool) put(b []float32) {
	s.mu.Lock()
	s.free = append(s.free, b)
	s.mu.Unlock()
}

// convGrads returns the gradient buffers a convolution's backward writes:
// x's (fresh if nothing has been accumulated into it yet, so it may be
// overwritten) and w's, each nil where that input needs no gradient.
func convGrads(tp *Tape, x, w *Var) (dx, dw []float32, fresh bool) {
	if x.NeedsGrad() {
		var g *tensor.Tensor
		g, fresh = tp.GradFor(x)
		dx = g.Data()
	}
	if w.NeedsGrad() {
		dw = tp.GradOf(w).Data()
	}
	return dx, dw, fresh
}
