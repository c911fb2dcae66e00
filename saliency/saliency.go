// Package saliency explains an image classifier's decision for a target
// class with a map over the input: input gradients and the methods built on
// them (Gradient, InputXGradient, SmoothGrad and its squared and variance
// forms, IntegratedGradients) and GradCAM at a named layer. It renders maps
// as heat maps, overlays and the model-by-image grid of the seed's cover
// figure, and it measures them: where the object mask is known, how much of
// the map's mass lies on the object, on its boundary band and in its
// interior, and whether its maximum is on the object (the pointing game); on
// any data, deletion and insertion curves, the model-randomization sanity
// check and the rank correlation between two models' maps.
//
// Method names follow Captum's. Every method runs the model in evaluation
// mode (batch norm's running statistics, no dropout) and explains the
// target class's logit: the model's output before the softmax, as Captum
// does for a model that returns logits. Images are N x C x H x W in [0,1];
// maps are N x C x H x W (GradCAM: N x 1 x H x W), and Aggregate reduces
// them to one value per pixel, N x H x W, which rendering and the metrics
// take.
//
// Work is done in batches of Options.BatchSize rows (a row is one image,
// one noisy copy of it or one point on an integration path), so a batch of
// 8 images with 25 SmoothGrad samples fills a batch of 128 as well as 128
// images do. Random draws (SmoothGrad's noise, the uniform baseline) come
// from generators seeded by (Options.Seed, image index, sample), so the
// maps do not depend on the batch size and the same seed gives the same
// maps bit for bit.
package saliency

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// Method is a saliency method.
type Method int

// The methods, with Captum's names.
const (
	// Gradient is the gradient of the target logit with respect to the
	// input (Simonyan et al. 2014, "Deep Inside Convolutional Networks",
	// sec. 3.1; Captum's Saliency without its absolute value, which
	// Aggregate takes).
	Gradient Method = iota
	// InputXGradient is the input times its gradient, element-wise
	// (Shrikumar et al. 2016): the first-order share of each input in the
	// logit.
	InputXGradient
	// SmoothGrad is the mean gradient over noisy copies of the input
	// (Smilkov et al. 2017, "SmoothGrad: removing noise by adding noise",
	// eq. 3).
	SmoothGrad
	// SmoothGradSquared is the mean of the squared gradients over the noisy
	// copies (Hooker et al. 2019's SG-SQ; Captum's "smoothgrad_sq").
	SmoothGradSquared
	// VarGrad is the variance of the gradients over the noisy copies
	// (Adebayo et al. 2018; Captum's "vargrad").
	VarGrad
	// IntegratedGradients integrates the gradient along the straight path
	// from a baseline to the input and multiplies by their difference
	// (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks",
	// eq. 1, approximated as eq. 3 with the rule of Options.Rule).
	IntegratedGradients
	// GradCAM weighs the channels of a layer's output by the spatial mean
	// of the target logit's gradient, keeps the positive part of the sum
	// and upsamples it to the input (Selvaraju et al. 2017, eqs. 1-2).
	GradCAM
)

var methodNames = []string{"gradient", "inputxgradient", "smoothgrad", "smoothgrad-sq", "vargrad", "ig", "gradcam"}

// Methods lists every method, in order.
func Methods() []Method {
	return []Method{Gradient, InputXGradient, SmoothGrad, SmoothGradSquared, VarGrad, IntegratedGradients, GradCAM}
}

// String returns the method's name as ParseMethod reads it.
func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod reads a method name: gradient (or saliency), inputxgradient,
// smoothgrad, smoothgrad-sq, vargrad, ig (or integratedgradients), gradcam.
// Case, "-" and "_" are ignored except in smoothgrad-sq.
func ParseMethod(s string) (Method, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	switch k {
	case "smoothgrad-sq", "smoothgrad_sq", "smoothgradsq", "smoothgrad-squared", "sg-sq":
		return SmoothGradSquared, nil
	}
	k = strings.NewReplacer("-", "", "_", "").Replace(k)
	switch k {
	case "gradient", "saliency", "grad":
		return Gradient, nil
	case "inputxgradient", "ixg":
		return InputXGradient, nil
	case "smoothgrad", "sg":
		return SmoothGrad, nil
	case "vargrad":
		return VarGrad, nil
	case "ig", "integratedgradients":
		return IntegratedGradients, nil
	case "gradcam", "layergradcam":
		return GradCAM, nil
	}
	return 0, fmt.Errorf("saliency: unknown method %q (known: %s)", s, strings.Join(methodNames, ", "))
}

