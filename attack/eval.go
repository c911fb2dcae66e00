package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// WorstCase is the name under which a Report gives the per-example worst
// case over all attacks: an example is robust at a budget only if no
// attack fooled it there.
const WorstCase = "worst-case"

// EvalConfig configures Evaluate.
type EvalConfig struct {
	// Attacks are run at every budget of Eps (see ParseSpecs).
	Attacks []Spec
	// Eps are the budgets in [0,1] pixel units (each >= 0).
	Eps []float64
	// BatchSize is the number of images attacked together (default 128).
	BatchSize int
	// N, if positive, evaluates the data set's first N examples only.
	N int
	// Seed seeds every random draw; each (batch, attack, budget) gets its
	// own stream, so results do not depend on the order attacks run in.
	Seed uint64
	// Tolerance is the slack of the sanity checks, as a fraction of the
	// examples (default 0.005, and never less than one example): a check
	// fails when its rule is broken by more than that.
	Tolerance float64
	// NoExtraChecks skips the sanity checks that cost attacks of their own
	// (PGD with fewer steps, PGD with an unbounded budget); the others
	// are computed from the results.
	NoExtraChecks bool
	// Log receives the progress bar and the warnings of failed sanity
	// checks (nil: nothing is written).
	Log io.Writer
	// Workers is the number of data-loading goroutines (0: all cores).
	Workers int
	// OnBatch, if set, receives the adversarial images of every attack at
	// every budget, batch by batch (robustlab attack writes them as PNG).
	OnBatch func(*AdvBatch) error
}

// AdvBatch is one attack's result on one batch at one budget.
type AdvBatch struct {
	Attack string
	Eps    float64
	// Indices are the examples' indices in the data set, Labels their
	// labels.
	Indices, Labels []int
	// Clean and Adv are [N,C,H,W]; Adv is the clean image for examples
	// the model got wrong to begin with (they are not attacked).
	Clean, Adv *tensor.Tensor
	// CleanPred and Pred are the model's predictions on both.
	CleanPred, Pred []int
}

// Report is the result of Evaluate.
type Report struct {
	// Model names the model (its file), if the caller says.
	Model string `json:"model,omitempty"`
	// Data names the data set (its spec).
	Data string `json:"data"`
	// N is the number of examples evaluated, Classes the model's outputs.
	N       int `json:"n"`
	Classes int `json:"classes"`
	// CleanAccuracy is the accuracy on the unattacked images.
	CleanAccuracy float64 `json:"clean_accuracy"`
	// Eps and Attacks are what was run (attacks by label).
	Eps     []float64 `json:"eps"`
	Attacks []Spec    `json:"attacks"`
	// Results holds the accuracy of every attack at every budget, and of
	// the worst case (attack WorstCase) at every budget.
	Results []Result `json:"results"`
	// Suites gives each suite of attacks (autoattack, autoattack-plus) at
	// each budget as RobustBench reports AutoAttack: clean accuracy, robust
	// accuracy, eps, norm, n, and the robust accuracy after each stage.
	Suites []SuiteResult `json:"suites,omitempty"`
	// Checks are the sanity checks; a failed one means the numbers above
	// may overstate robustness.
	Checks []Check `json:"checks"`
	// Seconds is the wall time of the whole evaluation.
	Seconds float64 `json:"seconds"`
	// Seed is the evaluation's seed.
	Seed uint64 `json:"seed"`
	// Rows holds the per-example results (written as CSV, not JSON).
	Rows []Row `json:"-"`
}

// Result is the accuracy under one attack at one budget.
type Result struct {
	Attack string  `json:"attack"`
	Eps    float64 `json:"eps"`
	// Accuracy is the fraction of the N examples classified correctly
	// after the attack (an example wrong to begin with counts as wrong).
	Accuracy float64 `json:"accuracy"`
	Correct  int     `json:"correct"`
	// Seconds is the time the attack took over all batches (0 for the
	// worst case).
	Seconds float64 `json:"seconds"`
}

