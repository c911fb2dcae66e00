package attack

import (
	"fmt"
	"math"
	"strings"
)

// Check is one sanity check of an evaluation (Carlini et al. 2019, "On
// Evaluating Adversarial Robustness", sec. 5; Croce & Hein 2020's
// AutoAttack flags). A failed check says the accuracies may be too high:
// the attacks did not find adversarial examples that exist, typically
// because the model masks its gradients.
type Check struct {
	// Name is one of the Check* constants.
	Name string `json:"name"`
	// Passed is false when the rule is broken beyond the tolerance.
	Passed bool `json:"passed"`
	// Skipped is true when the evaluation had nothing to check it on (the
	// Detail says why); Passed is then false.
	Skipped bool `json:"skipped,omitempty"`
	// Detail gives the numbers.
	Detail string `json:"detail"`
}

// judge passes c if no rule was broken (bad is empty), with detail ok, and
// else fails it, listing the breaches after failure.
func (c *Check) judge(bad []string, ok, failure string) {
	c.Passed = len(bad) == 0
	c.Detail = ok
	if !c.Passed {
		c.Detail = failure + strings.Join(bad, "; ")
	}
}

// The sanity checks.
const (
	// CheckEpsMonotone: a larger budget never leaves more examples
	// correct, under every attack and in the worst case.
	CheckEpsMonotone = "eps-monotone"
	// CheckStepsMonotone: PGD with a quarter of its steps does not leave
	// fewer examples correct than the full PGD.
	CheckStepsMonotone = "steps-monotone"
	// CheckUnbounded: PGD with an unbounded budget (Linf eps = 1 reaches
	// every image) fools about every example.
	CheckUnbounded = "unbounded"
	// CheckIterativeVsSingleStep: the iterative attacks on FGSM's own loss,
	// the cross-entropy (PGD, APGD-CE), leave no more examples correct
	// than FGSM. (APGD-DLR ascends another loss, with other local maxima:
	// on a linear model FGSM is optimal and DLR is not.)
	CheckIterativeVsSingleStep = "iterative-vs-fgsm"
	// CheckSquareVsWhiteBox: the Square attack, which sees no gradients,
	// does not beat the best gradient attack.
	CheckSquareVsWhiteBox = "square-vs-white-box"
	// CheckZeroGradients: no correctly classified example has an input
	// gradient that is exactly zero.
	CheckZeroGradients = "zero-gradients"
	// CheckDeterministic: the model gives the same logits twice on the
	// same batch (a randomized model needs attacks that average over it).
	CheckDeterministic = "deterministic"
)

// unboundedMax is the accuracy under the unbounded attack that still
// counts as "about 0" (on top of the tolerance).
const unboundedMax = 0.01

