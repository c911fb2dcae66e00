package attack

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/data"
)

func mustSpecs(t *testing.T, s string) []Spec {
	t.Helper()
	sp, err := ParseSpecs(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestEvaluateLinearModel evaluates the linear test model, whose exact
// robust accuracy is known, and checks the report from every side: each
// attack's accuracy against the exact one, the worst case against the
// attacks and the rows, the budgets in the rows, and the sanity checks,
// which must all pass on this honest model.
func TestEvaluateLinearModel(t *testing.T) {
	m := newLinearModel(0)
	ds := protoSet{n: 150}
	eps := []float64{0.02, 0.04, 0.06}
	var log bytes.Buffer
	batches := 0
	rep, err := Evaluate(context.Background(), m, ds, EvalConfig{
		Attacks: mustSpecs(t, "fgsm,pgd,apgd-ce,apgd-dlr?steps=50,square?queries=300"), Eps: eps,
		BatchSize: 64, Seed: 3, Log: &log,
		OnBatch: func(b *AdvBatch) error { batches++; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	x, labels := protoBatch(ds.n)
	clean := 0
	exact := make([]int, len(eps))
	for i, y := range labels {
		if argmax64(logits64(m, row(x, i))) == y {
			clean++
		}
		for e, ep := range eps {
			if exactRobust(m, row(x, i), y, ep) {
				exact[e]++
			}
		}
	}
	if rep.N != ds.n || rep.Classes != protoK || rep.CleanAccuracy != float64(clean)/float64(ds.n) {
		t.Fatalf("report: n %d classes %d clean accuracy %g; want %d, %d, %g", rep.N, rep.Classes, rep.CleanAccuracy, ds.n, protoK, float64(clean)/float64(ds.n))
	}
	if want := 3 * len(eps) * 5; batches != want {
		t.Errorf("OnBatch called %d times, want %d (3 batches x 3 budgets x 5 attacks)", batches, want)
	}
	slack := map[string]int{"fgsm": ds.n, "pgd": 3, "apgd-ce": 3, "apgd-dlr?steps=50": 15, "square?queries=300": 15, WorstCase: 3}
	for e, ep := range eps {
		worst, _ := rep.Accuracy(WorstCase, ep)
		for attack, s := range slack {
			acc, ok := rep.Accuracy(attack, ep)
			if !ok {
				t.Fatalf("no result for %s at %g", attack, ep)
			}
			c := int(math.Round(acc * float64(ds.n)))
			if c < exact[e] || c > exact[e]+s {
				t.Errorf("eps %g: %s leaves %d correct, exact robust count %d (slack %d)", ep, attack, c, exact[e], s)
			}
			if worst > acc {
				t.Errorf("eps %g: worst case %g above %s's %g", ep, worst, attack, acc)
			}
		}
	}

	// Rows: one per example, attack (and worst case) and budget; each
	// within its budget; the worst case correct exactly when every attack
	// left the example correct.
	if want := ds.n * len(eps) * 6; len(rep.Rows) != want {
		t.Fatalf("%d rows, want %d", len(rep.Rows), want)
	}
	type key struct {
		index int
		eps   float64
	}
	allCorrect, worstCorrect := map[key]bool{}, map[key]bool{}
	for _, r := range rep.Rows {
		if r.Linf > r.Eps+1e-6 {
			t.Fatalf("row %+v: perturbation beyond the budget", r)
		}
		if r.Correct != (r.Pred == r.Label) || r.Label != r.Index%protoK {
			t.Fatalf("row %+v is inconsistent", r)
		}
		k := key{r.Index, r.Eps}
		if r.Attack == WorstCase {
			worstCorrect[k] = r.Correct
			continue
		}
		if _, ok := allCorrect[k]; !ok {
			allCorrect[k] = true
		}
		allCorrect[k] = allCorrect[k] && r.Correct
	}
	for k, c := range allCorrect {
		if worstCorrect[k] != c {
			t.Fatalf("example %d at eps %g: worst case correct=%v, all attacks correct=%v", k.index, k.eps, worstCorrect[k], c)
		}
	}

	var ran []string
	for _, c := range rep.Checks {
		t.Logf("%s passed=%v skipped=%v: %s", c.Name, c.Passed, c.Skipped, c.Detail)
		if c.Skipped {
			t.Errorf("check %s skipped on a full evaluation: %s", c.Name, c.Detail)
		}
		ran = append(ran, c.Name)
	}
	// Every sanity check ran (an empty list would pass the loop above).
	all := []string{CheckEpsMonotone, CheckStepsMonotone, CheckUnbounded, CheckIterativeVsSingleStep,
		CheckSquareVsWhiteBox, CheckZeroGradients, CheckDeterministic}
	slices.Sort(ran)
	slices.Sort(all)
	if !slices.Equal(ran, all) {
		t.Errorf("sanity checks run: %v, want %v", ran, all)
	}
	if f := rep.Failed(); len(f) > 0 || strings.Contains(log.String(), "WARNING") {
		t.Errorf("sanity checks failed on the honest model: %+v\n%s", f, log.String())
	}

	dir := t.TempDir()
	if err := rep.WriteJSON(filepath.Join(dir, "eval.json")); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteCSV(filepath.Join(dir, "eval.csv")); err != nil {
		t.Fatal(err)
	}
	var back Report
	raw, _ := os.ReadFile(filepath.Join(dir, "eval.json"))
	if err := json.Unmarshal(raw, &back); err != nil || back.CleanAccuracy != rep.CleanAccuracy || len(back.Results) != len(rep.Results) || len(back.Checks) != len(rep.Checks) {
		t.Fatalf("eval.json does not read back (%v)", err)
	}
	f, _ := os.Open(filepath.Join(dir, "eval.csv"))
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != len(rep.Rows)+1 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("eval.csv: %d records, header %v (%v)", len(recs), recs[0], err)
	}
}

// TestSanityChecksCatchGradientMasking evaluates the linear model behind
// input quantization, whose gradient is zero everywhere: FGSM and PGD see
// nothing, the Square attack still fools it, and the checks must say so,
// with a warning in the log.
func TestSanityChecksCatchGradientMasking(t *testing.T) {
	m := newLinearModel(8)
	var log bytes.Buffer
	rep, err := Evaluate(context.Background(), m, protoSet{n: 100}, EvalConfig{
		Attacks: mustSpecs(t, "fgsm,pgd,square?queries=300"), Eps: []float64{0.1, 0.2}, Seed: 1, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, c := range rep.Failed() {
		failed[c.Name] = true
		t.Logf("failed %s: %s", c.Name, c.Detail)
	}
	for _, want := range []string{CheckZeroGradients, CheckSquareVsWhiteBox, CheckUnbounded} {
		if !failed[want] {
			t.Errorf("check %s passed on a gradient-masking model", want)
		}
		if !strings.Contains(log.String(), "WARNING: sanity check "+want+" failed") {
			t.Errorf("no warning for %s in the log:\n%s", want, log.String())
		}
	}
}

// TestEvaluateDeterministic: the same seed gives the same rows.
func TestEvaluateDeterministic(t *testing.T) {
	m := newLinearModel(0)
	cfg := EvalConfig{Attacks: mustSpecs(t, "pgd?steps=5&restarts=2,square?queries=50"), Eps: []float64{0.05}, BatchSize: 16, Seed: 9}
	a, err := Evaluate(context.Background(), m, protoSet{n: 40}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Evaluate(context.Background(), m, protoSet{n: 40}, cfg)
	for i, r := range a.Rows {
		if r != b.Rows[i] {
			t.Fatalf("row %d differs between two runs: %+v and %+v", i, r, b.Rows[i])
		}
	}
}

// wrongSet is protoSet's data with another image size or more classes.
type wrongSet struct {
	protoSet
	side, classes int
}

func (s wrongSet) Info() data.Info {
	in := s.protoSet.Info()
	in.Height, in.Width = s.side, s.side
	in.Classes = make([]string, s.classes)
	return in
}

func (s wrongSet) Get(i int, ex *data.Example) error {
	ex.Label = i % s.classes
	ex.Image = make([]float32, s.side*s.side)
	for j := range ex.Image {
		ex.Image[j] = 0.5
	}
	return nil
}

// TestEvaluateBadInput: a data set the model cannot take, labels beyond
// the model's outputs and bad settings are errors that say so.
func TestEvaluateBadInput(t *testing.T) {
	m := newLinearModel(0)
	pgd := mustSpecs(t, "pgd")
	for _, c := range []struct {
		name string
		ds   data.Dataset
		cfg  EvalConfig
		want string
	}{
		{"shape mismatch", wrongSet{protoSet{8}, 4, 10}, EvalConfig{Attacks: pgd, Eps: []float64{0.1}}, "cannot take images of shape [1 4 4]"},
		{"labels beyond outputs", wrongSet{protoSet{30}, 8, 12}, EvalConfig{Attacks: pgd, Eps: []float64{0.1}}, "outside [0, 10)"},
		{"more classes than outputs", wrongSet{protoSet{8}, 8, 12}, EvalConfig{Attacks: pgd, Eps: []float64{0.1}}, "has 12 classes"},
		{"negative eps", protoSet{8}, EvalConfig{Attacks: pgd, Eps: []float64{-0.1}}, "eps"},
		{"no eps", protoSet{8}, EvalConfig{Attacks: pgd}, "no budgets"},
		{"no attacks", protoSet{8}, EvalConfig{Eps: []float64{0.1}}, "no attacks"},
		{"zero steps", protoSet{8}, EvalConfig{Attacks: []Spec{{Label: "pgd", Name: "pgd"}}, Eps: []float64{0.1}}, "at least 1 step"},
		{"negative n", protoSet{8}, EvalConfig{Attacks: pgd, Eps: []float64{0.1}, N: -1}, "negative"},
	} {
		_, err := Evaluate(context.Background(), m, c.ds, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestParseSpec: defaults, settings, and errors that name the problem.
func TestParseSpec(t *testing.T) {
	sp, err := ParseSpec("pgd?steps=50&restarts=10&alpha=2/255")
	if err != nil {
		t.Fatal(err)
	}
	if sp.Name != "pgd" || sp.Steps != 50 || sp.Restarts != 10 || !(math.Abs(sp.Alpha-2.0/255) <= 1e-15) || !sp.RandomStart || sp.Norm != Linf {
		t.Errorf("parsed %+v", sp)
	}
	for s, want := range map[string]Spec{
		"fgsm":              {Name: "fgsm", Norm: Linf},
		"pgd?norm=l2":       {Name: "pgd", Norm: L2, Steps: 20, Restarts: 1, RandomStart: true},
		"apgd-dlr":          {Name: "apgd-dlr", Norm: Linf, Steps: 100, Restarts: 1},
		"square?p=0.1":      {Name: "square", Norm: Linf, Queries: 1000, PInit: 0.1},
		"APGD-CE":           {Name: "apgd-ce", Norm: Linf, Steps: 100, Restarts: 1},
		"square?queries=10": {Name: "square", Norm: Linf, Queries: 10, PInit: 0.8},
	} {
		got, err := ParseSpec(s)
		want.Label = s
		if err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for s, want := range map[string]string{
		"cw":                            "unknown attack",
		"pgd?steps=0":                   "at least 1",
		"pgd?steps=x":                   "not an integer",
		"pgd?queries=5":                 "takes no setting",
		"fgsm?norm=l1":                  "unknown norm",
		"pgd?restarts=3&random_start=0": "random_start",
		"pgd?alpha=-1":                  "positive",
		"square?p=2":                    "(0, 1]",
	} {
		if _, err := ParseSpec(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpec(%q): error %v, want one mentioning %q", s, err, want)
		}
	}
	if _, err := ParseSpecs("pgd,pgd"); err == nil {
		t.Error("a repeated attack is accepted")
	}
	if _, err := ParseSpecs(" , "); err == nil {
		t.Error("an empty list is accepted")
	}
}

// TestAPGDCheckpoints: the checkpoints of Croce & Hein's schedule for 100
// iterations (sec. 3.2), and short runs without duplicates.
func TestAPGDCheckpoints(t *testing.T) {
	got := apgdCheckpoints(100)
	want := []int{22, 41, 57, 70, 80, 87, 93, 99}
	if len(got) != len(want) {
		t.Fatalf("checkpoints %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("checkpoints %v, want %v", got, want)
		}
	}
	short := apgdCheckpoints(5)
	for i := 1; i < len(short); i++ {
		if short[i] <= short[i-1] || short[i] > 5 {
			t.Fatalf("checkpoints of 5 iterations %v", short)
		}
	}
}

// TestSquareSchedule: p halves at the schedule's iterations of a
// 10,000-query run, rescaled to shorter budgets unless fixed (as
// AutoAttack runs it with 5,000 queries).
func TestSquareSchedule(t *testing.T) {
	for _, c := range []struct {
		it, n int
		fixed bool
		want  float64
	}{{1, 10000, false, 0.8}, {10, 10000, false, 0.8}, {11, 10000, false, 0.4}, {51, 10000, false, 0.2}, {201, 10000, false, 0.1},
		{8001, 10000, false, 0.8 / 512}, {2, 1000, false, 0.4}, {501, 1000, false, 0.8 / 128},
		{11, 5001, true, 0.4}, {501, 5001, true, 0.8 / 16}, {4001, 5001, true, 0.8 / 128}, {5000, 5001, true, 0.8 / 128}, {2000, 5001, false, 0.8 / 64}} {
		if got := squareP(0.8, c.it, c.n, c.fixed); !(math.Abs(got-c.want) <= 1e-15) {
			t.Errorf("p at query %d of %d (fixed %v) = %g, want %g", c.it, c.n, c.fixed, got, c.want)
		}
	}
}

// TestSanityRules feeds each rule a tally that breaks it, and one that
// keeps it within the tolerance, so every check is seen to fail and pass.
func TestSanityRules(t *testing.T) {
	specs := mustSpecs(t, "fgsm,pgd,square")
	eps := []float64{0.1, 0.05}
	base := func() *tally {
		return &tally{
			correct:    map[string][]int{"fgsm": {50, 60}, "pgd": {40, 55}, "square": {50, 58}, WorstCase: {40, 55}},
			fewerSteps: []int{60, 62}, fewerRun: true, unboundedRun: true, cleanCorrect: 90,
		}
	}
	for _, c := range []struct {
		name  string
		check string
		edit  func(*tally)
		fail  bool
	}{
		{"honest", "", func(*tally) {}, false},
		{"accuracy rises with eps", CheckEpsMonotone, func(t *tally) { t.correct["square"] = []int{60, 58} }, true},
		{"rise within tolerance", CheckEpsMonotone, func(t *tally) { t.correct["square"] = []int{59, 58} }, false},
		{"more steps worse", CheckStepsMonotone, func(t *tally) { t.fewerSteps = []int{30, 56} }, true},
		{"unbounded fails", CheckUnbounded, func(t *tally) { t.unbounded = 5 }, true},
		{"pgd weaker than fgsm", CheckIterativeVsSingleStep, func(t *tally) { t.correct["pgd"] = []int{52, 55} }, true},
		{"square beats all", CheckSquareVsWhiteBox, func(t *tally) { t.correct["square"] = []int{20, 58} }, true},
		{"zero gradients", CheckZeroGradients, func(t *tally) { t.zeroGrad = 2 }, true},
		{"randomized model", CheckDeterministic, func(t *tally) { t.nondet = "changed" }, true},
	} {
		tl := base()
		c.edit(tl)
		rep := &Report{N: 100}
		checks := sanityChecks(&EvalConfig{Attacks: specs, Eps: eps, Tolerance: 0.01}, rep, tl)
		for _, ch := range checks {
			if ch.Skipped {
				t.Errorf("%s: %s skipped: %s", c.name, ch.Name, ch.Detail)
			}
			broken := c.fail && ch.Name == c.check
			if ch.Passed == broken {
				t.Errorf("%s: %s passed=%v (%s)", c.name, ch.Name, ch.Passed, ch.Detail)
			}
		}
	}
}

// TestEvaluateCancelled: a cancelled context stops the evaluation with
// its error instead of a report.
func TestEvaluateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Evaluate(ctx, newLinearModel(0), protoSet{n: 20}, EvalConfig{Attacks: mustSpecs(t, "pgd"), Eps: []float64{0.1}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// FuzzParseSpec: any string is either a known attack with settings in
// range, labelled as written, or an error; never a panic.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"pgd", "pgd?steps=50&restarts=10&alpha=2/255", "square?queries=5&p=0.1", "apgd-dlr?norm=l2", "fgsm?x=%zz", "?", "pgd?steps=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if _, ok := specKeys[sp.Name]; !ok || sp.Label != strings.TrimSpace(s) {
			t.Fatalf("ParseSpec(%q) = %+v", s, sp)
		}
		if (sp.Name == "pgd" || strings.HasPrefix(sp.Name, "apgd")) && sp.Steps < 1 || sp.Name == "square" && sp.Queries < 1 {
			t.Fatalf("ParseSpec(%q) accepted %+v", s, sp)
		}
	})
}
