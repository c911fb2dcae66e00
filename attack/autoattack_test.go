package attack

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/fixture"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// projectionByBisection solves FAB's projection problem by an independent
// route: for Linf, bisection on the radius lambda, where at each radius
// the most that sign(r) w.d can reach over the box and the ball is a sum
// of per-coordinate maxima over the interval's two ends; for L2, bisection
// on the multiplier a of the optimality condition d = clip(a w, -t, 1-t).
// It returns d, or the move to the box's best corner where the box does
// not reach the hyperplane.
func projectionByBisection(norm Norm, t, w []float64, b float64) []float64 {
	r := b
	for i := range w {
		r -= w[i] * t[i]
	}
	sg := 1.0
	if r < 0 {
		sg = -1
	}
	d := make([]float64, len(t))
	if norm == Linf {
		at := func(lambda float64, d []float64) float64 {
			s := 0.0
			for i := range w {
				lo, hi := math.Max(-lambda, -t[i]), math.Min(lambda, 1-t[i])
				if w[i] == 0 {
					d[i] = 0
				} else if sg*w[i]*hi >= sg*w[i]*lo {
					d[i] = hi
				} else {
					d[i] = lo
				}
				s += sg * w[i] * d[i]
			}
			return s
		}
		if at(1, d) <= math.Abs(r) {
			return d
		}
		lo, hi := 0.0, 1.0
		for range 200 {
			if mid := (lo + hi) / 2; at(mid, d) >= math.Abs(r) {
				hi = mid
			} else {
				lo = mid
			}
		}
		// At the optimal radius the coordinates that are not at their box
		// limit sit at +-lambda; those beyond the hyperplane's need are
		// the ones a smaller lambda could not serve: d is that of hi.
		at(hi, d)
		return d
	}
	at := func(a float64) float64 {
		s := 0.0
		for i := range w {
			d[i] = math.Min(math.Max(a*w[i], -t[i]), 1-t[i])
			s += w[i] * d[i]
		}
		return s
	}
	lo, hi := 0.0, 1.0
	for sg*at(sg*hi) < math.Abs(r) && hi < 1e30 {
		hi *= 2
	}
	if hi >= 1e30 {
		at(sg * 1e300)
		return d
	}
	for range 300 {
		if mid := (lo + hi) / 2; sg*at(sg*mid) >= math.Abs(r) {
			hi = mid
		} else {
			lo = mid
		}
	}
	at(sg * hi)
	return d
}

// TestFABProjection holds fabProject against projectionByBisection on
// random problems, feasible and not, with coordinates on the box's faces
// and zero weights, and checks that the answer lies on the hyperplane and
// in the box.
func TestFABProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ps projScratch
	kinds := map[bool]int{}
	for _, norm := range []Norm{Linf, L2} {
		for c := 0; c < 300; c++ {
			dim := []int{1, 3, 8, 40, 300}[c%5]
			tt, ww := make([]float32, dim), make([]float32, dim)
			t64, w64 := make([]float64, dim), make([]float64, dim)
			for i := range tt {
				switch rng.IntN(6) {
				case 0:
					tt[i] = 0
				case 1:
					tt[i] = 1
				default:
					tt[i] = rng.Float32()
				}
				if rng.IntN(5) > 0 {
					ww[i] = float32(rng.NormFloat64())
				}
				t64[i], w64[i] = float64(tt[i]), float64(ww[i])
			}
			wt := 0.0
			for i := range tt {
				wt += w64[i] * t64[i]
			}
			// From well inside reach to beyond what the box allows.
			b := wt + rng.NormFloat64()*float64(dim)*[]float64{0.01, 0.1, 1}[c%3]
			got := make([]float32, dim)
			fabProject(norm, tt, ww, b, got, &ps)
			want := projectionByBisection(norm, t64, w64, b)
			feasible := false
			var wz float64
			for i := range got {
				z := t64[i] + float64(got[i])
				if z < -1e-6 || z > 1+1e-6 {
					t.Fatalf("%s case %d: coordinate %d leaves the box: %g", norm, c, i, z)
				}
				wz += w64[i] * z
			}
			if math.Abs(wz-b) <= 1e-4*(1+math.Abs(b)) {
				feasible = true
			}
			kinds[feasible]++
			for i := range got {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5 {
					t.Fatalf("%s case %d (dim %d, feasible %v): d[%d] = %g, bisection %g", norm, c, dim, feasible, i, got[i], want[i])
				}
			}
		}
	}
	if kinds[true] < 100 || kinds[false] < 50 {
		t.Fatalf("%d feasible and %d infeasible cases: the test does not cover both", kinds[true], kinds[false])
	}
	// A hand case: t = (0.5, 0.5), w = (1, 1), b = 1.5: Linf moves both by
	// 0.25; L2 too; b = 3 is out of the box's reach: both move to 1.
	for _, c := range []struct {
		norm Norm
		b    float64
		want []float32
	}{{Linf, 1.5, []float32{0.25, 0.25}}, {L2, 1.5, []float32{0.25, 0.25}}, {Linf, 3, []float32{0.5, 0.5}}, {L2, 1, []float32{0, 0}}} {
		d := make([]float32, 2)
		fabProject(c.norm, []float32{0.5, 0.5}, []float32{1, 1}, c.b, d, &ps)
		if math.Abs(float64(d[0]-c.want[0])) > 1e-7 || math.Abs(float64(d[1]-c.want[1])) > 1e-7 {
			t.Errorf("%s b=%g: d = %v, want %v", c.norm, c.b, d, c.want)
		}
	}
}