// Options configure the methods. Zero values mean the defaults given.
type Options struct {
	// BatchSize is the number of rows (images, noisy copies or path
	// points) per forward and backward pass; default 128.
	BatchSize int
	// Samples is SmoothGrad's number of noisy copies per image; default 25.
	Samples int
	// NoiseLevel is SmoothGrad's noise standard deviation as a fraction of
	// each image's range (max - min), the paper's sigma / (x_max - x_min);
	// default 0.15, inside the 10-20% that Smilkov et al. (sec. 4.1) found
	// best.
	NoiseLevel float64
	// Steps is IntegratedGradients' number of gradient evaluations along the
	// path; default 64.
	Steps int
	// Rule is IntegratedGradients' quadrature rule; default GaussLegendre,
	// Captum's.
	Rule Rule
	// Baseline is IntegratedGradients' baseline; DefaultBaseline means
	// Black.
	Baseline Baseline
	// BlurSigma is the Gaussian blur's standard deviation in pixels for the
	// Blur baseline; default max(1, W/8), which wipes out a 32x32 shapes
	// texture and leaves a blob where the shape was.
	BlurSigma float64
	// Layer is GradCAM's layer, a dotted submodule path such as "layer3"
	// (models.Describe(arch).FeatureLayer is the usual choice); required
	// for GradCAM.
	Layer string
	// Seed seeds the noise of SmoothGrad and of the Uniform baseline.
	Seed uint64
	// Progress, if not nil, is called after each batch with the rows done
	// and the rows in all.
	Progress func(done, total int)
}

func (o Options) withDefaults(w int) Options {
	if o.BatchSize <= 0 {
		o.BatchSize = 128
	}
	if o.Samples <= 0 {
		o.Samples = 25
	}
	if o.NoiseLevel <= 0 {
		o.NoiseLevel = 0.15
	}
	if o.Steps <= 0 {
		o.Steps = 64
	}
	if o.Baseline == DefaultBaseline {
		o.Baseline = Black
	}
	if o.BlurSigma <= 0 {
		o.BlurSigma = max(1, float64(w)/8)
	}
	return o
}

// Compute returns the maps of method m for images [N,C,H,W] and one target
// class per image: [N,C,H,W], or [N,1,H,W] for GradCAM. The model runs in
// evaluation mode and is returned to its previous mode. An error names the
// image or option at fault; a model whose output or gradient is not finite
// is an error, not a map of NaNs.
func Compute(ctx context.Context, model nn.Module, images *tensor.Tensor, targets []int, m Method, o Options) (*tensor.Tensor, error) {
	switch m {
	case Gradient, InputXGradient:
		return gradient(ctx, model, images, targets, m == InputXGradient, o)
	case SmoothGrad, SmoothGradSquared, VarGrad:
		if err := checkImages(images, targets); err != nil {
			return nil, err
		}
		o = o.withDefaults(images.Dim(3))
		if math.IsNaN(o.NoiseLevel) || math.IsInf(o.NoiseLevel, 0) {
			return nil, fmt.Errorf("saliency: SmoothGrad noise level %g is not a fraction of the image's range", o.NoiseLevel)
		}
		return smoothGrad(ctx, model, images, targets, m, o.NoiseLevel, o)
	case IntegratedGradients:
		r, err := ComputeIG(ctx, model, images, targets, o)
		if err != nil {
			return nil, err
		}
		return r.Attributions, nil
	case GradCAM:
		return gradCAM(ctx, model, images, targets, o)
	}
	return nil, fmt.Errorf("saliency: unknown method %v", m)
}

// checkImages checks that images is [N,C,H,W] with N >= 1, that its values
// are finite, and, unless targets is nil, that there is one non-negative
// target per image (the upper bound is checked against the model's output).
func checkImages(images *tensor.Tensor, targets []int) error {
	if images == nil || images.NDim() != 4 {
		shape := "nil"
		if images != nil {
			shape = tensor.FormatShape(images.Shape())
		}
		return fmt.Errorf("saliency: images have shape %s, want [N C H W]", shape)
	}
	if images.Dim(0) == 0 || images.Len() == 0 {
		return fmt.Errorf("saliency: images have shape %s: no pixels", tensor.FormatShape(images.Shape()))
	}
	if !images.AllFinite() {
		return fmt.Errorf("saliency: images hold NaN or infinite values")
	}
	if targets == nil {
		return nil
	}
	if len(targets) != images.Dim(0) {
		return fmt.Errorf("saliency: %d targets for %d images", len(targets), images.Dim(0))
	}
	for i, t := range targets {
		if t < 0 {
			return fmt.Errorf("saliency: image %d: target class %d is negative", i, t)
		}
	}
	return nil
}

