package kernels

import "fmt"

// Winograd convolution F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016, section 4): a 2x2 block of
// outputs of a 3x3 convolution is
//
//	Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//
// for the 4x4 input tile d it reads and the 3x3 kernel g, with
//
//	B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//	G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//	A^T = [1 1 1 0; 0 1 -1 -1]
//
// Summed over input channels, the 16 elementwise products become 16
// matrix products U_ξ[co][ci] V_ξ[ci][tile], each of which is a GEMM: 16
// multiplications per 4 outputs where direct convolution does 36, so 2.25
// times fewer, for the price of the transforms of the input (V = B^T d B)
// and of the output (A^T M A), which are additions only.
//
// The 4x4 tiles at stride 2 are those of a 4x4 convolution of stride 2,
// so the input is lowered as one (DirectConv): into the four stride
// phases of the padded image, in which tile q = ty*PW + tx reads row r,
// column c of its window at phase (r mod 2, c mod 2), position q +
// (r/2)*PW + c/2, so that the input transform runs on contiguous vectors
// of 16 tiles. The tiles are taken wintile at a time: V and M of a piece
// are [channel][ξ][wintile] (the ξ rows 256 bytes apart, constants in the
// assembly; the channels winChan apart), sized to stay in L2 next to the
// rest.
//
// Output row 2ty+r is written, interleaving its two columns per tile, to
// the row stream R_r: element 2q+c of R_r is output (2ty+r, 2tx+c).

// wintile is the number of tiles a Winograd piece transforms.
const wintile = 64

// winChan is the distance between the channels of V and M in a piece: 16
// rows of wintile, and one cache line more, so that the rows a GEMM step
// reads for successive channels do not all fall in the same L1 set (4
// KiB apart, they would).
const winChan = 16*wintile + 16

// Winograd is the F(2x2, 3x3) lowering of a 3x3 convolution of stride 1
// for blocks of images. Its methods may run concurrently on different
// buffers.
type Winograd struct {
	g      ConvGeom
	lower  *DirectConv // the 4x4, stride-2 tiling of the padded input
	oh, ow int
	// tiles is the tile grid of a block (images planes of the lowering),
	// rounded up to whole vectors.
	tiles int
	// offs[ci] is input channel ci's row of V in a piece, for the GEMM.
	offs []int32
}

// WinogradFits reports whether g is a convolution the F(2x2, 3x3) path
// computes: 3x3, stride 1, no dilation, and an output of even height and
// width (whole 2x2 tiles).
func WinogradFits(g ConvGeom) bool {
	return g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 &&
		g.Validate() == nil && g.OutH()%2 == 0 && g.OutW()%2 == 0 && g.OutH() > 0 && g.OutW() > 0
}

// NewWinograd returns the lowering of g (WinogradFits) for blocks of the
// given number of images.
func NewWinograd(g ConvGeom, images int) *Winograd {
	if !WinogradFits(g) {
		panic(fmt.Sprintf("kernels: NewWinograd: %+v is not a 3x3 stride-1 convolution with an even output", g))
	}
	tg := g
	tg.KH, tg.KW, tg.StrideH, tg.StrideW = 4, 4, 2, 2
	w := &Winograd{g: g, lower: NewDirectConv(tg, images), oh: g.OutH(), ow: g.OutW()}
	w.tiles = roundUp(images*w.lower.plane, 16)
	w.offs = make([]int32, g.C)
	for ci := range w.offs {
		w.offs[ci] = int32(ci * winChan)
	}
	return w
}

// Images is the number of images of a block.
func (w *Winograd) Images() int { return w.lower.images }

// LoweredLen is the length of a lowered block.
func (w *Winograd) LoweredLen() int {
	// The input transform reads whole pieces: past the last image's
	// plane by up to a piece.
	return w.lower.LoweredLen() + wintile
}

// Lower writes image j of the block, img [C][H][W], into lowered.
func (w *Winograd) Lower(lowered, img []float32, j int) {
	w.lower.Lower(lowered, img, j)
	if j == w.lower.images-1 {
		clear(lowered[w.lower.LoweredLen():w.LoweredLen()])
	}
}

// PackedLen is the length of the transformed weights of cout channels.
func (w *Winograd) PackedLen(cout int) int { return 16 * roundUp(cout, 8) * w.g.C }

