package report

import (
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

// Findings states what the results say, computed from them alone. It
// looks for the models of the default study by name (standard,
// texture-randomized, adversarial, noise-<family>) and, failing that, by
// regime and training data; findings that need a model the study lacks are
// left out, and those that compare all models (rankings, rank correlations
// across models) are made for any study. A difference between two
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
		if m == nil || c.standard == nil || m.ShapeBias.N == 0 || c.standard.ShapeBias.N == 0 {
			continue
		}
		a, b := m.ShapeBias, c.standard.ShapeBias
		out = append(out, finding("Shape bias", "Shape bias is %.2f for %s vs %.2f for %s (%s).",
			a.ShapeBias, c.who(m), b.ShapeBias, c.who(c.standard),
			difference(a.ShapeBias, b.ShapeBias, shapeBiasSE(a), shapeBiasSE(b), "%.2f")))
	}
	var shapeBiased, textureBiased []string
	for _, m := range r.Models {
		if m.ShapeBias.N == 0 {
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
				difference(pa, ps, proportionSE(pa, a.RobustAccuracy.N), proportionSE(ps, s.RobustAccuracy.N), "points"),
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
			if r.Eps[j] > 0 && j < len(ra.FGSM) && j < len(ra.PGD) && ra.FGSM[j]+twoSE(ra.FGSM[j], ra.PGD[j], ra.N, ra.N) < ra.PGD[j] {
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
				difference(b, a, proportionSE(b, m.Noise.N), proportionSE(a, s.Noise.N), "points")))
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
				difference(b, a, proportionSE(b, t.Noise.N), proportionSE(a, s.Noise.N), "points")))
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
				difference(sa.Pointing, ss.Pointing, proportionSE(sa.Pointing, sa.N), proportionSE(ss.Pointing, ss.N), "points")))
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

// castModels are the models of the default study that the findings
// compare, found by name or, failing that, by regime and training data;
// nil where the study has none.
type castModels struct {
	standard, texture, adversarial *study.ModelResult
	noise                          []noiseModel
}

// who names m in a finding: its Name, followed by the role the findings
// gave it when the name does not already say so ("sin (the
// texture-randomized model)").
func (c castModels) who(m *study.ModelResult) string {
	role := ""
	switch m {
	case c.standard:
		role = "standard"
	case c.texture:
		role = "texture-randomized"
	case c.adversarial:
		role = "adversarial"
	}
	if role == "" || m.Name == role {
		return m.Name
	}
	return fmt.Sprintf("%s (the %s model)", m.Name, role)
}

// noiseModel is a model trained with noise augmentation and the test noise
// family it was trained with.
type noiseModel struct {
	model  *study.ModelResult
	family string
}

// adversarialRegimes are the training regimes that train on attacks.
var adversarialRegimes = []string{"pgd", "fgsm-rs", "trades", "adversarial"}

// cast finds the default study's models in r.
func cast(r *study.Results) castModels {
	find := func(names []string, fallback func(*study.ModelResult) bool) *study.ModelResult {
		for _, n := range names {
			for i := range r.Models {
				if r.Models[i].Name == n {
					return &r.Models[i]
				}
			}
		}
		for i := range r.Models {
			if fallback(&r.Models[i]) {
				return &r.Models[i]
			}
		}
		return nil
	}
	var c castModels
	c.standard = find([]string{"standard"}, func(m *study.ModelResult) bool {
		return m.Regime == "standard" && !strings.Contains(m.TrainData, "texture")
	})
	c.texture = find([]string{"texture-randomized", "texture"}, func(m *study.ModelResult) bool {
		return m != c.standard && (strings.Contains(m.Name, "texture") || strings.Contains(m.TrainData, "random-texture"))
	})
	c.adversarial = find([]string{"adversarial"}, func(m *study.ModelResult) bool {
		return slices.Contains(adversarialRegimes, m.Regime)
	})
	for i := range r.Models {
		m := &r.Models[i]
		if m.Regime != "noise" && !strings.HasPrefix(m.Name, "noise-") {
			continue
		}
		if f := trainedFamily(m, r.NoiseFamilies); f != "" {
			c.noise = append(c.noise, noiseModel{m, f})
		}
	}
	return c
}

// trainedFamily is the test noise family that noise model m names in its
// name, training data or description ("noise-salt-pepper" names
// "salt-pepper"), the longest when several match; "" when none does.
func trainedFamily(m *study.ModelResult, families []string) string {
	squash := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	best := ""
	for _, text := range []string{m.Name, m.TrainData, m.Description} {
		t := squash(text)
		for _, f := range families {
			if sf := squash(f); sf != "" && strings.Contains(t, sf) && len(f) > len(best) {
				best = f
			}
		}
		if best != "" {
			return best
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

// twoSE is twice the standard error of the difference of two proportions
// measured on n1 and n2 images.
func twoSE(p1, p2 float64, n1, n2 int) float64 {
	a, b := proportionSE(p1, n1), proportionSE(p2, n2)
	return 2 * math.Sqrt(a*a+b*b)
}

// proportionSE is the binomial standard error of a proportion p measured
// on n images, 0 when n is unknown. p is kept half an image away from 0 and
// 1 so that a perfect score still has an error.
func proportionSE(p float64, n int) float64 {
	if n <= 0 {
		return 0
	}
	lim := 0.5 / float64(n)
	p = math.Min(math.Max(p, lim), 1-lim)
	return math.Sqrt(p * (1 - p) / float64(n))
}

// shapeBiasSE is the standard error of a shape bias: a proportion over the
// cue-conflict decisions that are the shape's or the texture's class.
func shapeBiasSE(s study.ShapeBias) float64 {
	return proportionSE(s.ShapeBias, int(math.Round(float64(s.N)*(s.Shape+s.Texture))))
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
		return fmt.Sprintf("two-sided permutation p = %.2f over all %d orderings; with %d models only a strong link can show", permutationP(x, y), factorial(n), n)
	}
	rho := spearman(x, y)
	z := math.Abs(rho) * math.Sqrt(float64(n-1))
	return fmt.Sprintf("two-sided p ≈ %.3f, normal approximation", math.Erfc(z/math.Sqrt2))
}

// permutationP is the fraction of all orderings of y whose rank correlation
// with x is at least as far from 0 as the observed one.
func permutationP(x, y []float64) float64 {
	rx, ry := stats.Ranks(x), stats.Ranks(y)
	obs := math.Abs(stats.Pearson(rx, ry))
	if math.IsNaN(obs) {
		return 1
	}
	perm := slices.Clone(ry)
	hits, total := 0, 0
	var visit func(k int)
	visit = func(k int) {
		if k == len(perm) {
			total++
			if math.Abs(stats.Pearson(rx, perm)) >= obs-1e-12 {
				hits++
			}
			return
		}
		for i := k; i < len(perm); i++ {
			perm[k], perm[i] = perm[i], perm[k]
			visit(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	visit(0)
	return float64(hits) / float64(total)
}

// factorial is n!.
func factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return f
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

// pct writes a fraction as a percentage with one decimal.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}
