package saliency

import (
	"context"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// gradient returns d logit[target]/d x for each image (Simonyan et al.
// 2014, sec. 3.1), times x with timesInput (InputXGradient).
func gradient(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, timesInput bool, o Options) (*tensor.Tensor, error) {
	if err := checkImages(images, targets); err != nil {
		return nil, err
	}
	o = o.withDefaults(images.Dim(3))
	defer nn.EvalMode(model)()
	out := tensor.New(images.Shape()...)
	e := newEngine(ctx, model, images, o, 1)
	err := e.run(images.Dim(0), true, func(r int, dst []float32) int {
		copy(dst, images.Index(r).Data())
		return targets[r]
	}, func(r int, res rowResult) {
		dst := out.Index(r).Data()
		copy(dst, res.grad)
		if timesInput {
			for j, x := range images.Index(r).Data() {
				dst[j] *= x
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