// SuiteResult is one suite of attacks at one budget.
type SuiteResult struct {
	// Suite is the suite as written ("autoattack", "autoattack?norm=l2").
	Suite string  `json:"suite"`
	Norm  Norm    `json:"norm"`
	Eps   float64 `json:"eps"`
	N     int     `json:"n"`
	// CleanAccuracy is the accuracy on the unattacked images,
	// RobustAccuracy the fraction of the N examples that no stage fooled.
	CleanAccuracy  float64 `json:"clean_accuracy"`
	RobustAccuracy float64 `json:"robust_accuracy"`
	// Stages are the suite's attacks in the order they ran, each with the
	// robust accuracy after it.
	Stages []StageResult `json:"stages"`
	// Seconds is the time the suite took at all budgets together.
	Seconds float64 `json:"seconds"`
}

// StageResult is the robust accuracy of a suite after one of its attacks.
type StageResult struct {
	Attack         string  `json:"attack"`
	RobustAccuracy float64 `json:"robust_accuracy"`
}

// suiteResults gathers the suites' results from the stages' accuracies.
func suiteResults(cfg *EvalConfig, rep *Report, t *tally) []SuiteResult {
	var out []SuiteResult
	for e, eps := range cfg.Eps {
		idx := map[string]int{}
		for _, a := range cfg.Attacks {
			if a.Suite == "" {
				continue
			}
			j, ok := idx[a.Suite]
			if !ok {
				j = len(out)
				idx[a.Suite] = j
				out = append(out, SuiteResult{Suite: a.Suite, Norm: a.Norm, Eps: eps, N: rep.N, CleanAccuracy: rep.CleanAccuracy})
			}
			acc := float64(t.correct[a.Label][e]) / float64(rep.N)
			out[j].Stages = append(out[j].Stages, StageResult{Attack: a.Name, RobustAccuracy: acc})
			out[j].RobustAccuracy = acc
			out[j].Seconds += t.seconds[a.Label]
		}
	}
	return out
}

// Row is one example under one attack (or the worst case) at one budget.
type Row struct {
	Index     int     // in the data set
	Label     int     // true class
	CleanPred int     // prediction on the clean image
	Attack    string  // attack label, or WorstCase
	Eps       float64 // budget
	Pred      int     // prediction on the adversarial image
	Correct   bool    // Pred == Label
	// Linf and L2 are the norms of the perturbation (adversarial - clean);
	// for the worst case, those of the first attack that fooled it.
	Linf, L2 float64
}

// Accuracy returns the accuracy under attack (or WorstCase) at budget eps.
func (r *Report) Accuracy(attack string, eps float64) (float64, bool) {
	for _, res := range r.Results {
		if res.Attack == attack && res.Eps == eps {
			return res.Accuracy, true
		}
	}
	return math.NaN(), false
}

// Failed returns the sanity checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Passed && !c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

func (c *EvalConfig) check() error {
	if len(c.Attacks) == 0 {
		return fmt.Errorf("attack: no attacks to evaluate (known: %s)", strings.Join(Names(), ", "))
	}
	if len(c.Eps) == 0 {
		return fmt.Errorf("attack: no budgets (eps) to evaluate")
	}
	seen := map[float64]bool{}
	for _, e := range c.Eps {
		if err := checkBudget("eps", e); err != nil {
			return err
		}
		if seen[e] {
			return fmt.Errorf("attack: eps %g is listed twice", e)
		}
		seen[e] = true
	}
	labels := map[string]bool{}
	for _, a := range c.Attacks {
		if _, ok := specKeys[a.Name]; !ok {
			return fmt.Errorf("attack: unknown attack %q (known: %s)", a.Name, known())
		}
		if labels[a.Label] || a.Label == WorstCase {
			return fmt.Errorf("attack: attack label %q is used twice or reserved", a.Label)
		}
		labels[a.Label] = true
		switch {
		case a.Name == "pgd" && a.Steps < 1, strings.HasPrefix(a.Name, "apgd") && a.Steps < 1, strings.HasPrefix(a.Name, "fab") && a.Steps < 1:
			return fmt.Errorf("attack: %s needs at least 1 step, got %d", a.Label, a.Steps)
		case a.Name == "square" && a.Queries < 1:
			return fmt.Errorf("attack: %s needs at least 1 query, got %d", a.Label, a.Queries)
		case a.Targets < 0 || a.Restarts < 0:
			return fmt.Errorf("attack: %s: negative targets or restarts", a.Label)
		}
		if _, err := a.Norm.resolve(); err != nil {
			return fmt.Errorf("attack: %s: %w", a.Label, err)
		}
	}
	switch {
	case c.BatchSize < 0:
		return fmt.Errorf("attack: batch size %d is negative", c.BatchSize)
	case c.N < 0:
		return fmt.Errorf("attack: number of examples %d is negative", c.N)
	case !(c.Tolerance >= 0 && c.Tolerance < 1):
		return fmt.Errorf("attack: tolerance %g outside [0, 1)", c.Tolerance)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 128
	}
	if c.Tolerance == 0 {
		c.Tolerance = 0.005
	}
	return nil
}

