package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/internal/stats"
	"github.com/robustlab/robustlab/study"
)

// Finding is one statement the report makes from the numbers.
type Finding struct {
	// Topic groups findings ("Shape bias", "Noise transfer", ...).
	Topic string
	// Text is the statement, a sentence or two, naming models by their
	// Names.
	Text string
}

// Findings states what the results say, computed from them alone. The
// comparisons between models follow the roles the spec gave them
// (study.Roles: standard, shape-biased, adversarial, noise); findings that
// need a role no model has are left out, and those that compare all models
// (rankings, rank correlations across models) are made for any study. A difference between two
// proportions is called one only when it exceeds twice its sampling
// standard error; otherwise the text says it is within sampling noise.
func Findings(r *study.Results) []Finding {
	c := cast(r)
	var out []Finding
	for _, topic := range []func(*study.Results, castModels) []Finding{
		accuracyFindings, shapeBiasFindings, robustFindings, noiseFindings,
		saliencyFindings, agreementFindings, linkFindings,
	} {
		out = append(out, topic(r, c)...)
	}
	return out
}

// finding is a Finding with its text formatted.
func finding(topic, format string, args ...any) Finding {
	return Finding{topic, fmt.Sprintf(format, args...)}
}

// spread is a finding stating the range of a measure over the models that
// have it, followed by extra; none for fewer than two models.
func spread(r *study.Results, topic, what string, value func(*study.ModelResult) float64, extra string) []Finding {
	t := spreadText(r, what, value)
	if t == "" {
		return nil
	}
	return []Finding{{topic, strings.TrimSpace(t + " " + extra)}}
}

// accuracyFindings state the range of clean accuracy.
func accuracyFindings(r *study.Results, _ castModels) []Finding {
	return spread(r, "Clean accuracy", "Clean accuracy", func(m *study.ModelResult) float64 { return m.CleanAccuracy }, "")
}

// shapeBiasFindings compare the texture-randomized and the adversarial
// model's shape bias with the standard model's (S3, S4), and sort all
// models into shape- and texture-biased.
func shapeBiasFindings(r *study.Results, c castModels) []Finding {
	var out []Finding
	for _, m := range []*study.ModelResult{c.texture, c.adversarial} {
		if m == nil || c.standard == nil || math.IsNaN(shapeBias(m)) || math.IsNaN(shapeBias(c.standard)) {
			continue
		}
		a, b := m.ShapeBias, c.standard.ShapeBias
		out = append(out, finding("Shape bias", "Shape bias is %.2f for %s vs %.2f for %s (%s).",
			a.ShapeBias, c.who(m), b.ShapeBias, c.who(c.standard),
			difference(a.ShapeBias, b.ShapeBias, shapeBiasSE(a), shapeBiasSE(b), "%.2f")))
	}
	var shapeBiased, textureBiased []string
	for _, m := range r.Models {
		if math.IsNaN(shapeBias(&m)) {
			continue
		}
		switch {
		case m.ShapeBias.ShapeBias > 0.5:
			shapeBiased = append(shapeBiased, fmt.Sprintf("%s (%.2f)", m.Name, m.ShapeBias.ShapeBias))
		case m.ShapeBias.ShapeBias < 0.5:
			textureBiased = append(textureBiased, fmt.Sprintf("%s (%.2f)", m.Name, m.ShapeBias.ShapeBias))
		}
	}
	if len(shapeBiased)+len(textureBiased) > 0 {
		out = append(out, finding("Shape bias", "Deciding cue conflicts more often by shape than by texture (shape bias above 0.5): %s; more often by texture: %s. For scale, on ImageNet stimuli a ResNet-50 scores 0.21, a Stylized-ImageNet-trained ResNet-50 0.81 and humans 0.96 (Geirhos et al. 2019).",
			listOrNone(shapeBiased), listOrNone(textureBiased)))
	}
	return out
}

