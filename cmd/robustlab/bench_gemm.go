package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/internal/benchpeer"
	"github.com/robustlab/robustlab/internal/kernels"
)

// defaultGemmShapes are the squares and the GEMMs of CIFAR ResNet-20's 3x3
// convolutions over a batch of 128 (N = 128*OH*OW): forward W x col,
// backward-data W^T x dY (TN) and backward-weight dY x col^T (NT).
var defaultGemmShapes = []string{
	"256,256,256", "512,512,512", "1024,1024,1024", "2048,2048,2048",
	"16,131072,27", "16,131072,144", "32,32768,144", "32,32768,288", "64,8192,288", "64,8192,576",
	"144,131072,16,TN", "288,32768,32,TN", "576,8192,64,TN",
	"16,144,131072,NT", "32,288,32768,NT", "64,576,8192,NT",
}

// maxGemmFloats bounds the memory one benchmarked shape may take (A, B and
// C together, 4 GiB), so a typo in a size is an error, not an OOM kill.
const maxGemmFloats = 1 << 30

var benchGemmFlags struct {
	threads int
	peer    bool
	rounds  int
	python  string
	script  string
}

var benchGemmCmd = &cobra.Command{
	Use:   "gemm [M,N,K[,AB] ...]",
	Short: "Time robustlab's SGEMM, alone or alternating with OpenBLAS",
	Long: `Time C = A x B in float32 for each shape M,N,K (A is M x K, B is K x N),
optionally followed by AB, the storage of A and B: NN (default), TN (A stored
transposed) or NT (B stored transposed), TT. Without shapes it runs the squares
256..2048 and the convolution GEMMs of CIFAR ResNet-20 at batch 128.

Each timing is one warm-up product, then the best of 5 timings of enough
repeated products to take about 0.2 s. Without --peer it prints one JSON
line per shape: {"m":..,"n":..,"k":..,"gflops":..}.

With --peer it alternates robustlab and OpenBLAS (bench/openblas_sgemm.py,
numpy's float32 matmul, measured the same way) for --rounds rounds, and prints
per shape the medians, the min-max ranges and the ratio of medians, as a JSON
line on stdout and a table on stderr. OPENBLAS_NUM_THREADS is set to --threads.`,
	Example: `  robustlab bench gemm --threads 1
  robustlab bench gemm --peer --rounds 5 1024,1024,1024 144,131072,16,TN`,
	RunE: runBenchGemm,
}

func init() {
	f := benchGemmCmd.Flags()
	f.IntVar(&benchGemmFlags.threads, "threads", runtime.NumCPU(), "worker threads, for robustlab and for OpenBLAS")
	f.BoolVar(&benchGemmFlags.peer, "peer", false, "alternate with OpenBLAS through numpy and compare")
	f.IntVar(&benchGemmFlags.rounds, "rounds", 5, "alternating rounds with --peer")
	f.StringVar(&benchGemmFlags.python, "python", defaultPython(), "Python interpreter with numpy, for --peer")
	f.StringVar(&benchGemmFlags.script, "peer-script", "bench/openblas_sgemm.py", "the OpenBLAS timing script, for --peer")
	benchCmd.AddCommand(benchGemmCmd)
}

// defaultPython prefers the system interpreter, whose numpy links the
// system OpenBLAS, over whatever python3 comes first in PATH.
func defaultPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// gemmShape is one benchmarked product.
type gemmShape struct {
	m, n, k        int
	transA, transB bool
}

func (s gemmShape) String() string { return fmt.Sprintf("%d,%d,%d,%s", s.m, s.n, s.k, s.storage()) }

// storage is NN, TN, NT or TT: whether A and B are stored transposed.
func (s gemmShape) storage() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return t(s.transA) + t(s.transB)
}

// parseGemmShape reads M,N,K or M,N,K,AB.
func parseGemmShape(text string) (gemmShape, error) {
	parts := strings.Split(text, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return gemmShape{}, fmt.Errorf("shape %q: want M,N,K or M,N,K,AB", text)
	}
	var dims [3]int
	for i, p := range parts[:3] {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return gemmShape{}, fmt.Errorf("shape %q: %q is not a positive integer", text, p)
		}
		dims[i] = v
	}
	s := gemmShape{m: dims[0], n: dims[1], k: dims[2]}
	if len(parts) == 4 {
		switch strings.ToUpper(strings.TrimSpace(parts[3])) {
		case "NN":
		case "TN":
			s.transA = true
		case "NT":
			s.transB = true
		case "TT":
			s.transA, s.transB = true, true
		default:
			return gemmShape{}, fmt.Errorf("shape %q: storage %q is not one of NN, TN, NT, TT", text, parts[3])
		}
	}
	if f := float64(s.m)*float64(s.k) + float64(s.k)*float64(s.n) + float64(s.m)*float64(s.n); f > maxGemmFloats {
		return gemmShape{}, fmt.Errorf("shape %q: A, B and C would take %.1f GiB, more than the %d GiB allowed", text, f*4/(1<<30), maxGemmFloats*4/(1<<30))
	}
	return s, nil
}

