package kernels

import "fmt"

// MaxPool2x2 is the 2x2, stride-2 max pool of one h x w plane of src into
// the (h/2) x (w/2) plane dst (a last odd row or column is dropped, as
// PyTorch floors), with arg[k] the index in src of output k's maximum:
// the first in the window's row-major order, except that a NaN is the
// maximum (the first NaN), as in PyTorch. On amd64 with AVX-512 it runs
// 16 windows per step (maxpool_amd64.s); maxPool2x2Go is its twin.
func MaxPool2x2(dst []float32, arg []int32, src []float32, h, w int) {
	oh, ow := h/2, w/2
	if len(src) < h*w || len(dst) < oh*ow || len(arg) < oh*ow {
		panic(fmt.Sprintf("kernels: MaxPool2x2 of a %dx%d plane from %d floats into %d and %d", h, w, len(src), len(dst), len(arg)))
	}
	if oh == 0 || ow == 0 {
		return
	}
	maxPool2x2(dst, arg, src, oh, ow, w)
}

// maxPool2x2Go scans each window in row-major order, the window's two
// rows read as pairs (one bounds check each).
func maxPool2x2Go(dst []float32, arg []int32, src []float32, oh, ow, w int) {
	for oy := 0; oy < oh; oy++ {
		top, bot := src[2*oy*w:2*oy*w+2*ow], src[(2*oy+1)*w:(2*oy+1)*w+2*ow]
		d, ar := dst[oy*ow:oy*ow+ow], arg[oy*ow:oy*ow+ow]
		for ox := range d {
			t, b := (*[2]float32)(top[2*ox:]), (*[2]float32)(bot[2*ox:])
			i := 2*oy*w + 2*ox
			best, bi := t[0], i
			if v := t[1]; v > best || v != v {
				best, bi = v, i+1
			}
			if v := b[0]; v > best || v != v {
				best, bi = v, i+w
			}
			if v := b[1]; v > best || v != v {
				best, bi = v, i+w+1
			}
			d[ox], ar[ox] = best, int32(bi)
		}
	}
}
