package attack

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/robustlab/robustlab/internal/fraction"
	"github.com/robustlab/robustlab/tensor"
)

// Spec is an attack with its settings, as written on a command line or in
// a study: NAME, or NAME?KEY=VALUE&KEY=VALUE such as
// "pgd?steps=50&restarts=10&alpha=0.01". The budget is not part of it:
// Evaluate runs every spec at every eps of its list.
type Spec struct {
	// Label is the spec as written; reports name the attack by it.
	Label string `json:"label"`
	// Name is one of Names().
	Name string `json:"name"`
	// Norm is the threat model, Linf or L2 (every attack).
	Norm Norm `json:"norm"`
	// Steps: PGD's steps (default 20), APGD's and FAB's iterations
	// (default 100).
	Steps int `json:"steps,omitempty"`
	// Restarts: PGD's, APGD's and FAB's runs (default 1; per target class
	// for apgd-t and fab-t).
	Restarts int `json:"restarts,omitempty"`
	// Targets is the number of target classes of apgd-t and fab-t: 0
	// means 9, or K-1 for a model of K <= 9 classes; more than K-1 is an
	// error.
	Targets int `json:"targets,omitempty"`
	// Alpha is PGD's step size in pixel units (0: 2.5*eps/steps).
	Alpha float64 `json:"alpha,omitempty"`
	// RandomStart is PGD's random start (default on).
	RandomStart bool `json:"random_start,omitempty"`
	// Queries and PInit: the Square attack's budget (default 1000) and
	// initial square size (default 0.8).
	Queries int     `json:"queries,omitempty"`
	PInit   float64 `json:"p_init,omitempty"`
	// FixedSchedule: Square's schedule of p is not rescaled to Queries
	// (key rescale=0).
	FixedSchedule bool `json:"fixed_schedule,omitempty"`
	// Suite is the label of the suite (autoattack, autoattack-plus) this
	// attack is a stage of, or empty. A suite's stages run in order at
	// each budget, each on the examples that the stages before it left
	// correct, so a stage's accuracy is the suite's robust accuracy after
	// it, as AutoAttack reports it.
	Suite string `json:"suite,omitempty"`
}

// specKeys lists, per attack, the keys a spec may set.
var specKeys = map[string][]string{
	"fgsm":     {"norm"},
	"pgd":      {"norm", "steps", "restarts", "alpha", "random_start"},
	"apgd-ce":  {"norm", "steps", "restarts"},
	"apgd-dlr": {"norm", "steps", "restarts"},
	"apgd-t":   {"norm", "steps", "restarts", "targets"},
	"fab":      {"norm", "steps", "restarts"},
	"fab-t":    {"norm", "steps", "restarts", "targets"},
	"square":   {"norm", "queries", "p", "rescale"},
}

// suiteKeys lists, per suite, the keys it may set.
var suiteKeys = map[string][]string{
	"autoattack":      {"norm"},
	"autoattack-plus": {"norm"},
}

// Names lists the attacks a Spec may name, and the suites a list may.
func Names() []string {
	return slices.Sorted(maps.Keys(specKeys))
}

// Suites lists the suites of attacks that ParseSpecs expands.
func Suites() []string {
	return slices.Sorted(maps.Keys(suiteKeys))
}

// known is every name an attack list may hold, for error messages.
func known() string {
	return strings.Join(append(Names(), Suites()...), ", ")
}

