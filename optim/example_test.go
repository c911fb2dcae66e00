package optim_test

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
	"github.com/robustlab/robustlab/tensor"
)

// The usual CIFAR recipe: SGD with Nesterov momentum, weight decay on
// weights only, and a cosine schedule with a warm-up epoch.
func ExampleSGD() {
	m, _ := models.New("resnet8", models.Options{Width: 4})
	opt, _ := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{
		Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4, NoDecay: optim.NormAndBias})
	schedule, _ := optim.ScheduleConfig{Kind: "cosine", LR: 0.1, Epochs: 30, WarmupEpochs: 1}.Build()

	const stepsPerEpoch = 2
	x := tensor.RandU(tensor.NewRNG(1), 0, 1, 8, 3, 32, 32)
	labels := []int{0, 1, 2, 3, 4, 5, 6, 7}
	tp := autograd.NewTape()
	for epoch := range 2 {
		for step := range stepsPerEpoch {
			tp.Reset()
			loss := autograd.CrossEntropy(nn.Call(m, tp.Input(x)), labels, 0)
			opt.ZeroGrad()
			tp.Backward(loss)
			lr := schedule(epoch, step, stepsPerEpoch)
			opt.Step(lr)
			fmt.Printf("epoch %d step %d lr %.4f\n", epoch, step, lr)
		}
	}
	// Output:
	// epoch 0 step 0 lr 0.0500
	// epoch 0 step 1 lr 0.1000
	// epoch 1 step 0 lr 0.1000
	// epoch 1 step 1 lr 0.0999
}