// minDistance is the exact smallest perturbation, in the norm, that makes
// the linear test model misclassify img (label y), towards class only if
// only >= 0: min over k of (z_y - z_k) / ||w_y - w_k||_q, q the dual norm
// (the box [0,1] is never binding on the test problem at these sizes).
func minDistance(m *linearModel, img []float32, y int, norm Norm, only int) float64 {
	w := m.lin.Weight.Value.Data()
	z := logits64(m, img)
	best := math.Inf(1)
	for k := 0; k < protoK; k++ {
		if k == y || (only >= 0 && k != only) {
			continue
		}
		var q float64
		for j := 0; j < protoDim; j++ {
			dw := float64(w[y*protoDim+j]) - float64(w[k*protoDim+j])
			if norm == Linf {
				q += math.Abs(dw)
			} else {
				q += dw * dw
			}
		}
		if norm == L2 {
			q = math.Sqrt(q)
		}
		best = math.Min(best, (z[y]-z[k])/q)
	}
	return best
}

// perturbation returns the norm of a - x.
func perturbation(norm Norm, a, x []float32) float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = float64(a[i]) - float64(x[i])
	}
	return fabNorm(norm, d)
}

// TestFABMinimalOnLinearModel: on the linear model the smallest
// adversarial perturbation is known in closed form; FAB, a minimum-norm
// attack, must find one within 1% of it and can never go below it. FAB-T
// towards the class of second-highest logit finds that class's boundary,
// or a nearer one of another class on the way.
func TestFABMinimalOnLinearModel(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(40)
	for _, norm := range []Norm{Linf, L2} {
		for _, targeted := range []bool{false, true} {
			c := FABConfig{Norm: norm, Eps: 10, Steps: 100}
			if targeted {
				c.TargetClasses = 1
			}
			adv, err := FAB(m, x, labels, c)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, y := range labels {
				xi, ai := row(x, i), row(adv, i)
				if argmax64(logits64(m, ai)) == y {
					t.Fatalf("%s targeted=%v: example %d not fooled", norm, targeted, i)
				}
				got := perturbation(norm, ai, xi)
				exact := minDistance(m, xi, y, norm, -1)
				if got < exact*(1-1e-4) {
					t.Fatalf("%s targeted=%v: example %d fooled at %g, below the exact minimum %g", norm, targeted, i, got, exact)
				}
				bound := exact
				if targeted {
					z := logits64(m, xi)
					second := -1
					for k := range z {
						if k != y && (second < 0 || z[k] > z[second]) {
							second = k
						}
					}
					bound = minDistance(m, xi, y, norm, second)
				}
				worst = math.Max(worst, got/bound)
			}
			t.Logf("%s targeted=%v: worst ratio of found to exact %.5f", norm, targeted, worst)
			if worst > 1.01 {
				t.Errorf("%s targeted=%v: FAB's perturbation up to %.4fx the exact minimum, want within 1%%", norm, targeted, worst)
			}
		}
	}
}

