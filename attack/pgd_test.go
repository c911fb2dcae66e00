package attack

import (
	"math"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// refPGD is PGD on the linear model in float64, written from Madry et al.'s
// eq. 2 with the model's analytic input gradient W^T (softmax(z) - e_y)
// (e_t - softmax(z) targeted): the independent reference of the Go attack.
func refPGD(m *linearModel, x []float32, y, t int, norm Norm, eps, alpha float64, steps int) []float64 {
	w := m.lin.Weight.Value.Data()
	adv := make([]float64, len(x))
	for j, v := range x {
		adv[j] = float64(v)
	}
	img := make([]float32, len(x))
	for s := 0; s < steps; s++ {
		for j, v := range adv {
			img[j] = float32(v)
		}
		z := logits64(m, img)
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(v - mx)
		}
		dz := make([]float64, protoK)
		for c, v := range z {
			dz[c] = math.Exp(v-mx) / sum
		}
		if t < 0 {
			dz[y]--
		} else {
			for c := range dz {
				dz[c] = -dz[c]
			}
			dz[t]++
		}
		g := make([]float64, len(x))
		gn := 0.0
		for j := range g {
			for c := range dz {
				g[j] += float64(w[c*protoDim+j]) * dz[c]
			}
			gn += g[j] * g[j]
		}
		gn = math.Sqrt(gn)
		for j := range adv {
			if norm == Linf {
				switch {
				case g[j] > 0:
					adv[j] += alpha
				case g[j] < 0:
					adv[j] -= alpha
				}
			} else if gn > 0 {
				adv[j] += alpha * g[j] / gn
			}
		}
		if norm == Linf {
			for j, v := range adv {
				adv[j] = math.Min(math.Max(math.Min(math.Max(v, float64(x[j])-eps), float64(x[j])+eps), 0), 1)
			}
		} else {
			dn := 0.0
			for j, v := range adv {
				dn += (v - float64(x[j])) * (v - float64(x[j]))
			}
			f := math.Min(1, eps/math.Sqrt(dn))
			for j, v := range adv {
				adv[j] = math.Min(math.Max(float64(x[j])+(v-float64(x[j]))*f, 0), 1)
			}
		}
	}
	return adv
}

// TestPGDMatchesFloat64Reference runs PGD (and FGSM, one step of size eps)
// from the image itself on the linear model and compares every pixel with
// the float64 reference.
func TestPGDMatchesFloat64Reference(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(20)
	targets := make([]int, len(labels))
	for i, y := range labels {
		targets[i] = (y + 3) % protoK
	}
	for _, c := range []struct {
		name    string
		cfg     PGDConfig
		targets []int
	}{
		{"fgsm-linf", FGSMConfig{Eps: 0.06}.pgd(), nil},
		{"fgsm-l2", FGSMConfig{Norm: L2, Eps: 0.5}.pgd(), nil},
		{"pgd-linf", PGDConfig{Eps: 0.06, Alpha: 0.01, Steps: 10}, nil},
		{"pgd-l2", PGDConfig{Norm: L2, Eps: 0.5, Alpha: 0.1, Steps: 10}, nil},
		{"pgd-linf-targeted", PGDConfig{Eps: 0.1, Alpha: 0.02, Steps: 10}, targets},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Targets = c.targets
			adv, err := PGD(m, x, labels, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, y := range labels {
				tg := -1
				if c.targets != nil {
					tg = c.targets[i]
				}
				norm, _ := c.cfg.Norm.resolve()
				want := refPGD(m, row(x, i), y, tg, norm, c.cfg.Eps, float64(c.cfg.stepSize()), c.cfg.Steps)
				for j, v := range row(adv, i) {
					worst = math.Max(worst, math.Abs(float64(v)-want[j]))
				}
			}
			if !(worst <= 1e-5) { // NaN fails too
				t.Errorf("largest pixel difference from the float64 reference %.3g, want <= 1e-5", worst)
			}
		})
	}
}