// robustFindings compare the adversarial and the standard model under PGD
// at the middle eps (S1, S6), state the range over all models, and flag
// failed sanity checks and FGSM beating PGD.
func robustFindings(r *study.Results, c castModels) []Finding {
	var out []Finding
	if k, ok := middleEps(r); ok {
		e := epsText(r.Eps[k])
		if a, s := c.adversarial, c.standard; a != nil && s != nil && hasPGD(a, k) && hasPGD(s, k) {
			pa, ps := a.RobustAccuracy.PGD[k], s.RobustAccuracy.PGD[k]
			out = append(out, finding("Adversarial robustness", "At eps %s, PGD accuracy is %s for %s vs %s for %s (%s); their clean accuracies are %s and %s.",
				e, pct(pa), c.who(a), pct(ps), c.who(s),
				difference(pa, ps, stats.ProportionSE(pa, a.RobustAccuracy.N), stats.ProportionSE(ps, s.RobustAccuracy.N), "points"),
				pct(a.CleanAccuracy), pct(s.CleanAccuracy)))
		}
		out = append(out, spread(r, "Adversarial robustness", "PGD accuracy at eps "+e,
			func(m *study.ModelResult) float64 { return at(m.RobustAccuracy.PGD, k) }, "")...)
	}
	for _, m := range r.Models {
		ra := m.RobustAccuracy
		if len(ra.Warnings) > 0 {
			out = append(out, finding("Adversarial robustness", "The attack sanity checks failed for %s, so its robust accuracy may be overstated: %s.",
				m.Name, strings.Join(ra.Warnings, "; ")))
		}
		var where []string
		for j := range r.Eps {
			if r.Eps[j] > 0 && j < len(ra.FGSM) && j < len(ra.PGD) && ra.FGSM[j]+2*stats.DifferenceSE(ra.FGSM[j], ra.PGD[j], ra.N, ra.N) < ra.PGD[j] {
				where = append(where, epsText(r.Eps[j]))
			}
		}
		if len(where) > 0 {
			out = append(out, finding("Adversarial robustness", "For %s, single-step FGSM leaves fewer images correct than multi-step PGD at eps %s, beyond sampling noise. PGD should be the stronger attack: its steps may be too few or too small, or the model's gradients are masked. The worst case over all attacks (with APGD-CE and APGD-T) is in the table.",
				m.Name, strings.Join(where, ", ")))
		}
	}
	return out
}

// noiseFindings compare each noise-trained model with the standard model
// under every test noise (S2) and the texture-randomized model's mean
// noise accuracy with the standard model's (S4).
func noiseFindings(r *study.Results, c castModels) []Finding {
	var out []Finding
	for _, nm := range c.noise {
		m, f := nm.model, nm.family
		s := c.standard
		if s == nil {
			var others []string
			for _, g := range without(r.NoiseFamilies, f) {
				if !math.IsNaN(noiseMean(m, g)) {
					others = append(others, fmt.Sprintf("%s under %s noise", pct(noiseMean(m, g)), g))
				}
			}
			out = append(out, finding("Noise transfer", "Trained with %s noise, %s has mean accuracy %s under %s noise and %s.",
				f, m.Name, pct(noiseMean(m, f)), f, listOrNone(others)))
			continue
		}
		var parts []string
		for _, g := range append([]string{f}, without(r.NoiseFamilies, f)...) {
			a, b := noiseMean(s, g), noiseMean(m, g)
			if math.IsNaN(a) || math.IsNaN(b) {
				continue
			}
			parts = append(parts, fmt.Sprintf("under %s noise from %s to %s (%s)", g, pct(a), pct(b),
				difference(b, a, stats.ProportionSE(b, m.Noise.N), stats.ProportionSE(a, s.Noise.N), "points")))
		}
		if len(parts) > 0 {
			out = append(out, finding("Noise transfer", "Training with %s noise (%s rather than %s) changes mean accuracy %s.",
				f, m.Name, c.who(s), strings.Join(parts, "; ")))
		}
	}
	if t, s := c.texture, c.standard; t != nil && s != nil && len(r.NoiseFamilies) > 0 {
		a, b := meanNoise(r, s), meanNoise(r, t)
		if !math.IsNaN(a) && !math.IsNaN(b) {
			out = append(out, finding("Noise transfer", "Averaged over all test noises and severities, %s scores %s vs %s for %s (%s).",
				c.who(t), pct(b), pct(a), c.who(s),
				difference(b, a, stats.ProportionSE(b, t.Noise.N), stats.ProportionSE(a, s.Noise.N), "points")))
		}
	}
	return out
}

