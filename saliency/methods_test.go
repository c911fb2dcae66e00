package saliency

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

var ctx = context.Background()

// setup returns a tiny model, its reference, 5 images of 3x8x7 and targets;
// batch size 2 makes the engine split rows unevenly.
func setup(t *testing.T) (*tinyNet, *ref, *tensor.Tensor, []int) {
	t.Helper()
	const c, h, w = 3, 8, 7
	m := newTinyNet(3, c, 4)
	return m, refOf(m, c, h, w), randImages(4, 5, c, h, w), []int{0, 3, 1, 2, 3}
}

func TestGradientAndInputXGradientMatchTheReference(t *testing.T) {
	m, r, x, targets := setup(t)
	for _, method := range []Method{Gradient, InputXGradient} {
		maps, err := Compute(ctx, m, x, targets, method, Options{BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(maps.Shape(), x.Shape()) {
			t.Fatalf("%v: shape %v", method, maps.Shape())
		}
		for i, target := range targets {
			xi := f64s(x.Index(i).Data())
			want := r.grad(xi, target)
			if method == InputXGradient {
				for j := range want {
					want[j] *= xi[j]
				}
			}
			closeTo(t, method.String(), maps.Index(i).Data(), want, 1e-5)
		}
	}
}

func TestSmoothGradFamilyMatchesTheReferenceOnTheSameNoise(t *testing.T) {
	m, r, x, targets := setup(t)
	const samples, level, seed = 6, 0.2, 11
	o := Options{BatchSize: 4, Samples: samples, NoiseLevel: level, Seed: seed}
	for _, method := range []Method{SmoothGrad, SmoothGradSquared, VarGrad} {
		maps, err := Compute(ctx, m, x, targets, method, o)
		if err != nil {
			t.Fatal(err)
		}
		for i, target := range targets {
			xi := x.Index(i).Data()
			sigma := float32(level * float64(x.Index(i).MaxAll()-x.Index(i).MinAll()))
			noisy := make([]float32, len(xi))
			mean, meanSq := make([]float64, len(xi)), make([]float64, len(xi))
			for s := 0; s < samples; s++ {
				noisyCopy(noisy, xi, sigma, seed, i, s)
				for j, g := range r.grad(f64s(noisy), target) {
					mean[j] += g / samples
					meanSq[j] += g * g / samples
				}
			}
			want := mean
			switch method {
			case SmoothGradSquared:
				want = meanSq
			case VarGrad:
				want = make([]float64, len(xi))
				for j := range want {
					for s := 0; s < samples; s++ {
						noisyCopy(noisy, xi, sigma, seed, i, s)
						d := r.grad(f64s(noisy), target)[j] - mean[j]
						want[j] += d * d / samples
					}
				}
			}
			closeTo(t, method.String(), maps.Index(i).Data(), want, 1e-5)
		}
	}
}

func TestSmoothGradNoiseIsDrawnAtTheAskedLevel(t *testing.T) {
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(i%7) / 10 // range 0.6
	}
	dst := make([]float32, len(x))
	noisyCopy(dst, x, 0.15*0.6, 1, 0, 0)
	var ss float64
	for i := range x {
		d := float64(dst[i] - x[i])
		ss += d * d
	}
	if std := math.Sqrt(ss / float64(len(x))); math.Abs(std-0.09) > 0.003 {
		t.Fatalf("noise std %g, want 0.09", std)
	}
	other := make([]float32, len(x))
	noisyCopy(other, x, 0.09, 1, 0, 1)
	if slices.Equal(dst, other) {
		t.Fatal("two samples drew the same noise")
	}
}

func TestSmoothGradWithoutNoiseIsTheGradient(t *testing.T) {
	m, _, x, targets := setup(t)
	g, err := Compute(ctx, m, x, targets, Gradient, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Samples: 3}.withDefaults(x.Dim(3))
	for _, method := range []Method{SmoothGrad, SmoothGradSquared, VarGrad} {
		sg, err := smoothGrad(ctx, m, x, targets, method, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range g.Data() {
			want := map[Method]float64{SmoothGrad: float64(v), SmoothGradSquared: float64(v) * float64(v), VarGrad: 0}[method]
			if d := math.Abs(float64(sg.Data()[j]) - want); d > 1e-6*(1+math.Abs(want)) {
				t.Fatalf("%v without noise: element %d = %g, want %g", method, j, sg.Data()[j], want)
			}
		}
	}
}

// TestMapsAreDeterministicAndIndependentOfTheBatchSize: the same seed gives
// the same maps bit for bit, whatever the batch size.
func TestMapsAreDeterministicAndIndependentOfTheBatchSize(t *testing.T) {
	m, _, x, targets := setup(t)
	var first *tensor.Tensor
	for _, batch := range []int{7, 7, 1, 3, 128} {
		maps, err := Compute(ctx, m, x, targets, SmoothGrad, Options{BatchSize: batch, Samples: 5, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = maps
		} else if !slices.Equal(first.Data(), maps.Data()) {
			t.Fatalf("batch size %d changed the maps", batch)
		}
	}
	other, _ := Compute(ctx, m, x, targets, SmoothGrad, Options{Samples: 5, Seed: 10})
	if slices.Equal(first.Data(), other.Data()) {
		t.Fatal("another seed gave the same maps")
	}
}

func TestIntegratedGradientsMatchTheReferenceAndAreComplete(t *testing.T) {
	m, r, x, targets := setup(t)
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	chw := c * h * w
	for _, b := range []Baseline{Black, Blur, Uniform} {
		for _, rule := range []Rule{GaussLegendre, RiemannTrapezoid} {
			o := Options{BatchSize: 3, Steps: 16, Rule: rule, Baseline: b, BlurSigma: 1.5, Seed: 5}
			res, err := ComputeIG(ctx, m, x, targets, o)
			if err != nil {
				t.Fatal(err)
			}
			alphas, weights, _ := rule.Points(16)
			for i := 0; i < n; i++ {
				xi := f64s(x.Index(i).Data())
				base32 := make([]float32, chw)
				if err := baselineImage(b, base32, x.Index(i).Data(), c, h, w, 1.5, 5, i); err != nil {
					t.Fatal(err)
				}
				base := f64s(base32)
				want := make([]float64, chw)
				p := make([]float64, chw)
				for k, a := range alphas {
					for j := range p {
						p[j] = base[j] + a*(xi[j]-base[j])
					}
					for j, g := range r.grad(p, targets[i]) {
						want[j] += weights[k] * g
					}
				}
				var sum float64
				for j := range want {
					want[j] *= xi[j] - base[j]
					sum += want[j]
				}
				what := "IG " + b.String() + " " + rule.String()
				closeTo(t, what, res.Attributions.Index(i).Data(), want, 1e-5)
				fx, fb := r.logits(xi)[targets[i]], r.logits(base)[targets[i]]
				if math.Abs(res.Scores[i]-fx) > 1e-5 || math.Abs(res.BaselineScores[i]-fb) > 1e-5 || math.Abs(res.Sums[i]-sum) > 1e-5 {
					t.Fatalf("%s image %d: scores %g %g sum %g, want %g %g %g", what, i, res.Scores[i], res.BaselineScores[i], res.Sums[i], fx, fb, sum)
				}
				// A smooth model: 16 Gauss-Legendre points integrate
				// almost exactly.
				if rule == GaussLegendre {
					if rel := res.RelativeCompletenessErrors()[i]; !(rel < 1e-3) {
						t.Fatalf("%s image %d: relative completeness error %g", what, i, rel)
					}
				}
			}
		}
	}
}

func TestGradCAMMatchesTheReference(t *testing.T) {
	m, r, x, targets := setup(t)
	maps, err := Compute(ctx, m, x, targets, GradCAM, Options{Layer: "act", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	n, h, w := x.Dim(0), x.Dim(2), x.Dim(3)
	if err := maps.CheckShape("gradcam", n, 1, h, w); err != nil {
		t.Fatal(err)
	}
	hw := r.oh * r.ow
	positive := 0
	for i, target := range targets {
		tt := r.act(f64s(x.Index(i).Data()))
		// dy/dT_f is fw[t,f]/HW at every position, so alpha_f is that.
		cam := make([]float64, hw)
		for f := 0; f < tinyFeatures; f++ {
			alpha := r.fw[target*tinyFeatures+f] / float64(hw)
			for p := range cam {
				cam[p] += alpha * tt[f*hw+p]
			}
		}
		for p := range cam {
			cam[p] = max(cam[p], 0)
			if cam[p] > 0 {
				positive++
			}
		}
		want32 := make([]float32, h*w)
		upsampleBilinear(want32, cam, r.oh, r.ow, h, w)
		closeTo(t, "gradcam", maps.Index(i).Data(), f64s(want32), 1e-5)
	}
	if positive == 0 || positive == n*hw {
		t.Fatalf("%d of %d CAM cells positive: the test does not exercise the ReLU", positive, n*hw)
	}
}

func TestMethodsRunInEvaluationModeAndRestoreTheMode(t *testing.T) {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := randImages(6, 4, 3, 8, 8)
	targets := []int{1, 2, 3, 4}
	nn.SetTraining(m, true)
	// With batch statistics, an image's map would depend on its batch.
	one, err := Compute(ctx, m, x, targets, Gradient, Options{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	all, err := Compute(ctx, m, x, targets, GradCAM, Options{BatchSize: 4, Layer: "layer3"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Core().Training() {
		t.Fatal("the model was left in evaluation mode")
	}
	four, _ := Compute(ctx, m, x, targets, Gradient, Options{BatchSize: 4})
	for j := range one.Data() {
		if d := math.Abs(float64(one.Data()[j] - four.Data()[j])); d > 1e-6 {
			t.Fatalf("gradient element %d differs with the batch size: %g vs %g", j, one.Data()[j], four.Data()[j])
		}
	}
	if !all.AllFinite() {
		t.Fatal("GradCAM on smallcnn is not finite")
	}
}

func TestMethodErrors(t *testing.T) {
	m, _, x, targets := setup(t)
	nan := x.Clone()
	nan.Data()[3] = float32(math.NaN())
	broken := newTinyNet(3, 3, 4)
	broken.fc.Bias.Value.Data()[1] = float32(math.Inf(1))
	cases := []struct {
		name    string
		model   nn.Module
		x       *tensor.Tensor
		targets []int
		method  Method
		o       Options
		want    string
	}{
		{"target too large", m, x, []int{0, 1, 2, 3, 4}, Gradient, Options{}, "image 4: target class 4, but the model has 4 outputs"},
		{"negative target", m, x, []int{0, -1, 2, 3, 0}, SmoothGrad, Options{}, "image 1: target class -1"},
		{"target count", m, x, targets[:3], IntegratedGradients, Options{}, "3 targets for 5 images"},
		{"not 4-D", m, x.Reshape(5, -1), targets, Gradient, Options{}, "want [N C H W]"},
		{"NaN image", m, nan, targets, Gradient, Options{}, "NaN"},
		{"no layer", m, x, targets, GradCAM, Options{}, "needs a layer"},
		{"unknown layer", m, x, targets, GradCAM, Options{Layer: "layer9"}, `no submodule "layer9"`},
		{"layer not 4-D", m, x, targets, GradCAM, Options{Layer: "fc"}, `layer "fc" did not output`},
		{"infinite output", broken, x, targets, Gradient, Options{}, "not finite"},
		{"too few trapezoid steps", m, x, targets, IntegratedGradients, Options{Steps: 1, Rule: RiemannTrapezoid}, "too few"},
		{"unknown method", m, x, targets, Method(42), Options{}, "unknown method"},
		{"NaN noise", m, x, targets, SmoothGrad, Options{NoiseLevel: math.NaN()}, "noise level NaN"},
		{"NaN blur", m, x, targets, IntegratedGradients, Options{Baseline: Blur, BlurSigma: math.NaN()}, "blur sigma NaN"},
		{"huge blur", m, x, targets, IntegratedGradients, Options{Baseline: Blur, BlurSigma: 1e12}, "outside (0, 128]"},
	}
	for _, c := range cases {
		_, err := Compute(ctx, c.model, c.x, c.targets, c.method, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Compute(cancelled, m, x, targets, Gradient, Options{}); err == nil {
		t.Error("a cancelled context did not stop the work")
	}
}

func TestParseNames(t *testing.T) {
	for _, m := range Methods() {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	for s, want := range map[string]Method{"Saliency": Gradient, "integrated_gradients": IntegratedGradients, "SmoothGrad_SQ": SmoothGradSquared, "Layer-GradCAM": GradCAM} {
		if got, err := ParseMethod(s); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %v, %v, want %v", s, got, err, want)
		}
	}
	if _, err := ParseMethod("lime"); err == nil || !strings.Contains(err.Error(), "gradcam") {
		t.Errorf("unknown method: %v", err)
	}
	for r := GaussLegendre; r <= RiemannTrapezoid; r++ {
		if got, err := ParseRule(r.String()); err != nil || got != r {
			t.Errorf("ParseRule(%q) = %v, %v", r.String(), got, err)
		}
	}
	for b := DefaultBaseline; b <= Uniform; b++ {
		if got, err := ParseBaseline(b.String()); err != nil || got != b {
			t.Errorf("ParseBaseline(%q) = %v, %v", b.String(), got, err)
		}
	}
	for a := AbsMax; a <= SignedSum; a++ {
		if got, err := ParseAggregation(a.String()); err != nil || got != a {
			t.Errorf("ParseAggregation(%q) = %v, %v", a.String(), got, err)
		}
	}
	for nm := PerRow; nm <= Global; nm++ {
		if got, err := ParseNormalization(nm.String()); err != nil || got != nm {
			t.Errorf("ParseNormalization(%q) = %v, %v", nm.String(), got, err)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := ParseRule("simpson"); return err },
		func() error { _, err := ParseBaseline("grey"); return err },
		func() error { _, err := ParseAggregation("mean"); return err },
		func() error { _, err := ParseNormalization("column"); return err },
	} {
		if bad() == nil {
			t.Error("an unknown name was accepted")
		}
	}
}
