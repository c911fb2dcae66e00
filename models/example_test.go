package models_test

import (
	"fmt"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// A CIFAR ResNet-20 that normalizes its [0,1] inputs itself, and the
// activations GradCAM would explain.
func ExampleNew() {
	m, err := models.New("resnet20", models.Options{
		Mean: []float32{0.4914, 0.4822, 0.4465},
		Std:  []float32{0.2471, 0.2435, 0.2616},
		Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	info, _ := models.Describe("resnet20")
	capture, _ := nn.NewCapture(m, info.FeatureLayer)
	nn.SetTraining(m, false)

	tp := autograd.NewTape()
	images := tensor.RandU(tensor.NewRNG(2), 0, 1, 4, 3, 32, 32)
	logits := nn.Call(m, tp.Input(images))
	fmt.Println(nn.NumParams(m), "parameters")
	fmt.Println("logits", logits.Shape(), info.FeatureLayer, capture.Out.Shape())
	// Output:
	// 269722 parameters
	// logits [4 10] layer3 [4 64 8 8]
}
