package kernels

import "fmt"

// Direct convolution: the products of im2col + GEMM without the column
// matrix. A convolution reads, for kernel tap (c, kh, kw) and output
// (oy, ox), the padded input at (oy*sh + dh*kh, ox*sw + dw*kw). Split the
// padded image into its sh*sw phases, P_ab[i][j] = padded[i*sh+a][j*sw+b]
// (one phase, the padded image itself, at stride 1): the tap then reads
// phase ((dh*kh) mod sh, (dw*kw) mod sw) at (oy + (dh*kh)/sh, ox +
// (dw*kw)/sw), a shift. Laid out on a grid whose rows are as wide as a
// phase (PW), output position q = oy*PW + ox reads the phase plane at
// q + shift: every row of the column matrix is a contiguous run of the
// lowered image, at an offset that depends only on the tap. So
//
//	out[co][q] = sum over taps t of w[co][t] * lowered[offs[t] + q]
//
// is a GEMM whose B rows are read in place: a micro-kernel that takes row
// offsets from a table instead of a fixed stride needs no im2col. The grid
// has PW-OW wasted columns per row (2 of 34 for a 32-wide "same" 3x3
// convolution), computed and dropped.
//
// The weight gradient is the same sums the other way round,
//
//	dw[co][t] = sum over q of dy[co][q] * lowered[offs[t] + q],
//
// dot products of the gradient, spread on the grid with zeros in the
// wasted columns, with the shifted rows. Several images can be lowered
// into one block, each channel's phase planes of consecutive images one
// after the other: then the shifts cross from one image into the next
// only where the gradient is zero, and one dot product runs over all the
// images of the block, long enough to amortize summing its vector lanes.
//
// A grid row, a phase row of the block, is NOT an image row: the row pitch
// is PW, and image j's grid starts at j*PH*PW.

// DirectConv is the lowering of one convolution geometry for blocks of
// images (see above). Its methods may run concurrently on different
// buffers.
type DirectConv struct {
	g      ConvGeom
	oh, ow int
	// ph, pw: the size of a phase plane; phases = StrideH*StrideW.
	ph, pw, phases int
	// images per block; plane = ph*pw; chan = phases*images*plane, the
	// distance between channels in the lowered block.
	images, plane, chanLen int
	// gridLen is a grid's OH*PW rounded up to the 16 columns of a vector.
	gridLen int
	// dotLen is images*plane rounded up to 16: the length of the weight
	// gradient's dot products over a block.
	dotLen int
	// offs[t] is tap t's offset in the block (image 0), t = (c*KH+kh)*KW+kw.
	offs []int32
	// kPad is the taps rounded up to the weight gradient tile's 3, with
	// offs extended by copies of offs[0].
	kPad int
}

// slack is the number of floats past the last channel of a lowered
// block that the kernels may read (the wasted tail of the last grid row
// and the rounding of lengths to vectors); Lower keeps them zero.
func (d *DirectConv) slack() int {
	return d.gridLen + (d.g.KH*d.g.DilH/d.g.StrideH+1)*d.pw + d.g.KW*d.g.DilW + 32
}

// NewDirectConv returns the lowering of g for blocks of the given number
// of images. It panics if g is invalid (a programming error: callers
// validate geometries) or if the lowered block would not fit int32
// offsets.
func NewDirectConv(g ConvGeom, images int) *DirectConv {
	if err := g.Validate(); err != nil {
		panic("kernels: NewDirectConv: " + err.Error())
	}
	if images < 1 {
		panic(fmt.Sprintf("kernels: NewDirectConv: %d images per block", images))
	}
	d := &DirectConv{g: g, oh: g.OutH(), ow: g.OutW(), images: images}
	d.ph = ceilDiv(g.H+2*g.PadH, g.StrideH)
	d.pw = ceilDiv(g.W+2*g.PadW, g.StrideW)
	d.phases = g.StrideH * g.StrideW
	d.plane = d.ph * d.pw
	d.chanLen = d.phases * images * d.plane
	d.gridLen = roundUp(d.oh*d.pw, 16)
	d.dotLen = roundUp(images*d.plane, 16)
	if int64(g.C)*int64(d.chanLen)+int64(d.slack()) >= 1<<31 {
		panic(fmt.Sprintf("kernels: NewDirectConv: %+v over %d images is too large", g, images))
	}
	taps := g.ColRows()
	d.kPad = roundUp(taps, 3)
	d.offs = make([]int32, d.kPad)
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			a, sy := kh*g.DilH%g.StrideH, kh*g.DilH/g.StrideH
			for kw := 0; kw < g.KW; kw++ {
				b, sx := kw*g.DilW%g.StrideW, kw*g.DilW/g.StrideW
				off := c*d.chanLen + (a*g.StrideW+b)*images*d.plane + sy*d.pw + sx
				d.offs[(c*g.KH+kh)*g.KW+kw] = int32(off)
			}
		}
	}
	for t := taps; t < d.kPad; t++ {
		d.offs[t] = d.offs[0]
	}
	return d
}

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// Images is the number of images of a block.
func (d *DirectConv) Images() int { return d.images }

