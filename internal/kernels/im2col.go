package kernels

// ConvGeom describes a 2-D convolution over one image of C channels, H x W:
// a KH x KW kernel, strides, zero padding and dilation, as in PyTorch's
// Conv2d.
type ConvGeom struct {
	C, H, W          int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
}

// OutH is the output height: (H + 2*PadH - DilH*(KH-1) - 1)/StrideH + 1.
func (g ConvGeom) OutH() int { return (g.H+2*g.PadH-g.DilH*(g.KH-1)-1)/g.StrideH + 1 }

// OutW is the output width.
func (g ConvGeom) OutW() int { return (g.W+2*g.PadW-g.DilW*(g.KW-1)-1)/g.StrideW + 1 }

// ColRows is the number of rows of the column matrix: C*KH*KW.
func (g ConvGeom) ColRows() int { return g.C * g.KH * g.KW }

// Im2col writes the column matrix of one image, img[C][H][W], into
// col[C*KH*KW][OutH*OutW] (row r = (c*KH + kh)*KW + kw), with zeros where the
// kernel reads padding.
func Im2col(g ConvGeom, img, col []float32) {
	oh, ow := g.OutH(), g.OutW()
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W:]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				dst := col[r*oh*ow : (r+1)*oh*ow]
				for y := 0; y < oh; y++ {
					iy := y*g.StrideH - g.PadH + kh*g.DilH
					row := dst[y*ow : (y+1)*ow]
					if iy < 0 || iy >= g.H {
						clear(row)
						continue
					}
					src := plane[iy*g.W:]
					for x := range row {
						ix := x*g.StrideW - g.PadW + kw*g.DilW
						if ix < 0 || ix >= g.W {
							row[x] = 0
						} else {
							row[x] = src[ix]
						}
					}
				}
				r++
			}
		}
	}
}

// Col2im adds the column matrix col[C*KH*KW][OutH*OutW] back into
// img[C][H][W] (the adjoint of Im2col); img is accumulated into, not cleared.
func Col2im(g ConvGeom, col, img []float32) {
	oh, ow := g.OutH(), g.OutW()
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W:]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				src := col[r*oh*ow : (r+1)*oh*ow]
				for y := 0; y < oh; y++ {
					iy := y*g.StrideH - g.PadH + kh*g.DilH
					if iy < 0 || iy >= g.H {
						continue
					}
					dst := plane[iy*g.W:]
					row := src[y*ow : (y+1)*ow]
					for x, v := range row {
						ix := x*g.StrideW - g.PadW + kw*g.DilW
						if ix >= 0 && ix < g.W {
							dst[ix] += v
						}
					}
				}
				r++
			}
		}
	}
}
