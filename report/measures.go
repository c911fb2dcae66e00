package report

import (
	"math"
	"slices"
	"strconv"

	"github.com/robustlab/robustlab/study"
)

// label is how figures name model m: its Label, or its Name without one.
func label(m *study.ModelResult) string {
	if m.Label != "" {
		return m.Label
	}
	return m.Name
}

// labels are the figure names of all models, in the study's order.
func labels(r *study.Results) []string {
	out := make([]string, len(r.Models))
	for i := range r.Models {
		out[i] = label(&r.Models[i])
	}
	return out
}

// canonicalSplits are the cue splits in the order the report shows them;
// splits a study adds come after them, sorted.
var canonicalSplits = []string{"random-texture", "silhouette", "texture-only"}

// splitNames are the cue splits any model has, canonical ones first.
func splitNames(r *study.Results) []string {
	have := map[string]bool{}
	for _, m := range r.Models {
		for k := range m.SplitAccuracy {
			have[k] = true
		}
	}
	return ordered(have, canonicalSplits)
}

// saliencyMethods are the saliency methods any model has, gradient and
// smoothgrad first (the seed's two).
func saliencyMethods(r *study.Results) []string {
	have := map[string]bool{}
	for _, m := range r.Models {
		for k := range m.Saliency {
			have[k] = true
		}
	}
	return ordered(have, []string{"gradient", "smoothgrad"})
}

// ordered lists the keys of have: those in first in that order, then the
// rest sorted.
func ordered(have map[string]bool, first []string) []string {
	var out []string
	for _, k := range first {
		if have[k] {
			out = append(out, k)
		}
	}
	for _, k := range sortedKeys(have) {
		if !slices.Contains(first, k) {
			out = append(out, k)
		}
	}
	return out
}

// primaryMethod is the saliency method the findings and the overview
// use: plain input gradients (the seed's S1) when measured.
func primaryMethod(r *study.Results) string {
	ms := saliencyMethods(r)
	if len(ms) == 0 {
		return ""
	}
	return ms[0]
}

// middleEps is the index into r.Eps of the budget the table and the
// findings quote: 8/255, the usual CIFAR-10 budget, when the study has it;
// otherwise the middle of the non-zero budgets. ok is false without any
// non-zero budget.
func middleEps(r *study.Results) (i int, ok bool) {
	var nonzero []int
	for j, e := range r.Eps {
		if math.Abs(e*255-8) < 1e-6 {
			return j, true
		}
		if e > 0 {
			nonzero = append(nonzero, j)
		}
	}
	if len(nonzero) == 0 {
		return 0, false
	}
	return nonzero[len(nonzero)/2], true
}

// epsText writes an eps in [0,1] pixel units as a fraction of 255 when it
// is one ("8/255"), else as a decimal.
func epsText(e float64) string {
	if e == 0 {
		return "0"
	}
	n := e * 255
	if math.Abs(n-math.Round(n)) < 1e-6 {
		return strconv.Itoa(int(math.Round(n))) + "/255"
	}
	return strconv.FormatFloat(e, 'g', 4, 64)
}

// at is v[i], or NaN when v is too short: a measurement the model lacks.
func at(v []float64, i int) float64 {
	if i < 0 || i >= len(v) {
		return math.NaN()
	}
	return v[i]
}

// noiseMean is model m's mean accuracy under noise family f over the
// severities, NaN when m was not tested with f. It is Noise.Mean when the
// study stored it, else the mean of Noise.Accuracy.
func noiseMean(m *study.ModelResult, f string) float64 {
	if v, ok := m.Noise.Mean[f]; ok {
		return v
	}
	acc := m.Noise.Accuracy[f]
	if len(acc) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range acc {
		s += v
	}
	return s / float64(len(acc))
}

// splitAccuracy is m's accuracy on a cue split, NaN when not measured.
func splitAccuracy(m *study.ModelResult, split string) float64 {
	if v, ok := m.SplitAccuracy[split]; ok {
		return v
	}
	return math.NaN()
}
