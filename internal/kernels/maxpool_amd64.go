//go:build amd64 && !noasm

package kernels

func maxPool2x2(dst []float32, arg []int32, src []float32, oh, ow, w int) {
	if !dconvAVX512 {
		maxPool2x2Go(dst, arg, src, oh, ow, w)
		return
	}
	_ = src[(2*oh-1)*w+2*ow-1]
	_ = dst[oh*ow-1]
	_ = arg[oh*ow-1]
	maxPool2x2AVX512(&dst[0], &arg[0], &src[0], oh, ow, w)
}

//go:noescape
func maxPool2x2AVX512(dst *float32, arg *int32, src *float32, oh, ow, w int)