// LoweredLen is the length of a lowered block.
func (d *DirectConv) LoweredLen() int { return d.g.C*d.chanLen + d.slack() }

// GridPitch is the row pitch of an output grid (PW): output (oy, ox) of
// channel co is at grid[co*GridLen() + oy*GridPitch() + ox].
func (d *DirectConv) GridPitch() int { return d.pw }

// GridLen is the length of one channel of an output grid.
func (d *DirectConv) GridLen() int { return d.gridLen }

// GridSize is the length of an output grid of cout channels (rounded up
// to the micro-kernel's 8 rows).
func (d *DirectConv) GridSize(cout int) int { return roundUp(cout, 8) * d.gridLen }

// Lower writes image j of the block, img [C][H][W], into lowered (of
// LoweredLen floats): its zero-padded phase planes, every element of image
// j's slot written.
func (d *DirectConv) Lower(lowered, img []float32, j int) {
	g := d.g
	if j < 0 || j >= d.images || len(img) < g.C*g.H*g.W || len(lowered) < d.LoweredLen() {
		panic(fmt.Sprintf("kernels: DirectConv.Lower of image %d of %d, %d floats into %d, want %d into %d",
			j, d.images, len(img), len(lowered), g.C*g.H*g.W, d.LoweredLen()))
	}
	for c := 0; c < g.C; c++ {
		src := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for a := 0; a < g.StrideH; a++ {
			dst := func(b int) []float32 { return lowered[c*d.chanLen+((a*g.StrideW+b)*d.images+j)*d.plane:][:d.plane] }
			if g.StrideW == 2 && d.lowerPair(dst(0), dst(1), src, a) {
				continue
			}
			for b := 0; b < g.StrideW; b++ {
				d.lowerPhase(dst(b), src, a, b)
			}
		}
	}
	if j == d.images-1 {
		clear(lowered[g.C*d.chanLen : d.LoweredLen()])
	}
}

// lowerPhase writes phase (a, b) of one padded channel: row i, column j
// is input (i*sh + a - padH, j*sw + b - padW), or 0 outside the input.
func (d *DirectConv) lowerPhase(dst, src []float32, a, b int) {
	g := d.g
	// Rows [i0, i1) and columns [j0, j1) read inside the input, at
	// y = i*sh + y0 and x = j*sw + x0.
	y0, x0 := a-g.PadH, b-g.PadW
	i0, i1 := insideRange(y0, g.StrideH, g.H, d.ph)
	j0, j1 := insideRange(x0, g.StrideW, g.W, d.pw)
	if j0 >= j1 {
		i1 = i0
	}
	clear(dst[:i0*d.pw])
	clear(dst[i1*d.pw : d.ph*d.pw])
	if i0 < i1 {
		lowerRows(dst[i0*d.pw:], d.pw, src[(i0*g.StrideH+y0)*g.W+j0*g.StrideW+x0:], g.StrideH*g.W,
			i1-i0, d.pw, j0, j1-j0, g.StrideW)
	}
}

// lowerPair writes both column phases of row phase a at stride 2 in one
// pass over the input, when the two read the input's even and odd
// columns equally often (an even width), and reports whether it did.
func (d *DirectConv) lowerPair(dst0, dst1, src []float32, a int) bool {
	g := d.g
	y0 := a - g.PadH
	i0, i1 := insideRange(y0, g.StrideH, g.H, d.ph)
	// Phase b reads columns x = 2j + b - padW: the even columns for the b
	// with b - padW even.
	bE := g.PadW % 2
	dstE, dstO := dst0, dst1
	if bE == 1 {
		dstE, dstO = dst1, dst0
	}
	jE, _ := insideRange(bE-g.PadW, 2, g.W, d.pw)
	jO, _ := insideRange(1-bE-g.PadW, 2, g.W, d.pw)
	n := g.W / 2
	if g.W%2 != 0 || jE+n > d.pw || jO+n > d.pw || i0 >= i1 {
		return false
	}
	lowerPair(dstE, dstO, d.pw, src[(i0*g.StrideH+y0)*g.W:], g.StrideH*g.W, i0, i1-i0, d.ph-i1, d.pw, jE, jO, n)
	return true
}