// SpecHelp describes the spec syntax and every attack's keys and defaults,
// for command help.
const SpecHelp = `Attacks are NAME or NAME?KEY=VALUE&KEY=VALUE (quote them in a shell):
  fgsm      FGSM, Goodfellow et al. 2015                      norm=linf|l2
  pgd       PGD, Madry et al. 2018: steps=20 restarts=1 alpha=2.5*eps/steps
            random_start=1 norm=linf|l2
  apgd-ce   Auto-PGD on the cross-entropy, Croce & Hein 2020: steps=100 restarts=1 norm
  apgd-dlr  Auto-PGD on the DLR loss: steps=100 restarts=1 norm
  apgd-t    APGD-T, AutoAttack's targeted APGD on the targeted DLR loss, towards
            each of the targets=9 classes scored highest after the label in
            turn (K-1 for K <= 9 classes): steps=100 restarts=1 norm
  fab       FAB, the minimum-norm fast adaptive boundary attack, Croce & Hein
            2020: steps=100 restarts=1 norm
  fab-t     FAB-T, FAB towards each of targets=9 classes in turn: steps=100
            restarts=1 norm
  square    Square attack (score-based, no gradients), Andriushchenko et al.
            2020: queries=1000 p=0.8 rescale=1 norm
Suites (norm=linf|l2), each stage run on the examples the stages before it
left correct, robust accuracy after each reported (robustness as RobustBench
reports it):
  autoattack       AutoAttack (Croce & Hein 2020): apgd-ce, apgd-t (9 targets),
                   fab-t (9 targets), square (5,000 queries, p=0.8)
  autoattack-plus  its plus version: apgd-ce (5 restarts), apgd-dlr (5
                   restarts), fab (5 restarts), square (5,000 queries),
                   apgd-t, fab-t
e.g. pgd?steps=50&restarts=10&alpha=0.01, autoattack?norm=l2`

// ParseSpec reads one attack spec.
func ParseSpec(s string) (Spec, error) {
	raw := strings.TrimSpace(s)
	name, query, _ := strings.Cut(raw, "?")
	name = strings.ToLower(name)
	keys, ok := specKeys[name]
	if _, suite := suiteKeys[name]; suite {
		return Spec{}, fmt.Errorf("attack %q: %s is a suite of attacks: give it in a list (ParseSpecs)", raw, name)
	}
	if !ok {
		return Spec{}, fmt.Errorf("attack %q: unknown attack %q (known: %s)", raw, name, known())
	}
	sp := Spec{Label: raw, Name: name, Norm: Linf, Restarts: 1}
	switch name {
	case "pgd":
		sp.Steps, sp.RandomStart = 20, true
	case "apgd-ce", "apgd-dlr", "apgd-t", "fab", "fab-t":
		sp.Steps = 100
	case "square":
		sp.Queries, sp.PInit, sp.Restarts = 1000, 0.8, 0
	case "fgsm":
		sp.Restarts = 0
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Spec{}, fmt.Errorf("attack %q: bad settings %q: %v", raw, query, err)
	}
	given := slices.Sorted(maps.Keys(vals))
	for _, k := range given {
		v := vals[k]
		if !slices.Contains(keys, k) {
			return Spec{}, fmt.Errorf("attack %q: %s takes no setting %q (it takes %s)", raw, name, k, strings.Join(keys, ", "))
		}
		if len(v) != 1 {
			return Spec{}, fmt.Errorf("attack %q: %q given %d times", raw, k, len(v))
		}
		if err := sp.set(k, v[0]); err != nil {
			return Spec{}, fmt.Errorf("attack %q: %s", raw, err)
		}
	}
	if sp.Restarts > 1 && sp.Name == "pgd" && !sp.RandomStart {
		return Spec{}, fmt.Errorf("attack %q: restarts need random_start=1", raw)
	}
	return sp, nil
}

// ParseSpecs reads a comma-separated list of specs ("fgsm,pgd,square"),
// with each suite (autoattack, autoattack-plus) expanded into its stages.
func ParseSpecs(list string) ([]Spec, error) {
	var out []Spec
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		var specs []Spec
		if name, _, _ := strings.Cut(strings.TrimSpace(s), "?"); suiteKeys[strings.ToLower(name)] != nil {
			var err error
			if specs, err = parseSuite(s); err != nil {
				return nil, err
			}
		} else {
			sp, err := ParseSpec(s)
			if err != nil {
				return nil, err
			}
			specs = []Spec{sp}
		}
		for _, sp := range specs {
			if seen[sp.Label] {
				return nil, fmt.Errorf("attack %q is listed twice", sp.Label)
			}
			seen[sp.Label] = true
			out = append(out, sp)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no attacks given (known: %s)", known())
	}
	return out, nil
}