// PackWeights transforms w [cout][C][3][3] into U = G w G^T, packed for
// the micro-kernel: for each ξ, panels of 8 output channels,
// dst[((ξ*P + p)*C + ci)*8 + i] = U_ξ[p*8+i][ci], zero past cout. U is
// computed in float64 and rounded once.
func (w *Winograd) PackWeights(dst, wt []float32, cout int) {
	c := w.g.C
	if len(wt) < cout*c*9 || len(dst) < w.PackedLen(cout) {
		panic(fmt.Sprintf("kernels: Winograd.PackWeights of %d floats into %d, want %d into %d", len(wt), len(dst), cout*c*9, w.PackedLen(cout)))
	}
	panels := ceilDiv(cout, 8)
	clear(dst[:w.PackedLen(cout)])
	for co := 0; co < cout; co++ {
		for ci := 0; ci < c; ci++ {
			u := winogradKernel(wt[(co*c+ci)*9 : (co*c+ci)*9+9])
			for xi, v := range u {
				dst[((xi*panels+co/8)*c+ci)*8+co%8] = v
			}
		}
	}
}

// winogradKernel returns G g G^T of one 3x3 kernel, row-major 4x4.
func winogradKernel(g []float32) [16]float32 {
	var t [4][3]float64 // G g
	for j := 0; j < 3; j++ {
		g0, g1, g2 := float64(g[j]), float64(g[3+j]), float64(g[6+j])
		t[0][j] = g0
		t[1][j] = (g0 + g1 + g2) / 2
		t[2][j] = (g0 - g1 + g2) / 2
		t[3][j] = g2
	}
	var u [16]float32
	for i := 0; i < 4; i++ {
		r := t[i]
		u[4*i] = float32(r[0])
		u[4*i+1] = float32((r[0] + r[1] + r[2]) / 2)
		u[4*i+2] = float32((r[0] - r[1] + r[2]) / 2)
		u[4*i+3] = float32(r[2])
	}
	return u
}

// OutputLen is the length of an output of cout channels of a block (the
// row streams of Forward).
func (w *Winograd) OutputLen(cout int) int { return cout * 4 * w.tiles }

// Output locates image j's outputs in an output of Forward: output
// (co, oy, ox) is at out[co*chan + off + (oy mod 2)*half + (oy/2)*pitch +
// ox].
func (w *Winograd) Output(j int) (off, chanLen, half, pitch int) {
	return 2 * j * w.lower.plane, 4 * w.tiles, 2 * w.tiles, 2 * w.lower.pw
}

// ScratchLen is the length of the scratch buffer Forward needs: V and M of
// one piece.
func (w *Winograd) ScratchLen(cout int) int { return winChan * (w.g.C + roundUp(cout, 8)) }

// Forward computes the convolution of every image of a lowered block with
// the packed weights into out (OutputLen(cout) floats; see Output).
func (w *Winograd) Forward(out, packed []float32, cout int, lowered, scratch []float32) {
	c := w.g.C
	panels := ceilDiv(cout, 8)
	if len(out) < w.OutputLen(cout) || len(packed) < w.PackedLen(cout) || len(lowered) < w.LoweredLen() || len(scratch) < w.ScratchLen(cout) {
		panic(fmt.Sprintf("kernels: Winograd.Forward into %d floats with weights of %d, a block of %d and scratch %d",
			len(out), len(packed), len(lowered), len(scratch)))
	}
	v := scratch[:winChan*c]
	m := scratch[winChan*c : winChan*(c+8*panels)]
	l := w.lower
	phase := l.images * l.plane
	for q0 := 0; q0 < w.tiles; q0 += wintile {
		n := min(wintile, w.tiles-q0)
		for ci := 0; ci < c; ci++ {
			winoInput(v[ci*winChan:], lowered[ci*l.chanLen+q0:], phase, l.pw, n)
		}
		for xi := 0; xi < 16; xi++ {
			a := packed[xi*panels*c*8:]
			for q := 0; q < n; q += 32 {
				for p := 0; p < panels; p++ {
					dconvTile(n-q >= 32, c, a[p*c*8:(p+1)*c*8], v[xi*wintile+q:], w.offs, m[p*8*winChan+xi*wintile+q:], winChan)
				}
			}
		}
		for co := 0; co < cout; co++ {
			r := out[co*4*w.tiles:]
			winoOutput(r[2*q0:], r[2*w.tiles+2*q0:], m[co*winChan:], n)
		}
	}
}

