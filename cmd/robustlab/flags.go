package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/robustlab/robustlab/internal/fraction"
	"github.com/robustlab/robustlab/internal/kernels"
)

// parseFrac reads a decimal or a fraction such as 8/255.
func parseFrac(s string) (float64, error) { return fraction.Parse(s) }

// parseFracList reads a comma-separated list of parseFrac numbers.
func parseFracList(s string) ([]float64, error) { return fraction.ParseList(s) }

// parseIntList reads a comma-separated list of integers.
func parseIntList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseFloatList reads a comma-separated list of decimals.
func parseFloatList(s string) ([]float32, error) {
	var out []float32
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// setThreads applies --threads: 0 leaves every core in use, a positive
// number sets the compute threads, and a negative one is refused.
func setThreads(n int) error {
	if n < 0 {
		return fmt.Errorf("--threads %d: want 0 (all cores) or a positive number of threads", n)
	}
	if n > 0 {
		kernels.SetThreads(n)
	}
	return nil
}