// parseSuite expands a suite into its stages, with the settings of
// AutoAttack's code (fra31/auto-attack, autoattack.py: set_version):
// standard is APGD-CE (1 run), APGD-T (9 target classes, 1 run each),
// FAB-T (9 target classes, 1 run each) and Square (5,000 queries after the
// first image, p_init 0.8, the schedule not rescaled); plus is APGD-CE and
// APGD-DLR with 5 restarts, FAB with 5 restarts, Square as above, then
// APGD-T and FAB-T as in standard. Every APGD and FAB runs 100 iterations.
// Stages are labelled SUITE/STAGE, e.g. "autoattack/apgd-t".
func parseSuite(raw string) ([]Spec, error) {
	raw = strings.TrimSpace(raw)
	name, query, _ := strings.Cut(raw, "?")
	name = strings.ToLower(name)
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("attack %q: bad settings %q: %v", raw, query, err)
	}
	norm := Linf
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		v := vals[k]
		if !slices.Contains(suiteKeys[name], k) {
			return nil, fmt.Errorf("attack %q: the suite %s takes no setting %q (it takes %s)", raw, name, k, strings.Join(suiteKeys[name], ", "))
		}
		if len(v) != 1 {
			return nil, fmt.Errorf("attack %q: %q given %d times", raw, k, len(v))
		}
		if norm, err = Norm(strings.ToLower(v[0])).resolve(); err != nil {
			return nil, fmt.Errorf("attack %q: %s", raw, err)
		}
	}
	stage := func(attack string, restarts int) Spec {
		sp := Spec{Label: raw + "/" + attack, Name: attack, Norm: norm, Steps: 100, Restarts: restarts, Suite: raw}
		if attack == "square" {
			sp.Steps, sp.Restarts, sp.Queries, sp.PInit, sp.FixedSchedule = 0, 0, squareSuiteQueries, 0.8, true
		}
		return sp
	}
	if name == "autoattack" {
		return []Spec{stage("apgd-ce", 1), stage("apgd-t", 1), stage("fab-t", 1), stage("square", 0)}, nil
	}
	return []Spec{stage("apgd-ce", 5), stage("apgd-dlr", 5), stage("fab", 5), stage("square", 0),
		stage("apgd-t", 1), stage("fab-t", 1)}, nil
}

// squareSuiteQueries is the Square budget of AutoAttack's suites: the
// first image and n_queries = 5,000 proposals after it, as its code counts.
const squareSuiteQueries = 5001

// suiteTargets is AutoAttack's number of target classes for APGD-T and
// FAB-T.
const suiteTargets = 9

func (sp *Spec) set(k, v string) error {
	atoi := func() (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q is not an integer", k, v)
		}
		return n, nil
	}
	var err error
	switch k {
	case "norm":
		sp.Norm, err = Norm(strings.ToLower(v)).resolve()
		return err
	case "steps":
		if sp.Steps, err = atoi(); err == nil && sp.Steps < 1 {
			err = fmt.Errorf("steps must be at least 1, got %d", sp.Steps)
		}
	case "restarts":
		if sp.Restarts, err = atoi(); err == nil && sp.Restarts < 1 {
			err = fmt.Errorf("restarts must be at least 1, got %d", sp.Restarts)
		}
	case "queries":
		if sp.Queries, err = atoi(); err == nil && sp.Queries < 1 {
			err = fmt.Errorf("queries must be at least 1, got %d", sp.Queries)
		}
	case "random_start":
		sp.RandomStart, err = strconv.ParseBool(v)
		if err != nil {
			err = fmt.Errorf("random_start=%q is not 0 or 1", v)
		}
	case "alpha":
		if sp.Alpha, err = fraction.Parse(v); err == nil && !(sp.Alpha > 0) {
			err = fmt.Errorf("alpha must be positive, got %s", v)
		}
	case "p":
		if sp.PInit, err = fraction.Parse(v); err == nil && !(sp.PInit > 0 && sp.PInit <= 1) {
			err = fmt.Errorf("p must be in (0, 1], got %s", v)
		}
	case "targets":
		if sp.Targets, err = atoi(); err == nil && sp.Targets < 1 {
			err = fmt.Errorf("targets must be at least 1, got %d", sp.Targets)
		}
	case "rescale":
		var r bool
		if r, err = strconv.ParseBool(v); err != nil {
			err = fmt.Errorf("rescale=%q is not 0 or 1", v)
		}
		sp.FixedSchedule = !r
	}
	return err
}