// lowerPairGo is lowerPair's loop: of the before+rows+after rows of pw
// floats of dstE and dstO (pitch dstPitch), the rows after the first
// before and before the last after get dstE[jE+k] = src[r*srcPitch+2k] and
// dstO[jO+k] = src[r*srcPitch+2k+1] for k < n; all else is zero.
func lowerPairGo(dstE, dstO []float32, dstPitch int, src []float32, srcPitch, before, rows, after, pw, jE, jO, n int) {
	for r := 0; r < before+rows+after; r++ {
		e, o := dstE[r*dstPitch:r*dstPitch+pw], dstO[r*dstPitch:r*dstPitch+pw]
		clear(e)
		clear(o)
		if r < before || r >= before+rows {
			continue
		}
		in := src[(r-before)*srcPitch : (r-before)*srcPitch+2*n]
		for k := range n {
			e[jE+k], o[jO+k] = in[2*k], in[2*k+1]
		}
	}
}

// lowerRowsGo writes rows rows of pw floats of dst (pitch dstPitch): zeros,
// except dst[r*dstPitch + j0 + k] = src[r*srcPitch + k*stride] for k < n.
func lowerRowsGo(dst []float32, dstPitch int, src []float32, srcPitch, rows, pw, j0, n, stride int) {
	for r := 0; r < rows; r++ {
		row := dst[r*dstPitch : r*dstPitch+pw]
		in := src[r*srcPitch:]
		clear(row[:j0])
		clear(row[j0+n:])
		if stride == 1 {
			copy(row[j0:j0+n], in[:n])
			continue
		}
		for k := range n {
			row[j0+k] = in[k*stride]
		}
	}
}

// PackedLen is the length of the packed weights of cout output channels.
func (d *DirectConv) PackedLen(cout int) int { return roundUp(cout, 8) * d.g.ColRows() }

// PackWeights packs w [cout][C*KH*KW] into the micro-kernel's panels of 8
// output channels, dst[(p*K + t)*8 + i] = w[p*8+i][t], zero past cout.
func (d *DirectConv) PackWeights(dst, w []float32, cout int) {
	k := d.g.ColRows()
	if len(w) < cout*k || len(dst) < d.PackedLen(cout) {
		panic(fmt.Sprintf("kernels: DirectConv.PackWeights of %d floats into %d, want %d into %d", len(w), len(dst), cout*k, d.PackedLen(cout)))
	}
	for p := 0; p < ceilDiv(cout, 8); p++ {
		pan := dst[p*k*8 : (p+1)*k*8]
		for i := 0; i < 8; i++ {
			co := p*8 + i
			if co >= cout {
				for t := 0; t < k; t++ {
					pan[t*8+i] = 0
				}
				continue
			}
			for t, v := range w[co*k : (co+1)*k] {
				pan[t*8+i] = v
			}
		}
	}
}

// Forward computes the output grid of image j of a lowered block:
// grid[co*GridLen() + q] = sum over taps t of w[co][t]*lowered[offs[t] +
// j*PH*PW + q], for co below cout rounded up to 8, from the packed
// weights. The valid outputs are q = oy*GridPitch() + ox with oy < OH and
// ox < OW; the rest of the grid is garbage.
func (d *DirectConv) Forward(grid, packed []float32, cout int, lowered []float32, j int) {
	k := d.g.ColRows()
	if len(grid) < d.GridSize(cout) || len(packed) < d.PackedLen(cout) || len(lowered) < d.LoweredLen() || j < 0 || j >= d.images {
		panic(fmt.Sprintf("kernels: DirectConv.Forward of image %d of %d with a grid of %d, weights of %d and a block of %d floats",
			j, d.images, len(grid), len(packed), len(lowered)))
	}
	base := lowered[j*d.plane:]
	for q := 0; q < d.gridLen; q += 32 {
		wide := d.gridLen-q >= 32
		for p := 0; p < ceilDiv(cout, 8); p++ {
			dconvTile(wide, k, packed[p*k*8:(p+1)*k*8], base[q:], d.offs, grid[p*8*d.gridLen+q:], d.gridLen)
		}
	}
}

