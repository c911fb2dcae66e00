package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/robustlab/robustlab/study"
)

// ResultsFile is the name of a study's results inside its folder.
const ResultsFile = "results.json"

// Load reads dir/results.json and checks that it describes a report that
// can be drawn: errors name the file and, for a bad value, where it is
// ("models[2] (adversarial): robust_accuracy.pgd has 4 values, want 6, one
// per eps").
func Load(dir string) (*study.Results, error) {
	file := filepath.Join(dir, ResultsFile)
	raw, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file (is %s a study folder? robustlab study writes it)", file, dir)
		}
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var r study.Results
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %s", file, describeJSONError(raw, err))
	}
	markUnmeasured(raw, &r)
	if err := Check(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &r, nil
}

// markUnmeasured sets the clean accuracy of a model whose entry in raw
// lacks it to NaN, so that the report says n/a where decoding would have
// left 0 (the other measurements are lists and maps, whose absence shows).
func markUnmeasured(raw []byte, r *study.Results) {
	var keys struct {
		Models []map[string]json.RawMessage `json:"models"`
	}
	if json.Unmarshal(raw, &keys) != nil {
		return
	}
	for i, m := range keys.Models {
		if _, ok := m["clean_accuracy"]; !ok && i < len(r.Models) {
			r.Models[i].CleanAccuracy = math.NaN()
		}
	}
}

// describeJSONError turns a decoding error into a message with a line and
// column, which a user can find in an editor, rather than a byte offset.
func describeJSONError(raw []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(raw)):
		return fmt.Sprintf("truncated: the JSON ends at %s before it is complete", lineCol(raw, syn.Offset))
	case errors.As(err, &syn):
		return fmt.Sprintf("%s: not valid JSON: %v", lineCol(raw, syn.Offset), syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Sprintf("%s: %s is a JSON %s, want %s", lineCol(raw, typ.Offset), field, typ.Value, typ.Type)
	}
	return err.Error()
}