func runBenchGemm(cmd *cobra.Command, args []string) error {
	fl := benchGemmFlags
	if fl.threads < 1 {
		return fmt.Errorf("--threads %d: want at least 1", fl.threads)
	}
	if fl.rounds < 1 {
		return fmt.Errorf("--rounds %d: want at least 1", fl.rounds)
	}
	if len(args) == 0 {
		args = defaultGemmShapes
	}
	shapes := make([]gemmShape, len(args))
	for i, a := range args {
		s, err := parseGemmShape(a)
		if err != nil {
			return err
		}
		shapes[i] = s
	}
	old := kernels.SetThreads(fl.threads)
	defer kernels.SetThreads(old)
	out := cmd.OutOrStdout()
	if !fl.peer {
		for _, s := range shapes {
			line := struct {
				M      int     `json:"m"`
				N      int     `json:"n"`
				K      int     `json:"k"`
				GFLOPS float64 `json:"gflops"`
			}{s.m, s.n, s.k, round2(timeSgemm(s))}
			if err := writeJSONLine(out, line); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := os.Stat(fl.script); err != nil {
		return fmt.Errorf("--peer-script %s: %w (run from the repository root or pass its path)", fl.script, err)
	}
	ours := make([][]float64, len(shapes))
	theirs := make([][]float64, len(shapes))
	for r := 0; r < fl.rounds; r++ {
		fmt.Fprintf(cmd.ErrOrStderr(), "round %d/%d: robustlab\n", r+1, fl.rounds)
		for i, s := range shapes {
			ours[i] = append(ours[i], timeSgemm(s))
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "round %d/%d: OpenBLAS\n", r+1, fl.rounds)
		peer, err := timePeer(fl.python, fl.script, fl.threads, shapes, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		for i := range shapes {
			theirs[i] = append(theirs[i], peer[i])
		}
	}
	table := tabwriter.NewWriter(cmd.ErrOrStderr(), 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(table, "M,N,K,AB\trobustlab GFLOPS\tmin-max\tOpenBLAS GFLOPS\tmin-max\tratio\t\n")
	for i, s := range shapes {
		om, omin, omax := medianMinMax(ours[i])
		tm, tmin, tmax := medianMinMax(theirs[i])
		line := struct {
			M          int     `json:"m"`
			N          int     `json:"n"`
			K          int     `json:"k"`
			GFLOPS     float64 `json:"gflops"`
			Min        float64 `json:"gflops_min"`
			Max        float64 `json:"gflops_max"`
			Peer       string  `json:"peer"`
			PeerGFLOPS float64 `json:"peer_gflops"`
			PeerMin    float64 `json:"peer_gflops_min"`
			PeerMax    float64 `json:"peer_gflops_max"`
			Ratio      float64 `json:"ratio"`
			Threads    int     `json:"threads"`
			Rounds     int     `json:"rounds"`
			Storage    string  `json:"ab"`
		}{s.m, s.n, s.k, round2(om), round2(omin), round2(omax), "openblas", round2(tm), round2(tmin), round2(tmax),
			math.Round(om/tm*1000) / 1000, fl.threads, fl.rounds, s.storage()}
		if err := writeJSONLine(out, line); err != nil {
			return err
		}
		fmt.Fprintf(table, "%s\t%.1f\t%.1f-%.1f\t%.1f\t%.1f-%.1f\t%.3f\t\n", s, om, omin, omax, tm, tmin, tmax, om/tm)
	}
	return table.Flush()
}

// timeSgemm measures one shape on random operands: a warm-up product, then
// the best of 5 timings of enough products to take about 0.2 s.
func timeSgemm(s gemmShape) float64 {
	rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.n)<<20|uint64(s.k)))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b, c := fill(s.m*s.k), fill(s.k*s.n), make([]float32, s.m*s.n)
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	run := func() { kernels.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }
	start := time.Now()
	run()
	once := max(time.Since(start).Seconds(), 1e-7)
	reps := max(1, int(0.2/once))
	best := math.Inf(1)
	for i := 0; i < 5; i++ {
		start := time.Now()
		for r := 0; r < reps; r++ {
			run()
		}
		best = min(best, time.Since(start).Seconds()/float64(reps))
	}
	return 2 * float64(s.m) * float64(s.n) * float64(s.k) / best / 1e9
}

// timePeer runs the OpenBLAS script once over all shapes and returns its
// GFLOPS in shape order.
func timePeer(python, script string, threads int, shapes []gemmShape, stderr io.Writer) ([]float64, error) {
	args := []string{script, "--threads", strconv.Itoa(threads)}
	for _, s := range shapes {
		args = append(args, s.String())
	}
	cmd := exec.Command(python, args...)
	cmd.Env = append(append(os.Environ(), benchpeer.PeerISAEnv()...), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads))
	cmd.Stderr = stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("peer %s %s: %w", python, script, err)
	}
	var res []float64
	sc := bufio.NewScanner(bytes.NewReader(outb))
	for sc.Scan() {
		var line struct {
			M, N, K int
			GFLOPS  float64 `json:"gflops"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("peer %s: line %q: %w", script, sc.Text(), err)
		}
		if i := len(res); i >= len(shapes) || line.M != shapes[i].m || line.N != shapes[i].n || line.K != shapes[i].k {
			return nil, fmt.Errorf("peer %s: line %q does not match the shape asked for", script, sc.Text())
		}
		res = append(res, line.GFLOPS)
	}
	if len(res) != len(shapes) {
		return nil, fmt.Errorf("peer %s: %d results for %d shapes", script, len(res), len(shapes))
	}
	return res, nil
}

func medianMinMax(x []float64) (med, lo, hi float64) {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