// TestBoundariesMatchSingleGradients: the K backward passes of
// oracle.boundaries on one tape give each class's gradient as a separate
// pass of its own would (the model has batch norm, tanh, pooling: state
// that a second backward could corrupt).
func TestBoundariesMatchSingleGradients(t *testing.T) {
	m := newSmoothNet()
	fixture.SetFormula(m)
	x := tensor.New(3, 3, 8, 8)
	for j, u := range fixture.Uniform(7, x.Len()) {
		x.Data()[j] = float32(min(max(0.5+0.5*u, 0), 1))
	}
	labels := []int{1, 4, 9}
	o, done, err := session(m, x, labels, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	k, d := o.k, rowLen(x)
	f, g, pred := make([]float64, 3*k), make([]float32, 3*k*d), make([]int, 3)
	o.boundaries(x, []int{0, 1, 2}, f, g, pred)
	o.obj, o.misclassify = logitGap{}, true
	for c := 0; c < k; c++ {
		o.targets = []int{c, c, c}
		gc := tensor.New(x.Shape()...)
		fc := make([]float64, 3)
		o.eval(x, []int{0, 1, 2}, gc, fc, nil)
		for j := range labels {
			if c == labels[j] {
				continue
			}
			if math.Abs(fc[j]-f[j*k+c]) > 1e-6 {
				t.Fatalf("class %d example %d: f %g, single pass %g", c, j, f[j*k+c], fc[j])
			}
			for e := 0; e < d; e++ {
				if a, b := g[(j*k+c)*d+e], row(gc, j)[e]; math.Abs(float64(a-b)) > 1e-6*(1+math.Abs(float64(b))) {
					t.Fatalf("class %d example %d pixel %d: gradient %g, single pass %g", c, j, e, a, b)
				}
			}
		}
	}
}

// exactRobustL2 is exactRobust for an L2 budget.
func exactRobustL2(m *linearModel, img []float32, y int, eps float64) bool {
	return minDistance(m, img, y, L2, -1) > eps
}

// TestAutoAttackLinearModel runs both suites, Linf and L2, on the linear
// model whose exact robust accuracy is known: after every stage the
// suite's robust accuracy is at or above the exact one and does not rise
// from stage to stage, and at the end it is within 2 examples of exact;
// the suite's RobustBench summary agrees with the table and the rows.
func TestAutoAttackLinearModel(t *testing.T) {
	m := newLinearModel(0)
	ds := protoSet{n: 60}
	x, labels := protoBatch(ds.n)
	for _, c := range []struct {
		suite  string
		norm   Norm
		eps    []float64
		stages []string
	}{
		{"autoattack", Linf, []float64{0.03, 0.06}, []string{"apgd-ce", "apgd-t", "fab-t", "square"}},
		{"autoattack?norm=l2", L2, []float64{0.3}, []string{"apgd-ce", "apgd-t", "fab-t", "square"}},
		{"autoattack-plus", Linf, []float64{0.05}, []string{"apgd-ce", "apgd-dlr", "fab", "square", "apgd-t", "fab-t"}},
	} {
		rep, err := Evaluate(context.Background(), m, ds, EvalConfig{Attacks: mustSpecs(t, c.suite), Eps: c.eps, Seed: 2, BatchSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Suites) != len(c.eps) {
			t.Fatalf("%s: %d suite results, want %d", c.suite, len(rep.Suites), len(c.eps))
		}
		for e, eps := range c.eps {
			exact := 0
			for i, y := range labels {
				if c.norm == Linf && exactRobust(m, row(x, i), y, eps) || c.norm == L2 && exactRobustL2(m, row(x, i), y, eps) {
					exact++
				}
			}
			su := rep.Suites[e]
			if su.Suite != c.suite || su.Norm != c.norm || su.Eps != eps || su.N != ds.n || su.CleanAccuracy != rep.CleanAccuracy || len(su.Stages) != len(c.stages) {
				t.Fatalf("%s: summary %+v", c.suite, su)
			}
			prev := 2.0
			for s, st := range su.Stages {
				acc, ok := rep.Accuracy(c.suite+"/"+c.stages[s], eps)
				if st.Attack != c.stages[s] || !ok || acc != st.RobustAccuracy {
					t.Fatalf("%s: stage %d is %+v, the table has %s at %g (%v)", c.suite, s, st, c.suite+"/"+c.stages[s], acc, ok)
				}
				if cnt := int(math.Round(st.RobustAccuracy * float64(ds.n))); cnt < exact || st.RobustAccuracy > prev {
					t.Errorf("%s eps %g: %d robust after %s (before: %g), exact %d", c.suite, eps, cnt, st.Attack, prev, exact)
				}
				prev = st.RobustAccuracy
			}
			worst, _ := rep.Accuracy(WorstCase, eps)
			if su.RobustAccuracy != prev || worst != prev {
				t.Errorf("%s: robust accuracy %g, last stage %g, worst case %g", c.suite, su.RobustAccuracy, prev, worst)
			}
			if cnt := int(math.Round(su.RobustAccuracy * float64(ds.n))); cnt > exact+2 {
				t.Errorf("%s eps %g: %d robust after the suite, exact %d", c.suite, eps, cnt, exact)
			}
			t.Logf("%s eps %g: robust %.3f exact %.3f %+v", c.suite, eps, su.RobustAccuracy, float64(exact)/float64(ds.n), su.Stages)
		}
		for _, r := range rep.Rows {
			if c.norm == L2 && r.L2 > r.Eps*(1+1e-5) || c.norm == Linf && r.Linf > r.Eps+1e-6 {
				t.Fatalf("%s: row %+v beyond the budget", c.suite, r)
			}
		}
	}
}

// TestAutoAttackCatchesGradientMasking: behind input quantization the
// linear model has no gradient; APGD-CE, the first stage, fools almost
// nothing, but the suite as a whole does not let the model pass as
// robust (Square, which needs no gradient, finds what the gradient
// attacks miss), and the checks say so.
func TestAutoAttackCatchesGradientMasking(t *testing.T) {
	m := newLinearModel(8)
	ds := protoSet{n: 60}
	var log bytes.Buffer
	rep, err := Evaluate(context.Background(), m, ds, EvalConfig{Attacks: mustSpecs(t, "autoattack"), Eps: []float64{0.06}, Seed: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	su := rep.Suites[0]
	first := su.Stages[0].RobustAccuracy
	t.Logf("stages %+v", su.Stages)
	if first < 0.9 {
		t.Fatalf("APGD-CE leaves %g robust on a model without gradients: the test model does not mask", first)
	}
	// The unmasked model's exact robust accuracy at this eps, as a yardstick.
	um := newLinearModel(0)
	x, labels := protoBatch(ds.n)
	exact := 0
	for i, y := range labels {
		if exactRobust(um, row(x, i), y, 0.06) {
			exact++
		}
	}
	if su.RobustAccuracy > float64(exact)/float64(ds.n)+0.15 || su.RobustAccuracy > first-0.25 {
		t.Errorf("the masked model passes as robust: %g after the suite (APGD-CE alone %g; the unmasked model is exactly %g)", su.RobustAccuracy, first, float64(exact)/float64(ds.n))
	}
	failed := map[string]bool{}
	for _, c := range rep.Failed() {
		failed[c.Name] = true
	}
	for _, want := range []string{CheckZeroGradients, CheckSquareVsWhiteBox} {
		if !failed[want] || !strings.Contains(log.String(), "sanity check "+want+" failed") {
			t.Errorf("check %s did not fail with a warning:\n%s", want, log.String())
		}
	}
}

// TestSquareCheckInSuite: in autoattack-plus, Square runs before APGD-T and
// FAB-T; the check compares it with the gradient stages that ran before
// it, so a gradient-masked model is flagged there too.
func TestSquareCheckInSuite(t *testing.T) {
	rep, err := Evaluate(context.Background(), newLinearModel(8), protoSet{n: 30}, EvalConfig{Attacks: mustSpecs(t, "autoattack-plus"), Eps: []float64{0.06}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Failed() {
		if c.Name == CheckSquareVsWhiteBox {
			return
		}
	}
	t.Errorf("square-vs-white-box passed on the masked model: %+v", rep.Checks)
}

// TestAutoAttackDeterministic: the same seed gives the same rows, for each
// new attack in both norms, and another seed other random draws.
func TestAutoAttackDeterministic(t *testing.T) {
	m := newLinearModel(0)
	list := "apgd-t?steps=20&targets=3,fab?steps=20&restarts=2,fab-t?steps=20&targets=2&restarts=2,square?queries=200&norm=l2,apgd-t?steps=10&norm=l2"
	cfg := EvalConfig{Attacks: mustSpecs(t, list), Eps: []float64{0.04}, BatchSize: 16, Seed: 5}
	a, err := Evaluate(context.Background(), m, protoSet{n: 30}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Evaluate(context.Background(), m, protoSet{n: 30}, cfg)
	for i, r := range a.Rows {
		if r != b.Rows[i] {
			t.Fatalf("row %d differs between two runs: %+v and %+v", i, r, b.Rows[i])
		}
	}
	cfg.Seed = 6
	c, _ := Evaluate(context.Background(), m, protoSet{n: 30}, cfg)
	same := true
	for i, r := range a.Rows {
		same = same && r == c.Rows[i]
	}
	if same {
		t.Error("another seed gives the very same perturbations: the attacks draw nothing from it")
	}
}

// threeClass is the linear model cut to the test problem's first three
// classes, and its data: labels 0, 1, 2.
type threeClass struct {
	*nn.Base
	lin *nn.Linear
}

func newThreeClass() *threeClass {
	full := newLinearModel(0)
	m := &threeClass{Base: nn.NewBase()}
	m.lin = m.Child("fc", nn.NewLinear(tensor.NewRNG(1), protoDim, 3, true)).(*nn.Linear)
	copy(m.lin.Weight.Value.Data(), full.lin.Weight.Value.Data()[:3*protoDim])
	copy(m.lin.Bias.Value.Data(), full.lin.Bias.Value.Data()[:3])
	return m
}

func (m *threeClass) Forward(x *autograd.Var) *autograd.Var {
	return nn.Call(m.lin, autograd.Flatten(x))
}

type threeSet struct{ n int }

func (s threeSet) Len() int { return s.n }

func (s threeSet) Info() data.Info {
	in := protoSet{}.Info()
	in.Name, in.Classes = "proto3", in.Classes[:3]
	return in
}

func (s threeSet) Get(i int, ex *data.Example) error {
	return protoSet{}.Get((i/3)*protoK+i%3, ex)
}

// TestAutoAttackSmallClassCounts: on 3 classes the suites run APGD-T and
// FAB-T with the 2 targets there are (APGD-T on the targeted
// cross-entropy, since the targeted DLR loss needs a fourth logit) and
// still reach the exact robust accuracy; asking for more targets than
// K-1 is an error naming the numbers.
func TestAutoAttackSmallClassCounts(t *testing.T) {
	m := newThreeClass()
	ds := threeSet{n: 45}
	rep, err := Evaluate(context.Background(), m, ds, EvalConfig{Attacks: mustSpecs(t, "autoattack"), Eps: []float64{0.05}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	w := m.lin.Weight.Value.Data()
	exact := 0
	var ex data.Example
	for i := 0; i < ds.n; i++ {
		ds.Get(i, &ex)
		z := make([]float64, 3)
		for c := range z {
			z[c] = float64(m.lin.Bias.Value.Data()[c])
			for j, v := range ex.Image {
				z[c] += float64(w[c*protoDim+j]) * float64(v)
			}
		}
		robust := true
		for k := 0; k < 3; k++ {
			if k == ex.Label {
				continue
			}
			l1 := 0.0
			for j := 0; j < protoDim; j++ {
				l1 += math.Abs(float64(w[ex.Label*protoDim+j] - w[k*protoDim+j]))
			}
			robust = robust && z[ex.Label]-z[k] > 0.05*l1
		}
		if robust {
			exact++
		}
	}
	got := int(math.Round(rep.Suites[0].RobustAccuracy * float64(ds.n)))
	if got < exact || got > exact+1 {
		t.Errorf("3 classes: %d robust after autoattack, exact %d (%+v)", got, exact, rep.Suites[0].Stages)
	}
	for _, c := range []struct{ list, want string }{
		{"apgd-t?targets=3", "at most 2 target classes"},
		{"fab-t?targets=5", "at most 2 target classes"},
	} {
		_, err := Evaluate(context.Background(), m, ds, EvalConfig{Attacks: mustSpecs(t, c.list), Eps: []float64{0.05}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on 3 classes: error %v, want one mentioning %q", c.list, err, c.want)
		}
	}
	_, err = Evaluate(context.Background(), newLinearModel(0), protoSet{n: 10}, EvalConfig{Attacks: mustSpecs(t, "apgd-t?targets=10"), Eps: []float64{0.05}})
	if err == nil || !strings.Contains(err.Error(), "at most 9 target classes") {
		t.Errorf("apgd-t?targets=10 on 10 classes: error %v", err)
	}
	if _, err := APGD(m, protoBatch3(ds), []int{0, 1, 2}, APGDConfig{Eps: 0.05, Steps: 5, TargetClasses: 2, Loss: DLR()}); err == nil || !strings.Contains(err.Error(), "at least 4 classes") {
		t.Errorf("APGD-T with the DLR loss on 3 classes: error %v", err)
	}
	if _, err := FAB(m, protoBatch3(ds), []int{0, 1, 2}, FABConfig{Eps: 0.05, Steps: 5, TargetClasses: 3}); err == nil || !strings.Contains(err.Error(), "at most 2") {
		t.Errorf("FAB-T with 3 targets on 3 classes: error %v", err)
	}
}

// protoBatch3 is the first three images of ds as a batch.
func protoBatch3(ds threeSet) *tensor.Tensor {
	x := tensor.New(3, 1, protoSide, protoSide)
	var ex data.Example
	for i := 0; i < 3; i++ {
		ds.Get(i, &ex)
		copy(row(x, i), ex.Image)
	}
	return x
}

// TestSuiteSpecs: suites expand into AutoAttack's stages with its
// settings; bad suites and attack settings are errors that name the
// problem.
func TestSuiteSpecs(t *testing.T) {
	specs := mustSpecs(t, "fgsm, autoattack?norm=l2")
	want := []Spec{
		{Label: "fgsm", Name: "fgsm", Norm: Linf},
		{Label: "autoattack?norm=l2/apgd-ce", Name: "apgd-ce", Norm: L2, Steps: 100, Restarts: 1, Suite: "autoattack?norm=l2"},
		{Label: "autoattack?norm=l2/apgd-t", Name: "apgd-t", Norm: L2, Steps: 100, Restarts: 1, Suite: "autoattack?norm=l2"},
		{Label: "autoattack?norm=l2/fab-t", Name: "fab-t", Norm: L2, Steps: 100, Restarts: 1, Suite: "autoattack?norm=l2"},
		{Label: "autoattack?norm=l2/square", Name: "square", Norm: L2, Queries: 5001, PInit: 0.8, FixedSchedule: true, Suite: "autoattack?norm=l2"},
	}
	if len(specs) != len(want) {
		t.Fatalf("%d specs, want %d: %+v", len(specs), len(want), specs)
	}
	for i := range want {
		if specs[i] != want[i] {
			t.Errorf("spec %d = %+v, want %+v", i, specs[i], want[i])
		}
	}
	plus := mustSpecs(t, "autoattack-plus")
	var names []string
	for _, s := range plus {
		names = append(names, s.Name)
		if (s.Name == "apgd-ce" || s.Name == "apgd-dlr" || s.Name == "fab") && s.Restarts != 5 {
			t.Errorf("plus: %s with %d restarts, want 5", s.Name, s.Restarts)
		}
	}
	if got := strings.Join(names, ","); got != "apgd-ce,apgd-dlr,fab,square,apgd-t,fab-t" {
		t.Errorf("plus stages %s", got)
	}
	for s, want := range map[string]Spec{
		"apgd-t":                   {Name: "apgd-t", Norm: Linf, Steps: 100, Restarts: 1},
		"fab?norm=l2&steps=10":     {Name: "fab", Norm: L2, Steps: 10, Restarts: 1},
		"fab-t?targets=3":          {Name: "fab-t", Norm: Linf, Steps: 100, Restarts: 1, Targets: 3},
		"square?norm=l2&rescale=0": {Name: "square", Norm: L2, Queries: 1000, PInit: 0.8, FixedSchedule: true},
	} {
		got, err := ParseSpec(s)
		want.Label = s
		if err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for s, want := range map[string]string{
		"autoattack?norm=l1":     "unknown norm",
		"autoattack?steps=10":    "takes no setting",
		"autoattack-lite":        "unknown attack",
		"autoattack,autoattack":  "listed twice",
		"fab-t?targets=0":        "at least 1",
		"apgd-t?queries=5":       "takes no setting",
		"square?rescale=maybe":   "not 0 or 1",
		"autoattack?norm=l2&x=1": "takes no setting",
	} {
		if _, err := ParseSpecs(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpecs(%q): error %v, want one mentioning %q", s, err, want)
		}
	}
	if _, err := ParseSpec("autoattack"); err == nil || !strings.Contains(err.Error(), "suite") {
		t.Errorf("ParseSpec(autoattack): error %v", err)
	}
}

// TestSquareEta: the L2 pattern has unit norm, a positive top half and a
// negative bottom half, each symmetric left to right, and largest at the
// centres of the halves.
func TestSquareEta(t *testing.T) {
	for _, s := range []int{1, 3, 5, 8, 11} {
		eta := squareEta(s)
		n := 0.0
		for _, v := range eta {
			n += v * v
		}
		if math.Abs(n-1) > 1e-12 {
			t.Fatalf("side %d: norm^2 %g", s, n)
		}
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				v := eta[i*s+j]
				if (i < s/2 && v <= 0) || (i >= s/2 && v >= 0) {
					t.Fatalf("side %d: eta[%d][%d] = %g has the wrong sign", s, i, j, v)
				}
				if math.Abs(v-eta[i*s+s-1-j]) > 1e-12 && s%2 == 1 {
					t.Fatalf("side %d: eta not symmetric at row %d", s, i)
				}
			}
		}
		if s >= 3 {
			top, bottom := s/2, s-s/2
			if c := eta[(top/2)*s+s/2]; c < eta[0] {
				t.Errorf("side %d: centre of the top half %g below its corner %g", s, c, eta[0])
			}
			if c := eta[(top+bottom/2)*s+s/2]; c > eta[(s-1)*s] {
				t.Errorf("side %d: centre of the bottom half %g above its corner %g", s, c, eta[(s-1)*s])
			}
		}
	}
}

// TestAPGDTargetsByRank: APGD-T and FAB-T aim at the other classes in the
// order of the clean logits, highest first.
func TestAPGDTargetsByRank(t *testing.T) {
	m := newLinearModel(0)
	x, labels := protoBatch(12)
	o, done, err := session(m, x, labels, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ranks := classRanks(o, x, allIndices(12))
	for i, y := range labels {
		z := logits64(m, row(x, i))
		if len(ranks[i]) != protoK-1 {
			t.Fatalf("example %d: %d targets", i, len(ranks[i]))
		}
		for r, c := range ranks[i] {
			if c == y || (r > 0 && z[c] > z[ranks[i][r-1]]+1e-5) {
				t.Fatalf("example %d: targets %v out of order (logits %v)", i, ranks[i], z)
			}
		}
	}
}
