package saliency

import (
	"context"
	"math/rand/v2"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// smoothGrad averages the gradients of o.Samples noisy copies of each image
// (Smilkov et al. 2017, eq. 3): x + N(0, sigma^2) with sigma = level times
// the image's range (max - min), as the paper's noise level sigma / (x_max -
// x_min) and the authors' PAIR saliency code define it. The copies are not
// clipped to [0,1], as in the paper. m selects the statistic of the
// gradients: their mean (SmoothGrad), the mean of their squares
// (SmoothGradSquared) or their variance, E[g^2] - E[g]^2 (VarGrad, the
// population variance as in Captum), each accumulated in float64.
func smoothGrad(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, m Method, level float64, o Options) (*tensor.Tensor, error) {
	n, s := images.Dim(0), o.Samples
	chw := images.Len() / n
	defer nn.EvalMode(model)()
	sum := make([]float64, n*chw)
	sq := make([]float64, n*chw)
	sigma := make([]float32, n)
	for i := range sigma {
		px := images.Index(i)
		sigma[i] = float32(level * float64(px.MaxAll()-px.MinAll()))
	}
	e := newEngine(ctx, model, images, o, s)
	err := e.run(n*s, true, func(r int, dst []float32) int {
		i := r / s
		noisyCopy(dst, images.Index(i).Data(), sigma[i], o.Seed, i, r%s)
		return targets[i]
	}, func(r int, res rowResult) {
		i := r / s
		a, b := sum[i*chw:(i+1)*chw], sq[i*chw:(i+1)*chw]
		for j, g := range res.grad {
			a[j] += float64(g)
			b[j] += float64(g) * float64(g)
		}
	})
	if err != nil {
		return nil, err
	}
	out := tensor.New(images.Shape()...)
	d := out.Data()
	inv := 1 / float64(s)
	for j := range d {
		mean, meanSq := sum[j]*inv, sq[j]*inv
		switch m {
		case SmoothGrad:
			d[j] = float32(mean)
		case SmoothGradSquared:
			d[j] = float32(meanSq)
		default:
			d[j] = float32(max(0, meanSq-mean*mean))
		}
	}
	return out, nil
}

// noisyCopy writes x + N(0, sigma^2) into dst, with the noise of sample s of
// image i drawn from a generator seeded by (seed, i, s): the same copy
// whatever the batch it falls in.
func noisyCopy(dst, x []float32, sigma float32, seed uint64, i, s int) {
	rng := rand.New(rand.NewPCG(seed, uint64(i)<<32|uint64(uint32(s))))
	for j, v := range x {
		dst[j] = v + sigma*float32(rng.NormFloat64())
	}
}