// saliencyFindings compare where the adversarial and the standard model's
// gradients fall (S1) and state the ranges over all models.
func saliencyFindings(r *study.Results, c castModels) []Finding {
	method := primaryMethod(r)
	if method == "" {
		return nil
	}
	var out []Finding
	stat := func(m *study.ModelResult, v func(study.SaliencyStats) float64) float64 {
		if s, ok := m.Saliency[method]; ok {
			return v(s)
		}
		return math.NaN()
	}
	if a, s := c.adversarial, c.standard; a != nil && s != nil {
		sa, okA := a.Saliency[method]
		ss, okS := s.Saliency[method]
		if okA && okS {
			out = append(out, finding("Saliency", "The share of %s mass on the object is %s for %s vs %s for %s, where a map blind to the object would get %s (the object's area); on the object's boundary band, %s vs %s. The maps peak on the object for %s vs %s of the images (%s).",
				method, pct(sa.Object), c.who(a), pct(ss.Object), c.who(s), pct(ss.ObjectArea),
				pct(sa.Boundary), pct(ss.Boundary), pct(sa.Pointing), pct(ss.Pointing),
				difference(sa.Pointing, ss.Pointing, stats.ProportionSE(sa.Pointing, sa.N), stats.ProportionSE(ss.Pointing, ss.N), "points")))
		}
	}
	out = append(out, spread(r, "Saliency", "The share of "+method+" mass on the object",
		func(m *study.ModelResult) float64 {
			return stat(m, func(s study.SaliencyStats) float64 { return s.Object })
		},
		blindComparison(r, method))...)
	out = append(out, spread(r, "Saliency", "The share of "+method+" mass on the object's boundary band (the shape cue)",
		func(m *study.ModelResult) float64 {
			return stat(m, func(s study.SaliencyStats) float64 { return s.Boundary })
		}, "")...)
	return out
}

// agreementFindings rank how alike the other models' maps are to the
// standard model's (S5), for the primary saliency method.
func agreementFindings(r *study.Results, c castModels) []Finding {
	var out []Finding
	for _, a := range r.SaliencyAgreement {
		if a.Method != primaryMethod(r) || len(a.Models) < 2 {
			continue
		}
		ref := 0
		if c.standard != nil {
			ref = max(slices.Index(a.Models, c.standard.Name), 0)
		}
		others := without(a.Models, a.Models[ref])
		rho := func(name string) float64 { return a.Matrix[ref][slices.Index(a.Models, name)] }
		slices.SortStableFunc(others, func(x, y string) int { return cmpDesc(rho(x), rho(y)) })
		items := make([]string, len(others))
		for i, name := range others {
			items[i] = fmt.Sprintf("%s %.2f", name, rho(name))
		}
		out = append(out, finding("Saliency agreement", "Mean rank correlation of the other models' %s maps with those of %s, from most to least alike: %s.",
			a.Method, a.Models[ref], strings.Join(items, ", ")))
	}
	return out
}

// cmpDesc orders larger values first.
func cmpDesc(x, y float64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}

// linkFindings state the rank correlation of each pair of measures across
// the models, with its permutation p-value.
func linkFindings(r *study.Results, _ castModels) []Finding {
	var out []Finding
	for _, l := range links(r) {
		switch {
		case len(l.who) < 3:
		case math.IsNaN(l.rho):
			out = append(out, finding("Links", "Across the %d models, %s and %s have no rank correlation: one of them does not vary.",
				len(l.who), l.x.name, l.y.name))
		default:
			out = append(out, finding("Links", "Across the %d models, %s and %s have Spearman rank correlation %.2f (%s).",
				len(l.who), l.x.name, l.y.name, l.rho, spearmanPText(l.xs, l.ys)))
		}
	}
	return out
}

// castModels are the models the findings compare, by their roles in the
// spec (the first model of each role); nil where the study has none.
type castModels struct {
	standard, texture, adversarial *study.ModelResult
	noise                          []noiseModel
}

// who names m in a finding: its Name, followed by its role when the name
// does not already say it ("sin (the shape-biased model)").
func (c castModels) who(m *study.ModelResult) string {
	if m.Role == "" || m.Role == "noise" || m.Name == m.Role {
		return m.Name
	}
	return fmt.Sprintf("%s (the %s model)", m.Name, m.Role)
}

// noiseModel is a model trained with noise augmentation and the test noise
// family it was trained with.
type noiseModel struct {
	model  *study.ModelResult
	family string
}

// cast finds the models of each role in r.
func cast(r *study.Results) castModels {
	var c castModels
	for i := range r.Models {
		m := &r.Models[i]
		switch m.Role {
		case "standard":
			c.standard = cmp.Or(c.standard, m)
		case "shape-biased":
			c.texture = cmp.Or(c.texture, m)
		case "adversarial":
			c.adversarial = cmp.Or(c.adversarial, m)
		case "noise":
			if f := trainedFamily(m, r.NoiseFamilies); f != "" {
				c.noise = append(c.noise, noiseModel{m, f})
			}
		}
	}
	return c
}

// trainedFamily is the first noise m trained with (its TrainNoise) that
// is also a test noise family, "" when none is.
func trainedFamily(m *study.ModelResult, families []string) string {
	for _, f := range strings.Split(m.TrainNoise, ",") {
		if f = strings.TrimSpace(f); slices.Contains(families, f) {
			return f
		}
	}
	return ""
}