// ExpandGrad writes the output gradient of image j, dy [cout][OH][OW], onto
// the block's gradient grid dyGrid [cout rounded up to 8][DotLen()] at the
// grid positions of its outputs, zero elsewhere in image j's slot (and in
// the rounding past the last image).
func (d *DirectConv) ExpandGrad(dyGrid, dy []float32, cout, j int) {
	rows := roundUp(cout, 8)
	if len(dy) < cout*d.oh*d.ow || len(dyGrid) < rows*d.dotLen || j < 0 || j >= d.images {
		panic(fmt.Sprintf("kernels: DirectConv.ExpandGrad of image %d of %d, %d floats into %d", j, d.images, len(dy), len(dyGrid)))
	}
	for co := 0; co < rows; co++ {
		slot := dyGrid[co*d.dotLen+j*d.plane : co*d.dotLen+(j+1)*d.plane]
		if co >= cout {
			clear(slot)
			continue
		}
		src := dy[co*d.oh*d.ow : (co+1)*d.oh*d.ow]
		for oy := 0; oy < d.oh; oy++ {
			row := slot[oy*d.pw : (oy+1)*d.pw]
			copy(row, src[oy*d.ow:(oy+1)*d.ow])
			clear(row[d.ow:])
		}
		clear(slot[d.oh*d.pw:])
		if j == d.images-1 {
			clear(dyGrid[co*d.dotLen+d.images*d.plane : (co+1)*d.dotLen])
		}
	}
}

// DotLen is the length of one channel of a block's gradient grid.
func (d *DirectConv) DotLen() int { return d.dotLen }

// WeightGradLen is the length of the weight gradient WeightGrad adds into:
// cout rounded up to 8 rows of the taps rounded up to 3.
func (d *DirectConv) WeightGradLen(cout int) int { return roundUp(cout, 8) * d.kPad }

// WeightGradPitch is the row pitch of WeightGrad's output.
func (d *DirectConv) WeightGradPitch() int { return d.kPad }

// WeightGradScratchLen is the length of the scratch buffer WeightGrad
// needs: the vector accumulators of one row of tiles.
func (d *DirectConv) WeightGradScratchLen() int { return d.kPad / 3 * dotTile }

// dotTile is the floats of the accumulators of one 8 x 3 tile of the
// weight gradient: 24 vectors of 16 lanes.
const dotTile = 24 * 16

// dotChunk is the longest piece the weight gradient's dot products are
// cut into, so that the 8 rows of the output gradient they read (20 KiB)
// stay in L1 while every tap's row streams past them.
const dotChunk = 640

// WeightGrad adds the weight gradient of a block, dw[co][t] += sum over
// its images and grid positions q of dyGrid[co][q] * lowered[offs[t]+q],
// into dw of WeightGradLen(cout) floats (row pitch WeightGradPitch(); the
// rows past cout and columns past the taps are padding). dyGrid is the
// block's gradient grid (ExpandGrad), lowered its lowered input, and
// scratch has WeightGradScratchLen floats.
//
// The dot products skip the rows of each image's grid below its last
// output row, which hold no outputs (PH-OH of PH rows: a fifth of an 8x8
// image's): they run over segments of the grid, one per image, several
// images to a piece when the images are small.
func (d *DirectConv) WeightGrad(dw, dyGrid []float32, cout int, lowered, scratch []float32) {
	rows := roundUp(cout, 8)
	if len(dw) < d.WeightGradLen(cout) || len(dyGrid) < rows*d.dotLen || len(lowered) < d.LoweredLen() || len(scratch) < d.WeightGradScratchLen() {
		panic(fmt.Sprintf("kernels: DirectConv.WeightGrad into %d floats from a gradient grid of %d and a block of %d with scratch %d",
			len(dw), len(dyGrid), len(lowered), len(scratch)))
	}
	groups := d.kPad / 3
	acc := scratch[:groups*dotTile]
	for r := 0; r < rows; r += 8 {
		clear(acc)
		dy := dyGrid[r*d.dotLen:]
		run := func(q, n, segs, skip int) {
			for t := 0; t < groups; t++ {
				dconvDot(n, segs, skip, dy[q:], d.dotLen, lowered[q:], d.offs[3*t:3*t+3], acc[t*dotTile:(t+1)*dotTile])
			}
		}
		switch seg := d.gridLen; {
		case seg > d.plane:
			// No rows to skip (a 1x1 convolution without padding): the
			// block's grid is one stretch.
			piece := roundUp(ceilDiv(d.dotLen, ceilDiv(d.dotLen, dotChunk)), 16)
			for q := 0; q < d.dotLen; q += piece {
				run(q, min(piece, d.dotLen-q), 1, 0)
			}
		case seg > dotChunk:
			// Equal pieces: a short last one would cost as much in
			// accumulator traffic as a full one.
			piece := roundUp(ceilDiv(seg, ceilDiv(seg, dotChunk)), 16)
			for j := 0; j < d.images; j++ {
				for q := 0; q < seg; q += piece {
					run(j*d.plane+q, min(piece, seg-q), 1, 0)
				}
			}
		default:
			per := max(1, dotChunk/seg)
			for j := 0; j < d.images; j += per {
				run(j*d.plane, seg, min(per, d.images-j), d.plane-seg)
			}
		}
		for t := 0; t < groups; t++ {
			dconvSum(acc[t*dotTile:(t+1)*dotTile], dw[r*d.kPad+3*t:], d.kPad)
		}
	}
}

