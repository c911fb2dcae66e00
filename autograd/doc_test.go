package autograd_test

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/tensor"
)

// A one-feature, two-class logistic model, logits = x w + b with x [3,1]
// broadcast against w and b [1,2], its cross-entropy loss, and the gradient
// of the loss with respect to the input only, as an attack asks for it: the
// parameters' gradients are not computed.
func Example() {
	w := autograd.NewParam(tensor.FromSlice([]float32{1, -1}, 1, 2))
	b := autograd.NewParam(tensor.FromSlice([]float32{0, 0.5}, 1, 2))

	tp := autograd.NewTape()
	x := tp.Input(tensor.FromSlice([]float32{0.5, -1, 2}, 3, 1))
	logits := autograd.Add(autograd.Mul(x, w), b)
	loss := autograd.CrossEntropy(logits, []int{0, 1, 0}, 0)
	tp.Backward(loss, x)

	fmt.Printf("logits %v\n", logits.Shape())
	fmt.Printf("loss %.4f\n", loss.Value.Item())
	fmt.Printf("dloss/dx %.4f\n", x.Grad.Data())
	fmt.Println("weight gradient computed:", w.Grad != nil)
	// Output:
	// logits [3 2]
	// loss 0.1942
	// dloss/dx [-0.2517 0.0506 -0.0195]
	// weight gradient computed: false
}
