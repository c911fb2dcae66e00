package nn_test

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Capturing a submodule's output and its gradient, as GradCAM does.
func ExampleNewCapture() {
	rng := tensor.NewRNG(1)
	same := autograd.ConvOptions{Padding: [2]int{1, 1}}
	m := nn.NewSequential(
		nn.NewNormalize([]float32{0.5}, []float32{0.25}),
		nn.NewSequential(nn.NewConv2d(rng, 1, 4, 3, same, false), nn.NewReLU()),
		nn.NewFlatten(),
		nn.NewLinear(rng, 4*5*5, 3, true),
	)
	capture, err := nn.NewCapture(m, "1")
	if err != nil {
		panic(err)
	}
	defer capture.Remove()

	tp := autograd.NewTape()
	logits := m.Forward(tp.Input(tensor.RandU(rng, 0, 1, 2, 1, 5, 5)))
	grad := tensor.New(2, 3)
	grad.Set(1, 0, 2) // d(logit 2 of image 0)
	tp.BackwardWith(logits, grad, capture.Out)
	fmt.Println(capture.Out.Shape(), capture.Out.Grad.Shape())
	// Output: [2 4 5 5] [2 4 5 5]
}
