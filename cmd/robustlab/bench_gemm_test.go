package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/internal/kernels"
)

func TestParseGemmShape(t *testing.T) {
	good := map[string]gemmShape{
		"3,4,5":       {m: 3, n: 4, k: 5},
		"3,4,5,tn":    {m: 3, n: 4, k: 5, transA: true},
		" 3, 4,5,NT ": {m: 3, n: 4, k: 5, transB: true},
	}
	for in, want := range good {
		if got, err := parseGemmShape(strings.TrimSpace(in)); err != nil || got != want {
			t.Errorf("parseGemmShape(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"3,4":           "want M,N,K",
		"3,x,5":         `"x" is not a positive integer`,
		"3,0,5":         `"0" is not a positive integer`,
		"3,4,5,XY":      `storage "XY"`,
		"99999,99999,9": "GiB",
	}
	for in, want := range bad {
		if _, err := parseGemmShape(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseGemmShape(%q): error %v, want one containing %q", in, err, want)
		}
	}
}

// runBench runs robustlab bench gemm with args and returns stdout.
func runBench(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"bench", "gemm"}, args...))
	saved := benchGemmFlags
	defer func() {
		root.SetArgs(nil)
		benchGemmFlags = saved
	}()
	if err := root.Execute(); err != nil {
		t.Fatalf("bench gemm %v: %v (stderr %s)", args, err, errb.String())
	}
	return out.String()
}

func jsonKeys(t *testing.T, line string) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestBenchGemmJSON checks the exact fields of the plain output.
func TestBenchGemmJSON(t *testing.T) {
	out := runBench(t, "--threads", "1", "8,9,10", "5,6,7,TT")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %q", len(lines), out)
	}
	for _, l := range lines {
		if keys := jsonKeys(t, l); !reflect.DeepEqual(keys, []string{"gflops", "k", "m", "n"}) {
			t.Errorf("line %q has keys %v", l, keys)
		}
	}
}

// TestBenchGemmPeer runs --peer against a stand-in for the OpenBLAS script
// that reports 1 GFLOPS for every shape, and checks the comparison fields.
func TestBenchGemmPeer(t *testing.T) {
	dir := t.TempDir()
	stub := filepath.Join(dir, "peer.sh")
	script := `shift 2
for s in "$@"; do
  IFS=, read -r m n k ab <<< "$s"
  echo "{\"m\": $m, \"n\": $n, \"k\": $k, \"gflops\": 1.0, \"peer\": \"openblas\"}"
done
`
	if err := os.WriteFile(stub, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runBench(t, "--peer", "--rounds", "2", "--threads", "1", "--python", "/bin/bash", "--peer-script", stub, "8,9,10,NT")
	var res struct {
		M, N, K         int
		GFLOPS          float64 `json:"gflops"`
		PeerGFLOPS      float64 `json:"peer_gflops"`
		PeerMin         float64 `json:"peer_gflops_min"`
		PeerMax         float64 `json:"peer_gflops_max"`
		Ratio           float64
		Min             float64 `json:"gflops_min"`
		Max             float64 `json:"gflops_max"`
		Peer            string
		AB              string `json:"ab"`
		Rounds, Threads int
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if res.M != 8 || res.N != 9 || res.K != 10 || res.AB != "NT" || res.PeerGFLOPS != 1 || res.PeerMin != 1 || res.PeerMax != 1 || res.Rounds != 2 || res.Threads != 1 || res.Peer != "openblas" {
		t.Errorf("unexpected result %+v", res)
	}
	if res.GFLOPS <= 0 || res.Min > res.GFLOPS || res.GFLOPS > res.Max || !(math.Abs(res.Ratio-res.GFLOPS) <= 0.01) {
		t.Errorf("inconsistent robustlab figures %+v", res)
	}
}

// TestBenchISA checks that bench --isa selects the kernels' instruction set
// and refuses one that is unknown or that the CPU lacks.
func TestBenchISA(t *testing.T) {
	saved := kernels.ISA()
	defer func() {
		benchISA = ""
		if err := kernels.SetISA(saved); err != nil {
			t.Fatal(err)
		}
	}()
	runBench(t, "--isa", kernels.ISAGeneric, "--threads", "1", "8,8,8")
	if kernels.ISA() != kernels.ISAGeneric {
		t.Errorf("after --isa generic, kernels.ISA() = %q", kernels.ISA())
	}
	for _, bad := range []string{"bogus", "neon"} {
		if bad == "neon" && slices.Contains(kernels.SupportedISAs(), bad) {
			continue
		}
		root.SetArgs([]string{"bench", "gemm", "--isa", bad, "8,8,8"})
		err := root.Execute()
		root.SetArgs(nil)
		if err == nil || !strings.Contains(err.Error(), "--isa") || !strings.Contains(err.Error(), bad) {
			t.Errorf("bench gemm --isa %s: error %v, want one naming the flag and the value", bad, err)
		}
	}
}