// engine streams rows through a model in batches on one reused tape.
type engine struct {
	ctx      context.Context
	model    nn.Module
	tape     *autograd.Tape
	batch    int
	c, h, w  int
	perImage int // rows per image, to name the image in errors
	capture  *nn.Capture
	progress func(done, total int)
}

func newEngine(ctx context.Context, model nn.Module, images *tensor.Tensor, o Options, perImage int) *engine {
	if ctx == nil {
		ctx = context.Background()
	}
	return &engine{ctx: ctx, model: model, tape: autograd.NewTape(), batch: o.BatchSize,
		c: images.Dim(1), h: images.Dim(2), w: images.Dim(3), perImage: perImage, progress: o.Progress}
}

// rowResult is what the engine found for one row. Its slices are valid only
// during the call to use.
type rowResult struct {
	logits []float32 // [K]
	grad   []float32 // d logit[target] / d input, [C*H*W]; nil without gradients
	// With a capture: the captured layer's output for this row and its
	// gradient, [AC*AH*AW].
	act, actGrad     []float32
	actC, actH, actW int
}

// run streams rows 0..n-1 through the model, e.batch at a time. fill writes
// row r's input (C*H*W values) into dst and returns its target class (any
// negative value where no gradient is taken). With grads, the target
// logit is differentiated with respect to the input, or to the captured
// layer if e.capture is set. use receives each row's results in row order.
func (e *engine) run(n int, grads bool, fill func(r int, dst []float32) int, use func(r int, res rowResult)) error {
	chw := e.c * e.h * e.w
	buf := make([]float32, min(e.batch, n)*chw)
	targets := make([]int, e.batch)
	for lo := 0; lo < n; lo += e.batch {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		b := min(e.batch, n-lo)
		for r := 0; r < b; r++ {
			targets[r] = fill(lo+r, buf[r*chw:(r+1)*chw])
		}
		x := tensor.FromSlice(buf[:b*chw], b, e.c, e.h, e.w)
		e.tape.Reset()
		xv := e.tape.Input(x)
		out := e.model.Forward(xv)
		if out.Value.NDim() != 2 || out.Value.Dim(0) != b {
			return fmt.Errorf("saliency: model output has shape %s for %d images, want [%d K]", tensor.FormatShape(out.Shape()), b, b)
		}
		k := out.Value.Dim(1)
		logits := out.Value.Data()
		for r := 0; r < b; r++ {
			for _, v := range logits[r*k : (r+1)*k] {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("saliency: image %d: the model's output is not finite (%g)", (lo+r)/e.perImage, v)
				}
			}
		}
		var wrt *autograd.Var
		if grads {
			seed := e.tape.Tensor(b, k)
			for r := 0; r < b; r++ {
				if targets[r] >= k {
					return fmt.Errorf("saliency: image %d: target class %d, but the model has %d outputs", (lo+r)/e.perImage, targets[r], k)
				}
				seed.Data()[r*k+targets[r]] = 1
			}
			wrt = xv
			if e.capture != nil {
				wrt = e.capture.Out
				if wrt == nil || wrt.Value.NDim() != 4 || wrt.Value.Dim(0) != b {
					return fmt.Errorf("saliency: layer %q did not output a [%d C H W] tensor for a batch of %d", e.capture.Path, b, b)
				}
			}
			e.tape.BackwardWith(out, seed, wrt)
		}
		var g, a, ag []float32
		var ac, ah, aw int
		if wrt != nil {
			if wrt.Grad != nil {
				g = wrt.Grad.Data()
			} else {
				// The target does not depend on wrt: its gradient is zero.
				g = make([]float32, wrt.Value.Len())
			}
			for _, v := range g {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("saliency: images %d-%d: the gradient is not finite", lo/e.perImage, (lo+b-1)/e.perImage)
				}
			}
			if e.capture != nil {
				ag, g = g, nil
				a = wrt.Value.Data()
				ac, ah, aw = wrt.Value.Dim(1), wrt.Value.Dim(2), wrt.Value.Dim(3)
			}
		}
		for r := 0; r < b; r++ {
			res := rowResult{logits: logits[r*k : (r+1)*k]}
			if g != nil {
				res.grad = g[r*chw : (r+1)*chw]
			}
			if a != nil {
				m := ac * ah * aw
				res.act, res.actGrad = a[r*m:(r+1)*m], ag[r*m:(r+1)*m]
				res.actC, res.actH, res.actW = ac, ah, aw
			}
			use(lo+r, res)
		}
		if e.progress != nil {
			e.progress(lo+b, n)
		}
	}
	return nil
}