// tally accumulates what the sanity checks need over the batches.
type tally struct {
	correct      map[string][]int // attack label -> correct count per eps index
	seconds      map[string]float64
	fewerSteps   []int // PGD with a quarter of the steps, correct per eps
	fewerRun     bool
	unbounded    int // correct under PGD with eps = 1
	unboundedRun bool
	zeroGrad     int // clean-correct examples whose input gradient is all zero
	cleanCorrect int
	nondet       string // how the model's output changed between two runs, if it did
}

// Evaluate attacks m on ds: each attack of cfg at each budget, on every
// example the model classifies correctly, batch by batch, and returns the
// accuracies, the per-example worst case over the attacks, per-example
// rows and the sanity checks. The model is evaluated in evaluation mode
// and left in the mode it was in.
func Evaluate(ctx context.Context, m nn.Module, ds data.Dataset, cfg EvalConfig) (*Report, error) {
	start := time.Now()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	info := ds.Info()
	ds = data.First(ds, cfg.N)
	n := ds.Len()
	if n == 0 {
		return nil, fmt.Errorf("attack: data set %s is empty", info.Name)
	}
	loader, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: cfg.BatchSize, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	rep := &Report{Data: info.Name, N: n, Eps: cfg.Eps, Attacks: cfg.Attacks, Seed: cfg.Seed}
	t := &tally{correct: map[string][]int{}, seconds: map[string]float64{}, fewerSteps: make([]int, len(cfg.Eps))}
	for _, a := range append(labelsOf(cfg.Attacks), WorstCase) {
		t.correct[a] = make([]int, len(cfg.Eps))
	}
	ep := loader.Epoch(ctx, 0)
	defer ep.Close()
	bar := progress.New(log, "eval", n, "img")
	seen := 0
	for bi := 0; ; bi++ {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		nb := len(b.Labels)
		if err := evalBatch(ctx, m, b, bi, &cfg, rep, t); err != nil {
			b.Release()
			return nil, fmt.Errorf("attack: evaluating %s: %w", info.Name, err)
		}
		if bi == 0 && rep.Classes < len(info.Classes) {
			b.Release()
			return nil, fmt.Errorf("attack: the model has %d outputs but data set %s has %d classes", rep.Classes, info.Name, len(info.Classes))
		}
		seen += nb
		b.Release()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bar.Add(nb, fmt.Sprintf("clean accuracy %.3f", float64(t.cleanCorrect)/float64(seen)))
	}
	bar.Finish("")
	rep.CleanAccuracy = float64(t.cleanCorrect) / float64(n)
	for _, a := range append(labelsOf(cfg.Attacks), WorstCase) {
		for e, eps := range cfg.Eps {
			c := t.correct[a][e]
			rep.Results = append(rep.Results, Result{Attack: a, Eps: eps, Accuracy: float64(c) / float64(n), Correct: c, Seconds: t.seconds[a]})
		}
	}
	rep.Suites = suiteResults(&cfg, rep, t)
	rep.Checks = sanityChecks(&cfg, rep, t)
	for _, c := range rep.Failed() {
		fmt.Fprintf(log, "attack: WARNING: sanity check %s failed: %s\n", c.Name, c.Detail)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func labelsOf(specs []Spec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Label
	}
	return out
}

// streamRNG returns the generator of one (batch, attack, budget) cell: a
// PCG stream keyed by all three, so that every cell's draws are fixed by
// the seed alone.
func streamRNG(seed uint64, batch, attack, eps int) *rand.Rand {
	key := uint64(batch)<<32 | uint64(attack)<<16 | uint64(eps)
	return rand.New(rand.NewPCG(seed, key^0x61747461636b)) // "attack"
}

// Streams reserved for the sanity checks' own attacks.
const (
	fewerStepsStream = 1<<16 - 1
	unboundedStream  = 1<<16 - 2
)

// evalBatch runs everything on one batch and appends its rows.
func evalBatch(ctx context.Context, m nn.Module, b *data.Batch, bi int, cfg *EvalConfig, rep *Report, t *tally) error {
	x := b.Images
	o, done, err := session(m, x, b.Labels, nil, CrossEntropy(), false)
	if err != nil {
		return err
	}
	defer done()
	o.ctx = ctx
	rep.Classes = o.k
	for _, a := range cfg.Attacks {
		if err := a.checkSpecClasses(o.k); err != nil {
			return err
		}
	}
	nb := x.Dim(0)
	all := allIndices(nb)

	// The clean pass: predictions, and the input gradient of the
	// cross-entropy for the zero-gradient check.
	grad := tensor.New(x.Shape()...)
	loss, cleanPred := make([]float64, nb), make([]int, nb)
	o.eval(x, all, grad, loss, cleanPred)
	if bi == 0 {
		t.nondet = checkDeterministic(o, x, all)
	}
	var todo []int
	for i := range all {
		if cleanPred[i] == b.Labels[i] {
			todo = append(todo, i)
			if linf(row(grad, i)) == 0 {
				t.zeroGrad++
			}
		}
	}
	t.cleanCorrect += len(todo)

	for e, eps := range cfg.Eps {
		worst := newOutcome(x)          // fooled: by any attack; adv: by the first
		chains := map[string]*outcome{} // per suite, what its stages fooled so far
		for ai := range cfg.Attacks {
			a := &cfg.Attacks[ai]
			st := time.Now()
			res := newOutcome(x)
			var chain *outcome
			if a.Suite != "" {
				if chain = chains[a.Suite]; chain == nil {
					chain = newOutcome(x)
					chains[a.Suite] = chain
				}
				// A stage attacks only what the suite's earlier stages left
				// correct; what they fooled counts as fooled here too.
				for _, i := range todo {
					if chain.fooled[i] {
						res.record(i, row(chain.adv, i), chain.pred[i], chain.loss[i], true)
					}
				}
			}
			// At eps 0 every attack's image is the clean one: nothing to run.
			if eps > 0 {
				a.run(o, x, todo, eps, streamRNG(cfg.Seed, bi, ai, e), res)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			settle(o, res, todo)
			t.seconds[a.Label] += time.Since(st).Seconds()
			pred := append([]int(nil), cleanPred...)
			for _, i := range todo {
				pred[i] = res.pred[i]
				if !res.fooled[i] {
					t.correct[a.Label][e]++
				} else if !worst.fooled[i] {
					worst.record(i, row(res.adv, i), res.pred[i], res.loss[i], true)
				}
				if chain != nil && res.fooled[i] && !chain.fooled[i] {
					chain.record(i, row(res.adv, i), res.pred[i], res.loss[i], true)
				}
			}
			appendRows(rep, b, x, res.adv, cleanPred, pred, a.Label, eps)
			if cfg.OnBatch != nil {
				err := cfg.OnBatch(&AdvBatch{Attack: a.Label, Eps: eps, Indices: b.Indices, Labels: b.Labels,
					Clean: x, Adv: res.adv, CleanPred: cleanPred, Pred: pred})
				if err != nil {
					return err
				}
			}
		}
		pred := append([]int(nil), cleanPred...)
		for _, i := range todo {
			if worst.fooled[i] {
				pred[i] = worst.pred[i]
			} else {
				t.correct[WorstCase][e]++
			}
		}
		appendRows(rep, b, x, worst.adv, cleanPred, pred, WorstCase, eps)

		if !cfg.NoExtraChecks {
			if sp := firstPGD(cfg.Attacks); sp != nil && sp.Steps >= 4 && eps == 0 {
				t.fewerSteps[e] += len(todo)
				t.fewerRun = true
			} else if sp != nil && sp.Steps >= 4 {
				fewer := sp.pgd(eps)
				fewer.Steps = sp.Steps / 4
				res := newOutcome(x)
				o.obj = CrossEntropy()
				fewer.run(o, x, todo, streamRNG(cfg.Seed, bi, fewerStepsStream, e), res, true)
				t.fewerSteps[e] += len(res.unfooled(todo))
				t.fewerRun = true
			}
		}
	}
	if !cfg.NoExtraChecks && hasGradientAttack(cfg.Attacks) {
		// An unbounded budget: eps = 1 reaches every image of [0,1], so a
		// working gradient attack fools (almost) every example.
		c := PGDConfig{Norm: Linf, Eps: 1, Steps: 20, RandomStart: true, EarlyStop: true}
		res := newOutcome(x)
		o.obj = CrossEntropy()
		c.run(o, x, todo, streamRNG(cfg.Seed, bi, unboundedStream, 0), res, true)
		t.unbounded += len(res.unfooled(todo))
		t.unboundedRun = true
	}
	return nil
}

// settle evaluates the attacked examples whose final prediction the attack
// did not record, so that every example of todo has res.pred and
// res.fooled settled by the model's verdict on res.adv.
func settle(o *oracle, res *outcome, todo []int) {
	var idx []int
	for _, i := range todo {
		if res.pred[i] < 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	o.obj = CrossEntropy()
	imgs := rowsOf(res.adv, idx)
	pred, loss := make([]int, len(idx)), make([]float64, len(idx))
	o.eval(imgs, idx, nil, loss, pred)
	for j, i := range idx {
		res.pred[i] = pred[j]
		res.fooled[i] = o.success(i, pred[j])
	}
}

// checkDeterministic runs the model a second time on the batch and says
// how its logits changed, if they did (a randomized defense, or dropout
// left on, makes attacks and accuracies noisy; AutoAttack checks the
// same).
func checkDeterministic(o *oracle, x *tensor.Tensor, all []int) string {
	first := append([]float32(nil), o.logits...)
	o.obj = CrossEntropy()
	o.eval(x, all, nil, nil, nil)
	for j, v := range o.logits {
		if v != first[j] && !(v != v && first[j] != first[j]) {
			return fmt.Sprintf("logit %d of example %d was %g, then %g on the same image", j%o.k, j/o.k, first[j], v)
		}
	}
	return ""
}

func firstPGD(specs []Spec) *Spec {
	for i := range specs {
		if specs[i].Name == "pgd" {
			return &specs[i]
		}
	}
	return nil
}

func hasGradientAttack(specs []Spec) bool {
	for i := range specs {
		if !specs[i].gradientFree() {
			return true
		}
	}
	return false
}

// appendRows adds a batch's rows for one attack (or the worst case).
func appendRows(rep *Report, b *data.Batch, x, adv *tensor.Tensor, cleanPred, pred []int, attack string, eps float64) {
	for i := range b.Labels {
		xi, ai := row(x, i), row(adv, i)
		var li, l2s float64
		for j, v := range ai {
			d := float64(v) - float64(xi[j])
			li = math.Max(li, math.Abs(d))
			l2s += d * d
		}
		rep.Rows = append(rep.Rows, Row{Index: b.Indices[i], Label: b.Labels[i], CleanPred: cleanPred[i], Attack: attack,
			Eps: eps, Pred: pred[i], Correct: pred[i] == b.Labels[i], Linf: li, L2: math.Sqrt(l2s)})
	}
}

// sortedEps returns the indices of eps in increasing order of budget.
func sortedEps(eps []float64) []int {
	idx := allIndices(len(eps))
	sort.SliceStable(idx, func(a, b int) bool { return eps[idx[a]] < eps[idx[b]] })
	return idx
}