// spreadText states the range of value over the models that have it
// ("Clean accuracy ranges from 90.2% (adversarial) to 98.1% (standard).")
// or that they all share one value; "" for fewer than two models.
func spreadText(r *study.Results, what string, value func(*study.ModelResult) float64) string {
	var lo, hi *study.ModelResult
	n := 0
	for i := range r.Models {
		m := &r.Models[i]
		v := value(m)
		if math.IsNaN(v) {
			continue
		}
		n++
		if lo == nil || v < value(lo) {
			lo = m
		}
		if hi == nil || v > value(hi) {
			hi = m
		}
	}
	switch {
	case n < 2:
		return ""
	case pct(value(lo)) == pct(value(hi)):
		return fmt.Sprintf("%s is %s for all %d models.", what, pct(value(lo)), n)
	}
	return fmt.Sprintf("%s ranges from %s (%s) to %s (%s).", what, pct(value(lo)), lo.Name, pct(value(hi)), hi.Name)
}

// difference says by how much a exceeds b and, given their standard
// errors (0 when unknown), whether that is more than twice the standard
// error of the difference: "+12.3 points, more than twice its standard
// error of 2.1". unit is "points" for fractions shown as percentages, else
// the format of a plain number ("%.2f").
func difference(a, b, seA, seB float64, unit string) string {
	num := func(v float64, sign bool) string {
		if unit == "points" {
			if sign {
				return fmt.Sprintf("%+.1f points", 100*v)
			}
			return fmt.Sprintf("%.1f points", 100*v)
		}
		if sign {
			return "difference " + fmt.Sprintf(strings.Replace(unit, "%", "%+", 1), v)
		}
		return fmt.Sprintf(unit, v)
	}
	d := num(a-b, true)
	se := math.Sqrt(seA*seA + seB*seB)
	switch {
	case se == 0:
		return d
	case math.Abs(a-b) <= 2*se:
		return d + ", within twice its standard error of " + num(se, false) + ": no clear difference"
	}
	return d + ", more than twice its standard error of " + num(se, false)
}

// shapeBiasSE is the standard error of a shape bias: a proportion over the
// cue-conflict decisions that are the shape's or the texture's class.
func shapeBiasSE(s study.ShapeBias) float64 {
	return stats.ProportionSE(s.ShapeBias, int(math.Round(float64(s.N)*(s.Shape+s.Texture))))
}

// shapeBias is m's shape bias, NaN where none was measured (no cue-conflict
// images, or no decision for either cue).
func shapeBias(m *study.ModelResult) float64 {
	if m.ShapeBias.N == 0 {
		return math.NaN()
	}
	return m.ShapeBias.ShapeBias
}

// meanNoise is m's mean accuracy over all the study's noise families, NaN
// when m lacks one.
func meanNoise(r *study.Results, m *study.ModelResult) float64 {
	s := 0.0
	for _, f := range r.NoiseFamilies {
		s += noiseMean(m, f)
	}
	return s / float64(len(r.NoiseFamilies))
}

// blindComparison says how many models put more of method's mass on the
// object than its area, what a map blind to the object would.
func blindComparison(r *study.Results, method string) string {
	above, n := 0, 0
	for _, m := range r.Models {
		s, ok := m.Saliency[method]
		if !ok {
			continue
		}
		n++
		if s.Object > s.ObjectArea {
			above++
		}
	}
	return fmt.Sprintf("%d of %d models put more of it on the object than a map blind to the object would (the object's area).", above, n)
}

// spearmanPText is the exact permutation p-value of a rank correlation for
// up to 8 models (all orderings enumerated), else its large-sample normal
// approximation, written with a caution about few models.
func spearmanPText(x, y []float64) string {
	n := len(x)
	if n <= 8 {
		return fmt.Sprintf("two-sided permutation p = %.2f over all %d orderings; with %d models only a strong link can show", stats.PermutationP(x, y), stats.Factorial(n), n)
	}
	return fmt.Sprintf("two-sided p ≈ %.3f, normal approximation", stats.SpearmanNormalP(spearman(x, y), n))
}

// hasPGD reports whether m has a PGD accuracy at eps index k.
func hasPGD(m *study.ModelResult, k int) bool { return k < len(m.RobustAccuracy.PGD) }

// without is s less v.
func without(s []string, v string) []string {
	var out []string
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// listOrNone joins items, or says "none".
func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// pct writes a fraction as a percentage with one decimal, "n/a" for a
// measurement that was not made (NaN).
func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}