// lineCol is "line L, column C" of the byte offset off in raw.
func lineCol(raw []byte, off int64) string {
	off = min(max(off, 0), int64(len(raw)))
	before := raw[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Check reports the first value in r that a report cannot be drawn from:
// a model without a name or with the name of another, a fraction outside
// [0,1], a number that is not finite, a series whose length does not match
// Results.Eps or Results.NoiseSeverities, a noise family not in
// Results.NoiseFamilies, an agreement matrix that is not square over its
// models, a saliency grid file outside the study's folder.
func Check(r *study.Results) error {
	if len(r.Models) == 0 {
		return errors.New("models: empty; a study has at least one model")
	}
	for i, e := range r.Eps {
		if math.IsNaN(e) || math.IsInf(e, 0) || e < 0 {
			return fmt.Errorf("eps[%d] = %v, want a finite eps >= 0", i, e)
		}
	}
	for i, s := range r.NoiseSeverities {
		if s < 1 {
			return fmt.Errorf("noise_severities[%d] = %d, want a severity >= 1", i, s)
		}
	}
	seen := map[string]int{}
	for i := range r.Models {
		m := &r.Models[i]
		if m.Name == "" {
			return fmt.Errorf("models[%d]: no name", i)
		}
		if j, ok := seen[m.Name]; ok {
			return fmt.Errorf("models[%d] and models[%d] are both named %q", j, i, m.Name)
		}
		seen[m.Name] = i
		if err := checkModel(r, m); err != nil {
			return fmt.Errorf("models[%d] (%s): %w", i, m.Name, err)
		}
	}
	for i, a := range r.SaliencyAgreement {
		if err := checkAgreement(a, seen); err != nil {
			return fmt.Errorf("saliency_agreement[%d] (%s): %w", i, a.Method, err)
		}
	}
	if r.SaliencyGrid != "" {
		if err := checkStudyPath(r.SaliencyGrid); err != nil {
			return fmt.Errorf("saliency_grid: %w", err)
		}
	}
	return nil
}

// checkModel checks one model's measurements against the study's axes.
func checkModel(r *study.Results, m *study.ModelResult) error {
	if err := measuredFraction("clean_accuracy", m.CleanAccuracy); err != nil {
		return err
	}
	for _, k := range sortedKeys(m.SplitAccuracy) {
		if err := fraction("split_accuracy."+k, m.SplitAccuracy[k]); err != nil {
			return err
		}
	}
	sb := m.ShapeBias
	for _, f := range []struct {
		name string
		v    float64
	}{{"shape_bias.shape_bias", sb.ShapeBias}, {"shape_bias.shape_fraction", sb.Shape},
		{"shape_bias.texture_fraction", sb.Texture}, {"shape_bias.neither_fraction", sb.Neither}} {
		if err := measuredFraction(f.name, f.v); err != nil {
			return err
		}
	}
	if sum := sb.Shape + sb.Texture + sb.Neither; sb.N > 0 && math.Abs(sum-1) > 1e-3 {
		return fmt.Errorf("shape_bias: shape, texture and neither fractions sum to %.4f, want 1", sum)
	}
	ra := m.RobustAccuracy
	for _, s := range []struct {
		name string
		v    []float64
	}{{"fgsm", ra.FGSM}, {"pgd", ra.PGD}, {"worst", ra.Worst}} {
		if len(s.v) != 0 && len(s.v) != len(r.Eps) {
			return fmt.Errorf("robust_accuracy.%s has %d values, want %d, one per eps", s.name, len(s.v), len(r.Eps))
		}
		for j, v := range s.v {
			if err := fraction(fmt.Sprintf("robust_accuracy.%s[%d]", s.name, j), v); err != nil {
				return err
			}
		}
	}
	for _, f := range sortedKeys(m.Noise.Accuracy) {
		if !slices.Contains(r.NoiseFamilies, f) {
			return fmt.Errorf("noise.accuracy has family %q, which is not in noise_families %v", f, r.NoiseFamilies)
		}
		acc := m.Noise.Accuracy[f]
		if len(acc) != len(r.NoiseSeverities) {
			return fmt.Errorf("noise.accuracy[%q] has %d values, want %d, one per severity", f, len(acc), len(r.NoiseSeverities))
		}
		for j, v := range acc {
			if err := fraction(fmt.Sprintf("noise.accuracy[%q][%d]", f, j), v); err != nil {
				return err
			}
		}
	}
	for _, f := range sortedKeys(m.Noise.Mean) {
		if !slices.Contains(r.NoiseFamilies, f) {
			return fmt.Errorf("noise.mean has family %q, which is not in noise_families %v", f, r.NoiseFamilies)
		}
		if err := fraction(fmt.Sprintf("noise.mean[%q]", f), m.Noise.Mean[f]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(m.Saliency) {
		s := m.Saliency[k]
		for _, f := range []struct {
			name string
			v    float64
		}{{"object_fraction", s.Object}, {"boundary_fraction", s.Boundary}, {"interior_fraction", s.Interior},
			{"pointing_game", s.Pointing}, {"object_area", s.ObjectArea}} {
			if err := fraction(fmt.Sprintf("saliency[%q].%s", k, f.name), f.v); err != nil {
				return err
			}
		}
		// The boundary band and the interior split the object, so their
		// shares add up to the object's (up to float32 rounding).
		if math.Abs(s.Boundary+s.Interior-s.Object) > 5e-3 {
			return fmt.Errorf("saliency[%q]: boundary_fraction %.4f + interior_fraction %.4f = %.4f, want object_fraction %.4f",
				k, s.Boundary, s.Interior, s.Boundary+s.Interior, s.Object)
		}
	}
	return nil
}

// checkAgreement checks that a is a square matrix over known models.
func checkAgreement(a study.Agreement, models map[string]int) error {
	if len(a.Matrix) != len(a.Models) {
		return fmt.Errorf("matrix has %d rows for %d models", len(a.Matrix), len(a.Models))
	}
	for i, row := range a.Matrix {
		if len(row) != len(a.Models) {
			return fmt.Errorf("matrix row %d has %d values for %d models", i, len(row), len(a.Models))
		}
		for j, v := range row {
			// NaN (null) is a pair whose correlation is undefined.
			if math.IsInf(v, 0) || v < -1-1e-9 || v > 1+1e-9 {
				return fmt.Errorf("matrix[%d][%d] = %v, want a rank correlation in [-1,1]", i, j, v)
			}
		}
	}
	for _, name := range a.Models {
		if _, ok := models[name]; !ok {
			return fmt.Errorf("model %q is not one of the study's models", name)
		}
	}
	return nil
}

// checkStudyPath accepts a relative, slash-separated path inside the study
// folder.
func checkStudyPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.Contains(p, `\`):
		return fmt.Errorf("path %q has a backslash; use / as the separator", p)
	case path.IsAbs(p) || filepath.IsAbs(p):
		return fmt.Errorf("path %q is absolute; want a path relative to the study folder", p)
	case !filepath.IsLocal(filepath.FromSlash(p)):
		return fmt.Errorf("path %q leaves the study folder", p)
	}
	return nil
}

// fraction checks that v is a fraction in [0,1].
func fraction(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
		return fmt.Errorf("%s = %v, want a fraction in [0,1]", name, v)
	}
	return nil
}

// measuredFraction checks that v is a fraction in [0,1] or NaN, a value
// that was not measured (null or absent in results.json).
func measuredFraction(name string, v float64) error {
	if math.IsNaN(v) {
		return nil
	}
	return fraction(name, v)
}

// sortedKeys are m's keys in order, so that everything drawn from a map
// comes out the same on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
