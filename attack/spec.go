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
	// Norm is the threat model (fgsm, pgd, apgd-ce, apgd-dlr; square is
	// Linf only).
	Norm Norm `json:"norm"`
	// Steps: PGD's steps (default 20), APGD's iterations (default 100).
	Steps int `json:"steps,omitempty"`
	// Restarts: PGD's and APGD's random restarts (default 1).
	Restarts int `json:"restarts,omitempty"`
	// Alpha is PGD's step size in pixel units (0: 2.5*eps/steps).
	Alpha float64 `json:"alpha,omitempty"`
	// RandomStart is PGD's random start (default on).
	RandomStart bool `json:"random_start,omitempty"`
	// Queries and PInit: the Square attack's budget (default 1000) and
	// initial square size (default 0.8).
	Queries int     `json:"queries,omitempty"`
	PInit   float64 `json:"p_init,omitempty"`
}

// specKeys lists, per attack, the keys a spec may set.
var specKeys = map[string][]string{
	"fgsm":     {"norm"},
	"pgd":      {"norm", "steps", "restarts", "alpha", "random_start"},
	"apgd-ce":  {"norm", "steps", "restarts"},
	"apgd-dlr": {"norm", "steps", "restarts"},
	"square":   {"queries", "p"},
}

// Names lists the attacks a Spec may name.
func Names() []string {
	return slices.Sorted(maps.Keys(specKeys))
}

// SpecHelp describes the spec syntax and every attack's keys and defaults,
// for command help.
const SpecHelp = `Attacks are NAME or NAME?KEY=VALUE&KEY=VALUE (quote them in a shell):
  fgsm      FGSM, Goodfellow et al. 2015                      norm=linf|l2
  pgd       PGD, Madry et al. 2018: steps=20 restarts=1 alpha=2.5*eps/steps
            random_start=1 norm=linf|l2
  apgd-ce   Auto-PGD on the cross-entropy, Croce & Hein 2020: steps=100 restarts=1 norm
  apgd-dlr  Auto-PGD on the DLR loss: steps=100 restarts=1 norm
  square    Square attack (Linf, score-based, no gradients), Andriushchenko
            et al. 2020: queries=1000 p=0.8
e.g. pgd?steps=50&restarts=10&alpha=0.01`

// ParseSpec reads one attack spec.
func ParseSpec(s string) (Spec, error) {
	raw := strings.TrimSpace(s)
	name, query, _ := strings.Cut(raw, "?")
	name = strings.ToLower(name)
	keys, ok := specKeys[name]
	if !ok {
		return Spec{}, fmt.Errorf("attack %q: unknown attack %q (known: %s)", raw, name, strings.Join(Names(), ", "))
	}
	sp := Spec{Label: raw, Name: name, Norm: Linf, Restarts: 1}
	switch name {
	case "pgd":
		sp.Steps, sp.RandomStart = 20, true
	case "apgd-ce", "apgd-dlr":
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

// ParseSpecs reads a comma-separated list of specs ("fgsm,pgd,square").
func ParseSpecs(list string) ([]Spec, error) {
	var out []Spec
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		sp, err := ParseSpec(s)
		if err != nil {
			return nil, err
		}
		if seen[sp.Label] {
			return nil, fmt.Errorf("attack %q is listed twice", sp.Label)
		}
		seen[sp.Label] = true
		out = append(out, sp)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no attacks given (known: %s)", strings.Join(Names(), ", "))
	}
	return out, nil
}

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
	case "apgd-ce", "apgd-dlr":
		o.obj = CrossEntropy()
		if sp.Name == "apgd-dlr" {
			o.obj = DLR()
		}
		c := APGDConfig{Norm: sp.Norm, Eps: eps, Steps: sp.Steps, Restarts: sp.Restarts}
		c.run(o, x, todo, rng, res)
	case "square":
		o.obj = squareObjective(nil)
		c := SquareConfig{Eps: eps, Queries: sp.Queries, PInit: sp.PInit}
		c.run(o, x, todo, rng, res)
	default:
		panic("attack: unparsed spec " + sp.Name)
	}
}

// pgd is the PGD configuration of a pgd spec at budget eps, for
// evaluation (examples stop once fooled).
func (sp *Spec) pgd(eps float64) PGDConfig {
	return PGDConfig{Norm: sp.Norm, Eps: eps, Alpha: sp.Alpha, Steps: sp.Steps, Restarts: sp.Restarts,
		RandomStart: sp.RandomStart, EarlyStop: true}
}
