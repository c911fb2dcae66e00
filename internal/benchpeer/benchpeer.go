// Package benchpeer measures robustlab against a peer (PyTorch, OpenBLAS
// through numpy) the only way that means anything on a shared, noisy
// machine: both sides alternate in one run (A B A B ...), and the medians
// of each side, their min-max, and the ratio of medians are reported.
package benchpeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/robustlab/robustlab/internal/kernels"
)

// Python returns the interpreter that has the peers' packages: Debian's
// /usr/bin/python3 (numpy, torch) rather than whatever python3 comes first
// in PATH.
func Python() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// PeerISAEnv returns the environment that restricts the peers to the
// instruction set robustlab's kernels use (kernels.ISA), so that both sides
// of a comparison run the same one: oneDNN (PyTorch's convolutions) honours
// ONEDNN_MAX_CPU_ISA (DNNL_MAX_CPU_ISA in older builds) and OpenBLAS
// OPENBLAS_CORETYPE. Nothing is restricted on the widest set this CPU runs.
func PeerISAEnv() []string {
	if kernels.ISA() == kernels.SupportedISAs()[0] {
		return nil
	}
	switch kernels.ISA() {
	case kernels.ISAAVX2:
		return []string{"ONEDNN_MAX_CPU_ISA=AVX2", "DNNL_MAX_CPU_ISA=AVX2", "OPENBLAS_CORETYPE=Haswell"}
	case kernels.ISAGeneric:
		return []string{"ONEDNN_MAX_CPU_ISA=SSE41", "DNNL_MAX_CPU_ISA=SSE41", "OPENBLAS_CORETYPE=Nehalem"}
	}
	return nil
}

// RunScript runs python on script with args and returns the numeric fields
// of every JSON object line it prints on standard output, in order. The
// peer is restricted to robustlab's instruction set (PeerISAEnv); env adds
// to the environment. Standard error is passed to stderr (nil: discarded).
func RunScript(ctx context.Context, python, script string, args []string, env []string, stderr io.Writer) ([]map[string]float64, error) {
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	cmd.Env = append(append(os.Environ(), PeerISAEnv()...), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("peer %s %s: %w (is it installed? see bench/README.md)", python, script, err)
	}
	var rows []map[string]float64
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, fmt.Errorf("peer %s printed a bad JSON line %q: %v", script, line, err)
		}
		row := map[string]float64{}
		for k, v := range raw {
			if f, ok := v.(float64); ok {
				row[k] = f
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("peer %s printed no JSON lines", script)
	}
	return rows, nil
}

// Series is repeated measurements of one figure.
type Series []float64

// Median returns the median (the mean of the middle two for an even count).
func (s Series) Median() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	c := append(Series(nil), s...)
	sort.Float64s(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// Min returns the smallest measurement.
func (s Series) Min() float64 {
	m := math.Inf(1)
	for _, v := range s {
		m = math.Min(m, v)
	}
	return m
}

// Max returns the largest measurement.
func (s Series) Max() float64 {
	m := math.Inf(-1)
	for _, v := range s {
		m = math.Max(m, v)
	}
	return m
}

// Comparison is one figure measured on both sides.
type Comparison struct {
	Figure       string  `json:"figure"`
	Ours         float64 `json:"robustlab_median"`
	OursMin      float64 `json:"robustlab_min"`
	OursMax      float64 `json:"robustlab_max"`
	Peer         float64 `json:"peer_median"`
	PeerMin      float64 `json:"peer_min"`
	PeerMax      float64 `json:"peer_max"`
	Ratio        float64 `json:"ratio"`
	Rounds       int     `json:"rounds"`
	HigherBetter bool    `json:"higher_is_better"`
}

// Alternate runs ours then peer, rounds times, each returning figures by
// name, and compares every figure both sides report. A figure is better
// higher (a rate) unless its name ends in "_mb" or "_seconds";
// the ratio is ours/peer for rates and peer/ours otherwise, so that a
// ratio above 1 always means robustlab wins.
func Alternate(rounds int, ours, peer func() (map[string]float64, error)) ([]Comparison, error) {
	a, b := map[string]Series{}, map[string]Series{}
	for r := 0; r < rounds; r++ {
		for _, side := range []struct {
			f   func() (map[string]float64, error)
			acc map[string]Series
		}{{ours, a}, {peer, b}} {
			m, err := side.f()
			if err != nil {
				return nil, err
			}
			for k, v := range m {
				side.acc[k] = append(side.acc[k], v)
			}
		}
	}
	var names []string
	for k := range a {
		if _, ok := b[k]; ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]Comparison, 0, len(names))
	for _, k := range names {
		higher := !strings.HasSuffix(k, "_mb") && !strings.HasSuffix(k, "_seconds")
		c := Comparison{Figure: k, Ours: a[k].Median(), OursMin: a[k].Min(), OursMax: a[k].Max(),
			Peer: b[k].Median(), PeerMin: b[k].Min(), PeerMax: b[k].Max(), Rounds: rounds, HigherBetter: higher}
		if higher {
			c.Ratio = c.Ours / c.Peer
		} else {
			c.Ratio = c.Peer / c.Ours
		}
		out = append(out, c)
	}
	return out, nil
}

// Table writes comparisons as a readable table.
func Table(w io.Writer, peerName string, cs []Comparison) {
	fmt.Fprintf(w, "%-22s %22s %22s %7s\n", "figure", "robustlab med [min-max]", peerName+" med [min-max]", "ratio")
	for _, c := range cs {
		fmt.Fprintf(w, "%-22s %8.1f [%5.0f-%5.0f] %8.1f [%5.0f-%5.0f] %6.2fx\n",
			c.Figure, c.Ours, c.OursMin, c.OursMax, c.Peer, c.PeerMin, c.PeerMax, c.Ratio)
	}
}
