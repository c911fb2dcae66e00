package kernels

import "fmt"

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

// Validate reports, as an error naming the field, a geometry that describes
// no convolution: sizes, strides or dilations below 1, negative padding, or
// a kernel that does not fit the padded image.
func (g ConvGeom) Validate() error {
	pos := []struct {
		name string
		v    int
	}{{"C", g.C}, {"H", g.H}, {"W", g.W}, {"KH", g.KH}, {"KW", g.KW},
		{"StrideH", g.StrideH}, {"StrideW", g.StrideW}, {"DilH", g.DilH}, {"DilW", g.DilW}}
	for _, f := range pos {
		if f.v < 1 {
			return fmt.Errorf("convolution geometry %+v: %s = %d, want at least 1", g, f.name, f.v)
		}
	}
	if g.PadH < 0 || g.PadW < 0 {
		return fmt.Errorf("convolution geometry %+v: negative padding", g)
	}
	if g.H+2*g.PadH < g.DilH*(g.KH-1)+1 || g.W+2*g.PadW < g.DilW*(g.KW-1)+1 {
		return fmt.Errorf("convolution geometry %+v: the %dx%d kernel (dilation %dx%d) is larger than the padded %dx%d image",
			g, g.KH, g.KW, g.DilH, g.DilW, g.H+2*g.PadH, g.W+2*g.PadW)
	}
	return nil
}

// Im2col writes the column matrix of one image, img[C][H][W], into
// col[C*KH*KW][OutH*OutW] (row r = (c*KH + kh)*KW + kw), with zeros where the
// kernel reads padding.
//
// Each output row is a slice of one image row: the columns that read inside
// the image are found once per kernel column, so the inner loop is a copy
// (stride 1) or a strided gather, with no per-element bounds test.
func Im2col(g ConvGeom, img, col []float32) {
	oh, ow := g.OutH(), g.OutW()
	mustConvLen("Im2col", g, img, col)
	if g.pointwise() {
		copy(col, img[:g.C*g.H*g.W])
		return
	}
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				dst := col[r*oh*ow : (r+1)*oh*ow]
				xoff := kw*g.DilW - g.PadW
				x0, x1 := insideRange(xoff, g.StrideW, g.W, ow)
				if g.StrideH == 1 && g.StrideW == 1 && ow == g.W {
					im2colShifted(dst, plane, g.W, oh, kh*g.DilH-g.PadH, xoff, x0, x1, g.H)
					r++
					continue
				}
				for y := 0; y < oh; y++ {
					row := dst[y*ow : (y+1)*ow]
					iy := y*g.StrideH - g.PadH + kh*g.DilH
					if iy < 0 || iy >= g.H {
						clear(row)
						continue
					}
					src := plane[iy*g.W : (iy+1)*g.W]
					clear(row[:x0])
					clear(row[x1:])
					if g.StrideW == 1 {
						copy(row[x0:x1], src[x0+xoff:x1+xoff])
						continue
					}
					for x := x0; x < x1; x++ {
						row[x] = src[x*g.StrideW+xoff]
					}
				}
				r++
			}
		}
	}
}

// im2colShifted fills one row of the column matrix of a stride-1
// convolution whose output is as wide as its input (a "same" convolution):
// then dst[y*w+x] = plane[(y+yoff)*w + x+xoff] wherever that reads inside
// the image, so the valid rows are one contiguous copy, after which the
// columns outside [x0, x1), which picked up neighbouring image rows, are
// zeroed.
func im2colShifted(dst, plane []float32, w, oh, yoff, xoff, x0, x1, h int) {
	y0, y1 := insideRange(yoff, 1, h, oh)
	clear(dst[:y0*w])
	clear(dst[y1*w:])
	if y0 >= y1 || x0 >= x1 {
		clear(dst[y0*w : y1*w])
		return
	}
	lo, hi := y0*w+x0, (y1-1)*w+x1
	shift := yoff*w + xoff
	copy(dst[lo:hi], plane[lo+shift:hi+shift])
	for y := y0; y < y1; y++ {
		clear(dst[y*w : y*w+x0])
		clear(dst[y*w+x1 : (y+1)*w])
	}
}

// Col2im adds the column matrix col[C*KH*KW][OutH*OutW] back into
// img[C][H][W] (the adjoint of Im2col); img is accumulated into, not cleared.
// Contributions to one pixel are added in the order of the rows of col, so
// the result is deterministic.
func Col2im(g ConvGeom, col, img []float32) {
	oh, ow := g.OutH(), g.OutW()
	mustConvLen("Col2im", g, img, col)
	if g.pointwise() {
		n := g.C * g.H * g.W
		Add(img[:n], img[:n], col[:n])
		return
	}
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				src := col[r*oh*ow : (r+1)*oh*ow]
				xoff := kw*g.DilW - g.PadW
				x0, x1 := insideRange(xoff, g.StrideW, g.W, ow)
				for y := 0; y < oh; y++ {
					iy := y*g.StrideH - g.PadH + kh*g.DilH
					if iy < 0 || iy >= g.H || x0 >= x1 {
						continue
					}
					dst := plane[iy*g.W : (iy+1)*g.W]
					row := src[y*ow : (y+1)*ow]
					if g.StrideW == 1 {
						d := dst[x0+xoff : x1+xoff]
						Add(d, d, row[x0:x1])
						continue
					}
					for x := x0; x < x1; x++ {
						dst[x*g.StrideW+xoff] += row[x]
					}
				}
				r++
			}
		}
	}
}

// pointwise reports a 1x1 convolution without stride or padding, whose
// column matrix is the image itself.
func (g ConvGeom) pointwise() bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
}

// insideRange returns the output columns [x0, x1) whose input column
// x*stride + off lies in [0, w), clamped to [0, ow).
func insideRange(off, stride, w, ow int) (x0, x1 int) {
	if off < 0 {
		x0 = (-off + stride - 1) / stride
	}
	if w-off > 0 {
		x1 = (w - off + stride - 1) / stride
	}
	x0 = min(x0, ow)
	x1 = min(max(x1, x0), ow)
	return x0, x1
}

func mustConvLen(op string, g ConvGeom, img, col []float32) {
	if len(img) < g.C*g.H*g.W || len(col) < g.ColRows()*g.OutH()*g.OutW() {
		panic(fmt.Sprintf("kernels: %s with image of %d and columns of %d elements, want %d and %d for %+v",
			op, len(img), len(col), g.C*g.H*g.W, g.ColRows()*g.OutH()*g.OutW(), g))
	}
}