// dconvTileGo is the portable 8 x 32 (wide) or 8 x 16 tile of Forward:
// c[i*ldc + x] = sum over p < k of a[p*8+i] * b[offs[p] + x]. It runs the
// tile as 2 x 4 blocks, each summed over all of k in eight scalar
// accumulators that stay in registers (as the Go GEMM kernel's).
func dconvTileGo(wide bool, k int, a, b []float32, offs []int32, c []float32, ldc int) {
	w := 16
	if wide {
		w = 32
	}
	a, offs = a[:8*k], offs[:k]
	for i := 0; i < 8; i += 2 {
		for x := 0; x < w; x += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			for p, o := range offs {
				y := (*[4]float32)(b[int(o)+x:])
				u := (*[2]float32)(a[p*8+i:])
				c00 += float32(u[0] * y[0])
				c01 += float32(u[0] * y[1])
				c02 += float32(u[0] * y[2])
				c03 += float32(u[0] * y[3])
				c10 += float32(u[1] * y[0])
				c11 += float32(u[1] * y[1])
				c12 += float32(u[1] * y[2])
				c13 += float32(u[1] * y[3])
			}
			r0, r1 := (*[4]float32)(c[i*ldc+x:]), (*[4]float32)(c[(i+1)*ldc+x:])
			r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
			r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
		}
	}
}

// dconvDotGo is the portable 8 x 3 tile of WeightGrad's dot products:
// acc[(r*3+s)*16 + q mod 16] += dy[r*pitch+q] * x[offs[s]+q] for the q of
// segs segments of n, each skip after the end of the one before. Whole
// groups of 16 go lane by lane, without an index per element.
func dconvDotGo(n, segs, skip int, dy []float32, pitch int, x []float32, offs []int32, acc []float32) {
	for sg := 0; sg < segs; sg++ {
		q0 := sg * (n + skip)
		for r := 0; r < 8; r++ {
			dr := dy[r*pitch+q0 : r*pitch+q0+n]
			for s := 0; s < 3; s++ {
				xs := x[int(offs[s])+q0 : int(offs[s])+q0+n]
				lanes := (*[16]float32)(acc[(r*3+s)*16:])
				q := 0
				for ; q+16 <= n; q += 16 {
					d, v := (*[16]float32)(dr[q:]), (*[16]float32)(xs[q:])
					for l := range lanes {
						lanes[l] += float32(d[l] * v[l])
					}
				}
				for ; q < n; q++ {
					lanes[q&15] += float32(dr[q] * xs[q])
				}
			}
		}
	}
}

// dconvSumGo adds up the lanes of each accumulator of an 8 x 3 tile into
// out[r*ldo+s] (in another order than the vector kernel).
func dconvSumGo(acc, out []float32, ldo int) {
	for r := 0; r < 8; r++ {
		for s := 0; s < 3; s++ {
			var sum float32
			for _, l := range acc[(r*3+s)*16 : (r*3+s+1)*16] {
				sum += l
			}
			out[r*ldo+s] += sum
		}
	}
}