// TestAttacksStayInBudget runs every attack on a small CNN with images
// that touch 0 and 1 and checks that every adversarial image lies in its
// eps-ball and in [0,1], and that x is left untouched.
func TestAttacksStayInBudget(t *testing.T) {
	m, err := models.New("smallcnn", models.Options{Width: 4, Classes: 5, InChannels: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(3)
	x := tensor.RandU(rng, -0.3, 1.3, 6, 3, 8, 8)
	x.ClampInPlace(0, 1)
	orig := x.Clone()
	labels := []int{0, 1, 2, 3, 4, 0}
	const eps = 0.1
	run := map[string]func() (*tensor.Tensor, error){
		"fgsm":   func() (*tensor.Tensor, error) { return FGSM(m, x, labels, FGSMConfig{Eps: eps}) },
		"fgm-l2": func() (*tensor.Tensor, error) { return FGSM(m, x, labels, FGSMConfig{Eps: eps, Norm: L2}) },
		"pgd": func() (*tensor.Tensor, error) {
			return PGD(m, x, labels, PGDConfig{Eps: eps, Steps: 5, RandomStart: true, Restarts: 2})
		},
		"pgd-l2": func() (*tensor.Tensor, error) {
			return PGD(m, x, labels, PGDConfig{Norm: L2, Eps: eps, Steps: 5, RandomStart: true})
		},
		"apgd-ce": func() (*tensor.Tensor, error) { return APGD(m, x, labels, APGDConfig{Eps: eps, Steps: 10}) },
		"apgd-dlr": func() (*tensor.Tensor, error) {
			return APGD(m, x, labels, APGDConfig{Eps: eps, Steps: 10, Loss: DLR()})
		},
		"apgd-l2": func() (*tensor.Tensor, error) { return APGD(m, x, labels, APGDConfig{Norm: L2, Eps: eps, Steps: 10}) },
		"square":  func() (*tensor.Tensor, error) { return Square(m, x, labels, SquareConfig{Eps: eps, Queries: 30}) },
		"pgd-early": func() (*tensor.Tensor, error) {
			return PGD(m, x, labels, PGDConfig{Eps: eps, Steps: 5, EarlyStop: true})
		},
	}
	for name, f := range run {
		adv, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !tensor.SameShape(adv.Shape(), x.Shape()) {
			t.Fatalf("%s: result shape %v", name, adv.Shape())
		}
		for i := range labels {
			d := make([]float32, rowLen(x))
			for j, v := range row(adv, i) {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s: example %d pixel %d is %g, outside [0,1]", name, i, j, v)
				}
				d[j] = v - row(x, i)[j]
			}
			bound := linf(d)
			if strings.Contains(name, "l2") {
				bound = l2(d)
			}
			if bound > eps+1e-6 {
				t.Errorf("%s: example %d moved %g, budget %g", name, i, bound, eps)
			}
		}
		for j, v := range x.Data() {
			if v != orig.Data()[j] {
				t.Fatalf("%s modified its input", name)
			}
		}
	}
}

// TestAttacksAgainstExactRobustness holds the attacks to the linear
// model's exact Linf robustness: no attack may fool an example that is
// provably robust (that would be an invalid adversarial image), and each
// must fool nearly every example that can be fooled: the cross-entropy
// attacks within 2 points of the exact robust accuracy; the DLR loss,
// whose ratio has local maxima on this problem (plain PGD on it stalls at
// the same point), and Square's random search with 300 queries within 10.
func TestAttacksAgainstExactRobustness(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(100)
	for _, eps := range []float64{0.02, 0.04, 0.06, 0.08} {
		exact := 0
		for i, y := range labels {
			if exactRobust(m, row(x, i), y, eps) {
				exact++
			}
		}
		attacks := []struct {
			name  string
			slack int
			f     func() (*tensor.Tensor, error)
		}{
			{"fgsm", 100, func() (*tensor.Tensor, error) { return FGSM(m, x, labels, FGSMConfig{Eps: eps}) }},
			{"pgd", 2, func() (*tensor.Tensor, error) {
				return PGD(m, x, labels, PGDConfig{Eps: eps, Steps: 20, RandomStart: true, EarlyStop: true, Seed: 1})
			}},
			{"apgd-ce", 2, func() (*tensor.Tensor, error) { return APGD(m, x, labels, APGDConfig{Eps: eps, Steps: 50, Seed: 1}) }},
			{"apgd-dlr", 10, func() (*tensor.Tensor, error) {
				return APGD(m, x, labels, APGDConfig{Eps: eps, Steps: 50, Loss: DLR(), Seed: 1})
			}},
			{"square", 10, func() (*tensor.Tensor, error) {
				return Square(m, x, labels, SquareConfig{Eps: eps, Queries: 300, Seed: 1})
			}},
		}
		for _, a := range attacks {
			adv, err := a.f()
			if err != nil {
				t.Fatal(err)
			}
			robust := 0
			for i, y := range labels {
				z := logits64(m, row(adv, i))
				if argmax64(z) == y {
					robust++
				} else if exactRobust(m, row(x, i), y, eps) {
					t.Errorf("eps %g: %s fooled example %d, which is provably robust", eps, a.name, i)
				}
			}
			t.Logf("eps %g: exact robust accuracy %d%%, under %s %d%%", eps, exact, a.name, robust)
			if robust > exact+a.slack {
				t.Errorf("eps %g: %s leaves %d%% correct, the exact robust accuracy is %d%%", eps, a.name, robust, exact)
			}
		}
	}
}

func argmax64(z []float64) int {
	best := 0
	for k, v := range z {
		if v > z[best] {
			best = k
		}
	}
	return best
}

// TestTargetedPGDReachesTarget: with a budget large enough, a targeted
// attack makes the model predict the target, not merely something wrong.
func TestTargetedPGDReachesTarget(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(30)
	targets := make([]int, len(labels))
	for i, y := range labels {
		targets[i] = (y + 1 + i%(protoK-1)) % protoK
	}
	for _, f := range []func() (*tensor.Tensor, error){
		func() (*tensor.Tensor, error) {
			return PGD(m, x, labels, PGDConfig{Eps: 0.3, Steps: 20, Targets: targets, EarlyStop: true})
		},
		func() (*tensor.Tensor, error) {
			return APGD(m, x, labels, APGDConfig{Eps: 0.3, Steps: 20, Targets: targets, Loss: DLR()})
		},
		func() (*tensor.Tensor, error) {
			return Square(m, x, labels, SquareConfig{Eps: 0.3, Queries: 300, Targets: targets})
		},
	} {
		adv, err := f()
		if err != nil {
			t.Fatal(err)
		}
		hit := 0
		for i := range labels {
			if argmax64(logits64(m, row(adv, i))) == targets[i] {
				hit++
			}
		}
		if hit < len(labels)-1 {
			t.Errorf("%d of %d examples reach their target", hit, len(labels))
		}
	}
}

// TestEvalModeAndRestore: an attack on a model in training mode uses
// batch norm's running statistics (the result equals the attack on the
// model put in evaluation mode beforehand), leaves the statistics alone,
// and gives the model back in training mode; KeepMode attacks it as is.
func TestEvalModeAndRestore(t *testing.T) {
	m, err := models.New("smallcnn", models.Options{Width: 4, Classes: 5, InChannels: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.RandU(tensor.NewRNG(4), 0, 1, 4, 3, 8, 8)
	labels := []int{0, 1, 2, 3}
	// Move the running statistics away from their initial values.
	tp := autograd.NewTape()
	nn.Call(m, tp.Input(tensor.RandU(tensor.NewRNG(5), 0, 1, 8, 3, 8, 8)))
	before := nn.StateDict(m)["layer1.1.running_mean"].Clone()
	cfg := PGDConfig{Eps: 0.05, Steps: 3}

	adv, err := PGD(m, x, labels, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Core().Training() {
		t.Fatal("the attack left the model in evaluation mode")
	}
	after := nn.StateDict(m)["layer1.1.running_mean"]
	for j, v := range after.Data() {
		if v != before.Data()[j] {
			t.Fatal("the attack changed batch norm's running statistics")
		}
	}
	nn.SetTraining(m, false)
	want, err := PGD(m, x, labels, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Core().Training() {
		t.Fatal("the attack put an evaluation-mode model in training mode")
	}
	for j, v := range adv.Data() {
		if v != want.Data()[j] {
			t.Fatalf("attacking a training-mode model differs from attacking it in evaluation mode at %d", j)
		}
	}
	nn.SetTraining(m, true)
	cfg.KeepMode = true
	kept, err := PGD(m, x, labels, cfg)
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for j, v := range kept.Data() {
		same = same && v == want.Data()[j]
	}
	if same {
		t.Error("KeepMode attacked the training-mode model as if in evaluation mode")
	}
}

// TestAttacksDeterministic: the same seed gives bit-identical results, and
// another seed other random starts.
func TestAttacksDeterministic(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(12)
	for name, f := range map[string]func(seed uint64) (*tensor.Tensor, error){
		"pgd": func(s uint64) (*tensor.Tensor, error) {
			return PGD(m, x, labels, PGDConfig{Eps: 0.05, Alpha: 0.001, Steps: 3, RandomStart: true, Restarts: 2, Seed: s})
		},
		"apgd": func(s uint64) (*tensor.Tensor, error) {
			return APGD(m, x, labels, APGDConfig{Eps: 0.05, Steps: 5, Seed: s})
		},
		"square": func(s uint64) (*tensor.Tensor, error) {
			return Square(m, x, labels, SquareConfig{Eps: 0.05, Queries: 20, Seed: s})
		},
	} {
		a, err := f(7)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := f(7)
		c, _ := f(8)
		differ := false
		for j, v := range a.Data() {
			if v != b.Data()[j] {
				t.Fatalf("%s: two runs with seed 7 differ at element %d", name, j)
			}
			differ = differ || v != c.Data()[j]
		}
		if !differ {
			t.Errorf("%s: seeds 7 and 8 gave the same images", name)
		}
	}
}

// TestBadInputs: every kind of bad input is an error that says what is
// wrong, never a panic.
func TestBadInputs(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(4)
	bad := x.Clone()
	bad.Data()[5] = 1.5
	small := tensor.New(4, 1, 4, 4)
	wrongLabels := []int{0, 1, 2, 10}
	cases := []struct {
		name, want string
		f          func() error
	}{
		{"negative eps", "eps", func() error { _, err := PGD(m, x, labels, PGDConfig{Eps: -0.1, Steps: 1}); return err }},
		{"NaN eps", "eps", func() error { _, err := FGSM(m, x, labels, FGSMConfig{Eps: math.NaN()}); return err }},
		{"zero steps", "step", func() error { _, err := PGD(m, x, labels, PGDConfig{Eps: 0.1}); return err }},
		{"zero apgd steps", "iteration", func() error { _, err := APGD(m, x, labels, APGDConfig{Eps: 0.1}); return err }},
		{"zero queries", "query", func() error { _, err := Square(m, x, labels, SquareConfig{Eps: 0.1}); return err }},
		{"restarts without random start", "random start", func() error {
			_, err := PGD(m, x, labels, PGDConfig{Eps: 0.1, Steps: 1, Restarts: 3})
			return err
		}},
		{"unknown norm", "norm", func() error { _, err := PGD(m, x, labels, PGDConfig{Norm: "l1", Eps: 0.1, Steps: 1}); return err }},
		{"label out of range", "label 10 of example 3", func() error { _, err := PGD(m, x, wrongLabels, PGDConfig{Eps: 0.1, Steps: 1}); return err }},
		{"label count", "3 labels for 4 images", func() error { _, err := PGD(m, x, labels[:3], PGDConfig{Eps: 0.1, Steps: 1}); return err }},
		{"target is label", "own label", func() error {
			_, err := PGD(m, x, labels, PGDConfig{Eps: 0.1, Steps: 1, Targets: labels})
			return err
		}},
		{"pixel outside [0,1]", "[0,1]", func() error { _, err := PGD(m, bad, labels, PGDConfig{Eps: 0.1, Steps: 1}); return err }},
		{"shape mismatch", "cannot take images of shape [1 4 4]", func() error { _, err := PGD(m, small, labels, PGDConfig{Eps: 0.1, Steps: 1}); return err }},
		{"not 4-D", "[N C H W]", func() error {
			_, err := PGD(m, x.Reshape(4, 64), labels, PGDConfig{Eps: 0.1, Steps: 1})
			return err
		}},
		{"start shape", "start", func() error {
			_, err := PGD(m, x, labels, PGDConfig{Eps: 0.1, Steps: 1, Start: small})
			return err
		}},
		{"dlr on 2 classes", "3 classes", func() error {
			two := newLinearModel(0)
			two.lin.Weight.Value = two.lin.Weight.Value.Slice(0, 2)
			two.lin.Bias.Value = two.lin.Bias.Value.Slice(0, 2)
			_, err := APGD(two, x, []int{0, 1, 0, 1}, APGDConfig{Eps: 0.1, Steps: 1, Loss: DLR()})
			return err
		}},
	}
	for _, c := range cases {
		err := c.f()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}

// inputRecorder is the linear test model noting the smallest pixel it has
// been given.
type inputRecorder struct {
	*linearModel
	lowest float32
}

func (r *inputRecorder) Forward(x *autograd.Var) *autograd.Var {
	for _, v := range x.Data() {
		r.lowest = min(r.lowest, v)
	}
	return r.linearModel.Forward(x)
}

// TestUnclippedStart: with UnclippedStart the model sees the random start
// below 0 on black pixels (Wong et al.'s FGSM training), the result is
// still a valid image; by default the start is clipped.
func TestUnclippedStart(t *testing.T) {
	x := tensor.New(2, 1, protoSide, protoSide) // black images
	labels := []int{0, 1}
	for _, unclipped := range []bool{false, true} {
		m := &inputRecorder{linearModel: newLinearModel(0)}
		adv, err := PGD(m, x, labels, PGDConfig{Eps: 0.3, Alpha: 0.375, Steps: 1, RandomStart: true, UnclippedStart: unclipped})
		if err != nil {
			t.Fatal(err)
		}
		if seen := m.lowest < 0; seen != unclipped {
			t.Errorf("unclipped=%v: the model saw a lowest pixel of %g", unclipped, m.lowest)
		}
		if adv.MinAll() < 0 || adv.MaxAll() > 0.3+1e-6 {
			t.Errorf("unclipped=%v: result in [%g, %g], want [0, 0.3]", unclipped, adv.MinAll(), adv.MaxAll())
		}
	}
	if _, err := PGD(newLinearModel(0), x, labels, PGDConfig{Eps: 0.3, Steps: 1, UnclippedStart: true}); err == nil {
		t.Error("an unclipped start without a random start is accepted")
	}
}