// winoInputGo writes V = B^T d B of n tiles (a multiple of 16, at most
// wintile) of one channel: v[ξ*wintile + q] for ξ = 4k+c, where d[r][c] of
// tile q is p[(2*(r%2) + c%2)*phase + q + (r/2)*pw + c/2].
func winoInputGo(v, p []float32, phase, pw, n int) {
	for q := 0; q < n; q++ {
		winoInputTile(v[q:], p[q:], phase, pw)
	}
}

// winoInputTile writes V = B^T d B of the tile whose d[r][c] is
// p[(2*(r%2) + c%2)*phase + (r/2)*pw + c/2] to v[ξ*wintile], ξ = 4k+c.
// The sixteen values are scalars, loaded a pair at a time from the phase
// planes: d[r][0] and d[r][2] from one (e_r), d[r][1] and d[r][3] from the
// next (o_r).
func winoInputTile(v, p []float32, phase, pw int) {
	e0, o0 := (*[2]float32)(p), (*[2]float32)(p[phase:])
	e1, o1 := (*[2]float32)(p[2*phase:]), (*[2]float32)(p[3*phase:])
	e2, o2 := (*[2]float32)(p[pw:]), (*[2]float32)(p[phase+pw:])
	e3, o3 := (*[2]float32)(p[2*phase+pw:]), (*[2]float32)(p[3*phase+pw:])
	// t = B^T d, a column c at a time: t[k][c].
	t00, t10, t20, t30 := e0[0]-e2[0], e1[0]+e2[0], e2[0]-e1[0], e1[0]-e3[0]
	t01, t11, t21, t31 := o0[0]-o2[0], o1[0]+o2[0], o2[0]-o1[0], o1[0]-o3[0]
	t02, t12, t22, t32 := e0[1]-e2[1], e1[1]+e2[1], e2[1]-e1[1], e1[1]-e3[1]
	t03, t13, t23, t33 := o0[1]-o2[1], o1[1]+o2[1], o2[1]-o1[1], o1[1]-o3[1]
	// V = t B, row k to v[4k..4k+3].
	_ = v[15*wintile]
	v[0*wintile], v[1*wintile], v[2*wintile], v[3*wintile] = t00-t02, t01+t02, t02-t01, t01-t03
	v[4*wintile], v[5*wintile], v[6*wintile], v[7*wintile] = t10-t12, t11+t12, t12-t11, t11-t13
	v[8*wintile], v[9*wintile], v[10*wintile], v[11*wintile] = t20-t22, t21+t22, t22-t21, t21-t23
	v[12*wintile], v[13*wintile], v[14*wintile], v[15*wintile] = t30-t32, t31+t32, t32-t31, t31-t33
}

// winoOutputGo writes Y = A^T M A of n tiles (a multiple of 16, at most
// wintile) of one channel, M[ξ] at m[ξ*wintile + q], to the row streams:
// r0[2q+c] = Y[0][c], r1[2q+c] = Y[1][c].
func winoOutputGo(r0, r1, m []float32, n int) {
	for q := 0; q < n; q++ {
		mq := m[q:]
		_ = mq[15*wintile]
		// u = A^T M, a column c at a time: u[r][c].
		u00 := mq[0*wintile] + mq[4*wintile] + mq[8*wintile]
		u10 := mq[4*wintile] - mq[8*wintile] - mq[12*wintile]
		u01 := mq[1*wintile] + mq[5*wintile] + mq[9*wintile]
		u11 := mq[5*wintile] - mq[9*wintile] - mq[13*wintile]
		u02 := mq[2*wintile] + mq[6*wintile] + mq[10*wintile]
		u12 := mq[6*wintile] - mq[10*wintile] - mq[14*wintile]
		u03 := mq[3*wintile] + mq[7*wintile] + mq[11*wintile]
		u13 := mq[7*wintile] - mq[11*wintile] - mq[15*wintile]
		y0, y1 := (*[2]float32)(r0[2*q:]), (*[2]float32)(r1[2*q:])
		y0[0], y0[1] = u00+u01+u02, u01-u02-u03
		y1[0], y1[1] = u10+u11+u12, u11-u12-u13
	}
}
