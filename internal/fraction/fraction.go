// Package fraction reads numbers the way robustness papers write attack
// budgets and step sizes: decimals ("0.03") or fractions ("8/255").
package fraction

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads a decimal or a fraction a/b.
func Parse(s string) (float64, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a number or a fraction such as 8/255", s)
	if num, den, ok := strings.Cut(t, "/"); ok {
		a, err1 := strconv.ParseFloat(strings.TrimSpace(num), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(den), 64)
		if err1 != nil || err2 != nil || b == 0 {
			return 0, bad
		}
		return a / b, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, bad
	}
	return v, nil
}

// ParseList reads a comma-separated list of Parse numbers; empty items are
// skipped.
func ParseList(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := Parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