// sanityChecks evaluates every check on the tallies of an evaluation.
func sanityChecks(cfg *EvalConfig, rep *Report, t *tally) []Check {
	n := rep.N
	slack := max(1, int(math.Ceil(cfg.Tolerance*float64(n))))
	pct := func(c int) string { return fmt.Sprintf("%.2f%%", 100*float64(c)/float64(n)) }
	order := sortedEps(cfg.Eps)
	var out []Check

	// Accuracy non-increasing in eps.
	c := Check{Name: CheckEpsMonotone}
	if len(cfg.Eps) < 2 {
		c.Skipped, c.Detail = true, "needs at least two budgets"
	} else {
		var bad []string
		for _, a := range append(labelsOf(cfg.Attacks), WorstCase) {
			for k := 1; k < len(order); k++ {
				lo, hi := order[k-1], order[k]
				if t.correct[a][hi] > t.correct[a][lo]+slack {
					bad = append(bad, fmt.Sprintf("%s: %s at eps %g but %s at eps %g", a, pct(t.correct[a][lo]), cfg.Eps[lo], pct(t.correct[a][hi]), cfg.Eps[hi]))
				}
			}
		}
		c.judge(bad, "accuracy does not rise with eps under any attack", "accuracy rises with eps: ")
	}
	out = append(out, c)

	// Accuracy non-increasing in steps.
	c = Check{Name: CheckStepsMonotone}
	if sp := firstPGD(cfg.Attacks); !t.fewerRun || sp == nil {
		c.Skipped, c.Detail = true, "needs a pgd attack of at least 4 steps and the extra checks"
	} else {
		var bad, all []string
		for e, eps := range cfg.Eps {
			full, fewer := t.correct[sp.Label][e], t.fewerSteps[e]
			all = append(all, fmt.Sprintf("eps %g: %s with %d steps, %s with %d", eps, pct(full), sp.Steps, pct(fewer), sp.Steps/4))
			if full > fewer+slack {
				bad = append(bad, all[len(all)-1])
			}
		}
		c.judge(bad, strings.Join(all, "; "), "more steps leave more examples correct: ")
	}
	out = append(out, c)

	// An unbounded attack succeeds.
	c = Check{Name: CheckUnbounded}
	if !t.unboundedRun {
		c.Skipped, c.Detail = true, "needs a gradient attack and the extra checks"
	} else {
		c.Passed = t.unbounded <= max(slack, int(unboundedMax*float64(n)))
		c.Detail = fmt.Sprintf("accuracy %s under PGD-20 with eps = 1 (want about 0)", pct(t.unbounded))
	}
	out = append(out, c)

	// Iterative attacks at least as strong as FGSM.
	c = Check{Name: CheckIterativeVsSingleStep}
	fgsm := ""
	var iter []string
	for _, a := range cfg.Attacks {
		switch {
		case a.Name == "fgsm" && fgsm == "":
			fgsm = a.Label
		case a.Name == "pgd" || a.Name == "apgd-ce":
			iter = append(iter, a.Label)
		}
	}
	if fgsm == "" || len(iter) == 0 {
		c.Skipped, c.Detail = true, "needs fgsm and pgd or apgd-ce"
	} else {
		var bad []string
		for _, a := range iter {
			for e, eps := range cfg.Eps {
				if t.correct[a][e] > t.correct[fgsm][e]+slack {
					bad = append(bad, fmt.Sprintf("eps %g: %s leaves %s, %s %s", eps, a, pct(t.correct[a][e]), fgsm, pct(t.correct[fgsm][e])))
				}
			}
		}
		c.judge(bad, "pgd and apgd-ce are at least as strong as FGSM", "FGSM beats an iterative attack: ")
	}
	out = append(out, c)

	// Square not stronger than the white-box attacks.
	c = Check{Name: CheckSquareVsWhiteBox}
	square, squareSuite, squareSeen := "", "", false
	var white []string
	for _, a := range cfg.Attacks {
		switch {
		case a.gradientFree():
			if square == "" {
				square, squareSuite = a.Label, a.Suite
			}
			squareSeen = true
		case squareSeen && a.Suite != "" && a.Suite == squareSuite:
			// A later stage of Square's own suite attacks only what Square
			// left: its accuracy cannot be above Square's, whatever the
			// gradients are worth.
		default:
			white = append(white, a.Label)
		}
	}
	if square == "" || len(white) == 0 {
		c.Skipped, c.Detail = true, "needs square and a gradient attack"
	} else {
		var bad, all []string
		for e, eps := range cfg.Eps {
			best := white[0]
			for _, a := range white[1:] {
				if t.correct[a][e] < t.correct[best][e] {
					best = a
				}
			}
			all = append(all, fmt.Sprintf("eps %g: %s %s, best gradient attack %s %s", eps, square, pct(t.correct[square][e]), best, pct(t.correct[best][e])))
			if t.correct[square][e]+slack < t.correct[best][e] {
				bad = append(bad, all[len(all)-1])
			}
		}
		c.judge(bad, strings.Join(all, "; "), "the gradient-free attack is stronger than every gradient attack: ")
	}
	out = append(out, c)

	// Zero gradients.
	c = Check{Name: CheckZeroGradients, Passed: t.zeroGrad <= slack}
	c.Detail = fmt.Sprintf("%d of %d correctly classified examples have an all-zero input gradient", t.zeroGrad, t.cleanCorrect)
	out = append(out, c)

	if t.cleanCorrect == 0 {
		// Every check above compares attacks on the correctly classified
		// examples, and there are none: a pass would be a claim about
		// nothing.
		for i := range out {
			out[i] = Check{Name: out[i].Name, Skipped: true,
				Detail: fmt.Sprintf("no example of %d was classified correctly, so no attack had anything to fool", n)}
		}
	}

	c = Check{Name: CheckDeterministic, Passed: t.nondet == ""}
	c.Detail = "the model gives the same logits twice"
	if !c.Passed {
		c.Detail = "the model's output changed between two runs: " + t.nondet
	}
	out = append(out, c)
	return out
}
