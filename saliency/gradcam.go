package saliency

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// gradCAM computes Grad-CAM (Selvaraju et al. 2017) at layer o.Layer: with
// A the layer's output [K,h,w] for an image and y the target logit, the
// channel weights are alpha_k = mean over (i,j) of dy/dA_k(i,j) (eq. 1) and
// the map is ReLU(sum_k alpha_k A_k) (eq. 2), upsampled bilinearly to the
// input's H x W, as the paper's code does. The result is [N,1,H,W].
func gradCAM(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, o Options) (*tensor.Tensor, error) {
	if err := checkImages(images, targets); err != nil {
		return nil, err
	}
	if o.Layer == "" {
		return nil, fmt.Errorf("saliency: GradCAM needs a layer (Options.Layer, e.g. the architecture's FeatureLayer)")
	}
	o = o.withDefaults(images.Dim(3))
	capture, err := nn.NewCapture(model, o.Layer)
	if err != nil {
		return nil, fmt.Errorf("saliency: GradCAM layer: %w", err)
	}
	defer capture.Remove()
	defer nn.EvalMode(model)()
	n, h, w := images.Dim(0), images.Dim(2), images.Dim(3)
	out := tensor.New(n, 1, h, w)
	e := newEngine(ctx, model, images, o, 1)
	e.capture = capture
	var cam []float64
	err = e.run(n, true, func(r int, dst []float32) int {
		copy(dst, images.Index(r).Data())
		return targets[r]
	}, func(r int, res rowResult) {
		hw := res.actH * res.actW
		cam = append(cam[:0], make([]float64, hw)...)
		for k := 0; k < res.actC; k++ {
			var alpha float64
			for _, g := range res.actGrad[k*hw : (k+1)*hw] {
				alpha += float64(g)
			}
			alpha /= float64(hw)
			for p, a := range res.act[k*hw : (k+1)*hw] {
				cam[p] += alpha * float64(a)
			}
		}
		for p, v := range cam {
			cam[p] = max(v, 0)
		}
		upsampleBilinear(out.Index(r).Data(), cam, res.actH, res.actW, h, w)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// upsampleBilinear resizes src (ih x iw) to dst (oh x ow) by bilinear
// interpolation with pixel centres aligned, as PyTorch's
// interpolate(mode="bilinear", align_corners=False): output pixel o samples
// the input at (o + 1/2) in/out - 1/2, clamped at 0.
func upsampleBilinear(dst []float32, src []float64, ih, iw, oh, ow int) {
	type tap struct {
		i0, i1 int
		l      float64
	}
	taps := func(in, out int) []tap {
		t := make([]tap, out)
		scale := float64(in) / float64(out)
		for o := range t {
			s := max((float64(o)+0.5)*scale-0.5, 0)
			i0 := min(int(s), in-1)
			i1 := min(i0+1, in-1)
			t[o] = tap{i0, i1, s - float64(i0)}
		}
		return t
	}
	ty, tx := taps(ih, oh), taps(iw, ow)
	for y, a := range ty {
		for x, b := range tx {
			top := (1-b.l)*src[a.i0*iw+b.i0] + b.l*src[a.i0*iw+b.i1]
			bot := (1-b.l)*src[a.i1*iw+b.i0] + b.l*src[a.i1*iw+b.i1]
			dst[y*ow+x] = float32((1-a.l)*top + a.l*bot)
		}
	}
}