// gradientFree reports whether the attack uses no gradients.
func (sp *Spec) gradientFree() bool { return sp.Name == "square" }

// run attacks examples todo of batch x at budget eps, writing into res,
// with every attacked example's final prediction known (res.pred >= 0
// for fooled examples; unfooled ones may be -1 and are settled by the
// caller).
func (sp *Spec) run(o *oracle, x *tensor.Tensor, todo []int, eps float64, rng *rand.Rand, res *outcome) {
	switch sp.Name {
	case "fgsm":
		o.obj = CrossEntropy()
		c := FGSMConfig{Norm: sp.Norm, Eps: eps}.pgd()
		c.run(o, x, todo, rng, res, true)
	case "pgd":
		o.obj = CrossEntropy()
		c := sp.pgd(eps)
		c.run(o, x, todo, rng, res, true)
	case "apgd-ce", "apgd-dlr", "apgd-t":
		o.obj = CrossEntropy()
		c := APGDConfig{Norm: sp.Norm, Eps: eps, Steps: sp.Steps, Restarts: sp.Restarts}
		switch sp.Name {
		case "apgd-dlr":
			o.obj = DLR()
		case "apgd-t":
			c.TargetClasses = sp.targets(o.k)
			o.obj = apgdTLoss(o.k)
		}
		c.run(o, x, todo, rng, res)
	case "fab", "fab-t":
		c := FABConfig{Norm: sp.Norm, Eps: eps, Steps: sp.Steps, Restarts: sp.Restarts,
			AlphaMax: fabAlphaMax, Eta: fabEta, Beta: fabBeta}
		if sp.Name == "fab-t" {
			c.TargetClasses = sp.targets(o.k)
		}
		c.run(o, x, todo, rng, res, true)
	case "square":
		o.obj = squareObjective(nil)
		c := SquareConfig{Norm: sp.Norm, Eps: eps, Queries: sp.Queries, PInit: sp.PInit, FixedSchedule: sp.FixedSchedule}
		c.run(o, x, todo, rng, res)
	default:
		panic("attack: unparsed spec " + sp.Name)
	}
}

// targets is the number of target classes of an apgd-t or fab-t spec on a
// model of k classes: as given, else AutoAttack's 9, or k-1 where the
// model has fewer classes (checkSpecClasses has refused a given number
// above k-1).
func (sp *Spec) targets(k int) int {
	if sp.Targets > 0 {
		return sp.Targets
	}
	return min(suiteTargets, k-1)
}

// apgdTLoss is APGD-T's loss on a model of k classes: the targeted DLR
// loss (Croce & Hein 2020, eq. 8), which needs a fourth-largest logit, and
// on models of fewer than 4 classes the targeted cross-entropy (the
// "ce-targeted" loss of AutoAttack's code) in its stead.
func apgdTLoss(k int) Objective {
	if k < 4 {
		return CrossEntropy()
	}
	return DLR()
}

// checkSpecClasses reports an attack that a model of k classes cannot run.
func (sp *Spec) checkSpecClasses(k int) error {
	switch sp.Name {
	case "apgd-dlr":
		if err := checkObjective(DLR(), k, false, 0); err != nil {
			return fmt.Errorf("%s: %w", sp.Label, err)
		}
	case "apgd-t", "fab-t":
		if k < 2 {
			return fmt.Errorf("%s: a targeted attack needs at least 2 classes, the model has %d", sp.Label, k)
		}
		if sp.Targets > k-1 {
			return fmt.Errorf("%s: %d target classes need at least %d classes, the model has %d (at most %d target classes; leave targets unset for min(9, K-1))",
				sp.Label, sp.Targets, sp.Targets+1, k, k-1)
		}
	}
	return nil
}

// pgd is the PGD configuration of a pgd spec at budget eps, for
// evaluation (examples stop once fooled).
func (sp *Spec) pgd(eps float64) PGDConfig {
	return PGDConfig{Norm: sp.Norm, Eps: eps, Alpha: sp.Alpha, Steps: sp.Steps, Restarts: sp.Restarts,
		RandomStart: sp.RandomStart, EarlyStop: true}
}
