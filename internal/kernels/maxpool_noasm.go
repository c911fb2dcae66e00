//go:build !amd64 || noasm

package kernels

func maxPool2x2(dst []float32, arg []int32, src []float32, oh, ow, w int) {
	maxPool2x2Go(dst, arg, src, oh, ow, w)
}
