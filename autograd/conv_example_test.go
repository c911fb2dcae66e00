package autograd_test

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// A horizontal-difference filter over a 3x4 image, padded by one column on
// each side, and the gradient of one output pixel with respect to the image:
// its receptive field, weighted by the filter.
func ExampleConv2d() {
	w := autograd.NewParam(tensor.FromSlice([]float32{-1, 1}, 1, 1, 1, 2))
	tp := autograd.NewTape()
	x := tp.Input(tensor.FromSlice([]float32{
		0, 0, 1, 1,
		0, 1, 1, 0,
		1, 1, 0, 0,
	}, 1, 1, 3, 4))
	y := autograd.Conv2d(x, w, nil, autograd.ConvOptions{Padding: [2]int{0, 1}})
	seed := tensor.New(y.Shape()...)
	seed.Set(1, 0, 0, 1, 2) // output row 1, column 2
	tp.BackwardWith(y, seed, x)

	fmt.Println("output shape", y.Shape())
	fmt.Println(y.Data())
	fmt.Println(x.Grad.Data())
	// Output:
	// output shape [1 1 3 5]
	// [0 0 1 0 -1 0 1 0 -1 0 1 0 -1 0 0]
	// [0 0 0 0 0 -1 1 0 0 0 0 0]
}
