//go:build unix

package main

// The kill tests: robustlab's promise that a killed run loses nothing and
// resumes to the result it would have had, checked on the real command.
// The test binary re-executes itself as the robustlab command (TestMain),
// SIGKILLs it at moments drawn from a seeded generator (mid-epoch, mid-stage,
// inside an atomic write, at a random time), reruns the same command until
// it finishes, and compares what it wrote with an uninterrupted run's output.
// Unix only: SIGKILL and the exit status of a killed process are Unix's.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/train"
)

const (
	// asCLIEnv set to 1 makes this test binary the robustlab command.
	asCLIEnv = "ROBUSTLAB_TEST_AS_CLI"
	// killInWriteEnv "SUBSTR#N" makes that command SIGKILL itself inside
	// its N-th atomic write of a file whose path contains SUBSTR, after
	// cutting the temporary file to half its length (a kill part-way
	// through the data).
	killInWriteEnv = "ROBUSTLAB_TEST_KILL_IN_WRITE"
	// killMarker is what the command prints just before that kill.
	killMarker = "kill test: SIGKILL inside the write of "
	// logWritesEnv set to 1 makes the command print writeMarker and the
	// path at each atomic write.
	logWritesEnv = "ROBUSTLAB_TEST_LOG_WRITES"
	writeMarker  = "kill test: write "
)

var killSeed = flag.Uint64("kill-seed", 0, "seed of the kill tests' kill points (0: drawn from the clock, and reported)")

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		os.Args = append([]string{"robustlab"}, os.Args[1:]...)
		armWriteHook(os.Getenv(killInWriteEnv), os.Getenv(logWritesEnv) == "1")
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// armWriteHook sets atomicfile's hook for killInWriteEnv (spec, "" for
// none) and logWritesEnv.
func armWriteHook(spec string, logWrites bool) {
	if spec == "" && !logWrites {
		return
	}
	sub, n := "", 0
	if spec != "" {
		var nText string
		var err error
		sub, nText, _ = strings.Cut(spec, "#")
		if n, err = strconv.Atoi(nText); err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "kill test: bad %s=%q\n", killInWriteEnv, spec)
			os.Exit(2)
		}
	}
	var seen atomic.Int64
	atomicfile.BeforeRename = func(tmp, dest string) {
		if logWrites {
			fmt.Fprintln(os.Stderr, writeMarker+dest)
		}
		if n == 0 || !strings.Contains(filepath.ToSlash(dest), sub) || seen.Add(1) != int64(n) {
			return
		}
		if st, err := os.Stat(tmp); err == nil {
			os.Truncate(tmp, st.Size()/2)
		}
		fmt.Fprintln(os.Stderr, killMarker+dest)
		self, _ := os.FindProcess(os.Getpid())
		self.Kill()
		time.Sleep(time.Minute) // the signal is on its way
	}
}

// killRNG returns the kill tests' generator, reporting its seed.
func killRNG(t *testing.T) *rand.Rand {
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill seed %d (rerun with: go test ./cmd/robustlab -run '%s' -kill-seed %d)", seed, t.Name(), seed)
	return rand.New(rand.NewPCG(seed, 0x6b696c6c))
}

// cliProc is one robustlab command running as a subprocess.
type cliProc struct {
	cmd   *exec.Cmd
	lines chan string // its standard error, line by line, closed at the end
	mu    sync.Mutex
	log   strings.Builder
	eof   chan struct{}
	start time.Time
}

func startCLI(t *testing.T, env []string, args ...string) *cliProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), asCLIEnv+"=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &cliProc{cmd: cmd, lines: make(chan string, 1<<16), eof: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.start = time.Now()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default: // nobody is waiting for lines this far on
			}
		}
		io.Copy(io.Discard, stderr)
		close(p.lines)
		close(p.eof)
	}()
	return p
}

// waitFor reads lines until one satisfies ok; false if the command ended
// first.
func (p *cliProc) waitFor(ok func(string) bool) bool {
	for line := range p.lines {
		if ok(line) {
			return true
		}
	}
	return false
}

// kill sends SIGKILL.
func (p *cliProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Logf("kill: %v (the command had ended)", err)
	}
}

// wait waits for the end and tells whether a signal killed the command.
func (p *cliProc) wait() (killed bool, err error) {
	<-p.eof
	err = p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode() == -1, err
}

func (p *cliProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// runCLIToEnd runs a command uninterrupted and returns its wall time.
func runCLIToEnd(t *testing.T, args ...string) (time.Duration, string) {
	t.Helper()
	p := startCLI(t, nil, args...)
	if killed, err := p.wait(); killed || err != nil {
		t.Fatalf("robustlab %s: %v\n%s", strings.Join(args, " "), err, p.output())
	}
	return time.Since(p.start), p.output()
}

// expectKilled checks that the command died of a signal, not by itself.
func expectKilled(t *testing.T, p *cliProc, what string) {
	t.Helper()
	killed, err := p.wait()
	if !killed {
		t.Fatalf("%s: the command was not killed (it ended with %v, before the kill landed):\n%s", what, err, p.output())
	}
}

// tempFiles lists atomicfile's temporary files under dir: what kills
// inside a write leave behind.
func tempFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// checkpointEpochs is the number of epochs the checkpoint in a training
// folder holds (-1: no checkpoint).
func checkpointEpochs(t *testing.T, dir string) int {
	t.Helper()
	_, meta, err := modelio.LoadTensors(filepath.Join(dir, train.CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return -1
	}
	if err != nil {
		t.Fatalf("the checkpoint after a kill is unreadable: %v", err)
	}
	n, err := strconv.Atoi(meta["epochs"])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// timingKeys are the JSON fields that hold wall times or rates, which
// differ between two runs of the same computation.
var timingKeys = []string{"seconds", "images_per_s", "time", "created", "train_seconds"}

// dropTimings removes timingKeys from decoded JSON, at any depth.
func dropTimings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range timingKeys {
			delete(x, k)
		}
		for k, e := range x {
			x[k] = dropTimings(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropTimings(e)
		}
	}
	return v
}

// jsonWithoutTimings re-encodes a JSON text without timingKeys.
func jsonWithoutTimings(t *testing.T, name string, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, _ := json.Marshal(dropTimings(v))
	return string(out)
}

// sameSafetensors compares two safetensors files: every tensor bit for bit
// and every metadata entry, JSON entries apart from timingKeys (a model
// file records when it was written; a checkpoint the seconds each epoch
// took).
func sameSafetensors(t *testing.T, a, b string) {
	t.Helper()
	ta, ma, err := modelio.LoadTensors(a)
	if err != nil {
		t.Fatal(err)
	}
	tb, mb, err := modelio.LoadTensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sortedKeys(ta), sortedKeys(tb)) {
		t.Fatalf("%s and %s hold different tensors: %v / %v", a, b, sortedKeys(ta), sortedKeys(tb))
	}
	for name, x := range ta {
		y := tb[name]
		if !slices.Equal(x.Shape(), y.Shape()) {
			t.Fatalf("%s: tensor %s has shape %v, uninterrupted %v", b, name, y.Shape(), x.Shape())
		}
		for i, v := range x.Data() {
			if math.Float32bits(v) != math.Float32bits(y.Data()[i]) {
				t.Fatalf("%s: tensor %s element %d is %v, uninterrupted %v (%s)", b, name, i, y.Data()[i], v, a)
			}
		}
	}
	if !slices.Equal(sortedKeys(ma), sortedKeys(mb)) {
		t.Fatalf("%s and %s hold different metadata keys", a, b)
	}
	for k, va := range ma {
		vb := mb[k]
		if json.Valid([]byte(va)) && strings.ContainsAny(va[:1], "[{") {
			va, vb = jsonWithoutTimings(t, a, []byte(va)), jsonWithoutTimings(t, b, []byte(vb))
		}
		if va != vb {
			t.Fatalf("%s: metadata %q differs from the uninterrupted run's:\n%s\n%s", b, k, vb, va)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// sameJSONLines compares two JSON-lines files apart from timingKeys.
func sameJSONLines(t *testing.T, a, b string) {
	t.Helper()
	ba, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	la, lb := strings.Split(strings.TrimSpace(string(ba)), "\n"), strings.Split(strings.TrimSpace(string(bb)), "\n")
	if len(la) != len(lb) {
		t.Fatalf("%s has %d lines, the uninterrupted run's %d", b, len(lb), len(la))
	}
	for i := range la {
		if x, y := jsonWithoutTimings(t, a, []byte(la[i])), jsonWithoutTimings(t, b, []byte(lb[i])); x != y {
			t.Fatalf("%s line %d differs:\n%s\n%s", b, i+1, y, x)
		}
	}
}

func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	ba, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba, bb) {
		t.Fatalf("%s differs from the uninterrupted run's %s", b, a)
	}
}

// sameTrainOutput compares a training folder with an uninterrupted one's.
func sameTrainOutput(t *testing.T, whole, killed string) {
	t.Helper()
	sameSafetensors(t, filepath.Join(whole, train.ModelFile), filepath.Join(killed, train.ModelFile))
	sameSafetensors(t, filepath.Join(whole, train.CheckpointFile), filepath.Join(killed, train.CheckpointFile))
	sameJSONLines(t, filepath.Join(whole, train.MetricsFile), filepath.Join(killed, train.MetricsFile))
	sameBytes(t, filepath.Join(whole, train.ConfigFile), filepath.Join(killed, train.ConfigFile))
}

// epochSeconds is the median epoch time of a finished training folder.
func epochSeconds(t *testing.T, dir string) float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var s []float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m train.EpochMetrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		s = append(s, m.Seconds)
	}
	slices.Sort(s)
	return s[len(s)/2]
}

func sleepFraction(rng *rand.Rand, max float64) time.Duration {
	d := time.Duration(rng.Float64() * max * float64(time.Second))
	time.Sleep(d)
	return d
}

// TestKillTrain SIGKILLs `robustlab train` three times per regime (in an
// epoch, inside a file write, at a random time), reruns it each time, and
// compares the model file, the checkpoint (weights, optimizer state,
// generator state, history), metrics.jsonl and config.json with an
// uninterrupted run's: tensors bit for bit, everything else apart from
// timings.
func TestKillTrain(t *testing.T) {
	const epochs = 3
	for _, regime := range [][]string{
		{"--regime", "standard"},
		{"--regime", "pgd", "--eps", "8/255", "--alpha", "4/255", "--steps", "2"},
		{"--regime", "fgsm-rs", "--eps", "8/255", "--alpha", "10/255", "--check-overfit"},
	} {
		t.Run(regime[1], func(t *testing.T) {
			rng := killRNG(t)
			args := func(out string) []string {
				return append([]string{"train", "--data", "shapes:train?n=320&size=16", "--eval", "shapes:test?n=64&size=16",
					"--arch", "smallcnn", "--width", "8", "--epochs", strconv.Itoa(epochs), "--batch", "32", "--seed", "5",
					"--lr", "0.05", "--out", out}, regime...)
			}
			whole, killed := t.TempDir(), t.TempDir()
			total, _ := runCLIToEnd(t, args(whole)...)
			epochSec := epochSeconds(t, whole)

			// 1. In epoch e, a random fraction of its first third after its
			// first batch.
			e := 1 + rng.IntN(epochs)
			p := startCLI(t, nil, args(killed)...)
			first := fmt.Sprintf("train epoch %d/%d: ", e, epochs)
			if !p.waitFor(func(l string) bool { return strings.HasPrefix(l, first) }) {
				t.Fatalf("the command ended before epoch %d:\n%s", e, p.output())
			}
			d := sleepFraction(rng, epochSec/3)
			p.kill(t)
			expectKilled(t, p, "mid-epoch kill")
			if got := checkpointEpochs(t, killed); got != e-1 {
				t.Fatalf("killed %v into epoch %d, the checkpoint holds %d epochs, want %d (the kill came after the epoch)", d, e, got, e-1)
			}
			t.Logf("kill 1: in epoch %d/%d, %v after its first batch (an epoch takes %.2fs)", e, epochs, d, epochSec)

			// 2. Inside a write still ahead: a checkpoint or metrics.jsonl of
			// a later epoch, or the model file.
			// The resumed command writes a checkpoint after each epoch left,
			// metrics.jsonl after each too (and once on resuming, if the
			// checkpoint has a history), then the model.
			left := epochs - (e - 1)
			targets := []string{train.ModelFile + "#1"}
			for j := 1; j <= left; j++ {
				targets = append(targets, fmt.Sprintf("%s#%d", train.CheckpointFile, j))
			}
			for j := 1; j <= left+min(e-1, 1); j++ {
				targets = append(targets, fmt.Sprintf("%s#%d", train.MetricsFile, j))
			}
			target := targets[rng.IntN(len(targets))]
			ckBefore, _ := os.ReadFile(filepath.Join(killed, train.CheckpointFile))
			p = startCLI(t, []string{killInWriteEnv + "=" + target}, args(killed)...)
			expectKilled(t, p, "kill inside "+target)
			if !strings.Contains(p.output(), killMarker) {
				t.Fatalf("killed, but not inside the write of %s:\n%s", target, p.output())
			}
			// Killed inside its j-th checkpoint write, the command leaves the
			// checkpoint of its (j-1)-th, untouched by the partial file.
			if j, ok := strings.CutPrefix(target, train.CheckpointFile+"#"); ok {
				if j == "1" {
					if ckAfter, _ := os.ReadFile(filepath.Join(killed, train.CheckpointFile)); !bytes.Equal(ckBefore, ckAfter) {
						t.Fatalf("a kill inside the write of %s changed the checkpoint", target)
					}
				}
				jn, _ := strconv.Atoi(j)
				if got := checkpointEpochs(t, killed); got != e-1+jn-1 {
					t.Fatalf("killed inside the write of %s: the checkpoint holds %d epochs, want %d", target, got, e-1+jn-1)
				}
			}
			t.Logf("kill 2: inside write %s (the temporary file cut to half); left behind: %v; checkpoint holds %d epochs",
				target, tempFiles(t, killed), checkpointEpochs(t, killed))

			// 3. At a random time within what is left of the run, estimated
			// from the uninterrupted one: its start-up and the epochs left.
			done := max(checkpointEpochs(t, killed), 0)
			startup := max(total.Seconds()-float64(epochs)*epochSec, 0.1)
			p = startCLI(t, nil, args(killed)...)
			at := time.Duration(rng.Float64() * (startup + float64(epochs-done)*epochSec) * float64(time.Second))
			timer := time.AfterFunc(at, func() { p.cmd.Process.Kill() })
			wasKilled, err := p.wait()
			timer.Stop()
			switch {
			case wasKilled:
				t.Logf("kill 3: %v after the start; checkpoint holds %d epochs", at, checkpointEpochs(t, killed))
			case err != nil:
				t.Fatalf("resumed run failed: %v\n%s", err, p.output())
			default:
				t.Logf("kill 3: none: the command finished before %v", at)
			}

			_, out := runCLIToEnd(t, args(killed)...)
			sameTrainOutput(t, whole, killed)
			t.Logf("final run: %q; model, checkpoint, metrics and config equal the uninterrupted run's", firstLine(out, "train: "))
		})
	}
}

// TestKillTrainInEveryWrite SIGKILLs `robustlab train` inside each of
// the atomic writes an uninterrupted run makes (config.json, the epoch-0
// checkpoint, each epoch's checkpoint and metrics.jsonl, the model file),
// each in a fresh folder, reruns it, and compares the output with the
// uninterrupted run's as TestKillTrain does. (Killed inside the last
// epoch's metrics.jsonl, robustlab used to leave that file an epoch short
// forever.)
func TestKillTrainInEveryWrite(t *testing.T) {
	args := func(out string) []string {
		return []string{"train", "--data", "shapes:train?n=192&size=16", "--arch", "smallcnn", "--width", "4",
			"--epochs", "2", "--batch", "32", "--seed", "9", "--out", out}
	}
	whole := t.TempDir()
	p := startCLI(t, []string{logWritesEnv + "=1"}, args(whole)...)
	if killed, err := p.wait(); killed || err != nil {
		t.Fatalf("%v\n%s", err, p.output())
	}
	var writes []string
	for _, l := range strings.Split(p.output(), "\n") {
		if dest, ok := strings.CutPrefix(l, writeMarker); ok {
			rel, _ := filepath.Rel(whole, dest)
			writes = append(writes, rel)
		}
	}
	if len(writes) != 7 {
		t.Fatalf("an uninterrupted run of 2 epochs made %d writes, want 7 (config, 3 checkpoints, 2 metrics, model): %v", len(writes), writes)
	}
	for i, w := range writes {
		killed := t.TempDir()
		p := startCLI(t, []string{fmt.Sprintf("%s=#%d", killInWriteEnv, i+1)}, args(killed)...)
		expectKilled(t, p, "kill inside "+w)
		if !strings.Contains(p.output(), killMarker+filepath.Join(killed, w)) {
			t.Fatalf("write %d: killed, but not inside the write of %s:\n%s", i+1, w, p.output())
		}
		runCLIToEnd(t, args(killed)...)
		sameTrainOutput(t, whole, killed)
	}
	t.Logf("killed inside each of the %d writes %v, then resumed: every output equals the uninterrupted run's", len(writes), writes)
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// killStudySpec is a study of two tiny models (standard and FGSM-RS with
// the overfitting check) and every evaluation, in about two seconds.
const killStudySpec = `name: kill
seed: 3
image_size: 16
width: 4
train:
    "n": 192
    epochs: 2
    batch: 32
models:
    - name: standard
      regime:
        name: standard
    - name: adversarial
      regime:
        name: fgsm-rs
        eps: 8/255
        alpha: 10/255
        check_overfit: true
eval:
    test_n: 64
    shape_bias_n: 60
    robust:
        eps: ["0", 4/255]
        pgd_steps: 2
        "n": 32
    noise:
        families: [uniform]
        severities: [1, 5]
        "n": 32
    saliency:
        methods: [gradient]
        grid_images: 4
        "n": 16
        smoothgrad_samples: 2
`

var stageLine = regexp.MustCompile(`^study: \[(\d+)/(\d+)\] `)

// stageFiles counts the finished stage files of a study folder.
func stageFiles(dir string) int {
	n := 0
	filepath.WalkDir(filepath.Join(dir, "stages"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".json") && !strings.HasPrefix(d.Name(), ".") {
			n++
		}
		return nil
	})
	return n
}

// TestKillStudy SIGKILLs `robustlab study --spec` four times (in a
// training stage's epoch, at the start of a measurement stage, inside a
// file write, at a random time), reruns it each time, and compares
// results.json (byte for byte, apart from the lines of its timings), every
// figure (byte for byte) and every model file (tensors bit for bit) with an
// uninterrupted run's.
func TestKillStudy(t *testing.T) {
	rng := killRNG(t)
	dir := t.TempDir()
	spec := filepath.Join(dir, "kill.yaml")
	if err := os.WriteFile(spec, []byte(killStudySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	models := []string{"standard", "adversarial"}
	whole, killed := filepath.Join(dir, "whole"), filepath.Join(dir, "killed")
	args := func(out string) []string { return []string{"study", "--spec", spec, "--out", out} }
	total, log := runCLIToEnd(t, args(whole)...)
	m := stageLine.FindStringSubmatch(firstLine(log, "study: ["))
	if m == nil {
		t.Fatalf("no stage line in:\n%s", log)
	}
	stages, _ := strconv.Atoi(m[2])

	// 1. In a training stage: model s, epoch e, a little after its first
	// batch.
	s, e := rng.IntN(len(models)), 1+rng.IntN(2)
	p := startCLI(t, nil, args(killed)...)
	for i := 0; i <= s; i++ {
		if !p.waitFor(func(l string) bool { return stageLine.MatchString(l) && strings.Contains(l, "] train ") }) {
			t.Fatalf("no training stage %d:\n%s", i+1, p.output())
		}
	}
	first := fmt.Sprintf("train epoch %d/2: ", e)
	if !p.waitFor(func(l string) bool { return strings.HasPrefix(l, first) }) {
		t.Fatalf("no epoch %d:\n%s", e, p.output())
	}
	d := sleepFraction(rng, 0.02)
	p.kill(t)
	expectKilled(t, p, "kill in a training stage")
	if got := checkpointEpochs(t, filepath.Join(killed, "models", models[s])); got != e-1 {
		t.Fatalf("killed %v into epoch %d of %s, its checkpoint holds %d epochs, want %d", d, e, models[s], got, e-1)
	}
	t.Logf("kill 1: training %s, epoch %d/2, %v after its first batch", models[s], e, d)

	// 2. At the start of measurement stage k (those after the trainings).
	k := len(models) + 1 + rng.IntN(stages-len(models))
	p = startCLI(t, nil, args(killed)...)
	want := fmt.Sprintf("study: [%d/%d] ", k, stages)
	var name string
	if !p.waitFor(func(l string) bool { name = l; return strings.HasPrefix(l, want) }) {
		t.Fatalf("no stage %d:\n%s", k, p.output())
	}
	p.kill(t)
	expectKilled(t, p, "kill in a stage")
	if got := stageFiles(killed); got != k-1 {
		t.Fatalf("killed at %q: %d stage files on disk, want %d (the kill came after the stage)", name, got, k-1)
	}
	t.Logf("kill 2: in stage %q", name)

	// 3. Inside a write still ahead: a stage file, results.json or the
	// report.
	targets := []string{"results.json#1", "report.html#1"}
	for j := 1; j <= stages-(k-1); j++ {
		targets = append(targets, fmt.Sprintf("/stages/#%d", j))
	}
	target := targets[rng.IntN(len(targets))]
	p = startCLI(t, []string{killInWriteEnv + "=" + target}, args(killed)...)
	expectKilled(t, p, "kill inside "+target)
	var where string
	for _, l := range strings.Split(p.output(), "\n") {
		if rest, ok := strings.CutPrefix(l, killMarker); ok {
			where = rest
		}
	}
	if where == "" {
		t.Fatalf("killed, but not inside the write of %s:\n%s", target, p.output())
	}
	t.Logf("kill 3: inside the write of %s (%s, the temporary file cut to half); left behind: %v", where, target, tempFiles(t, killed))

	// 4. At a random time within what is left, estimated as the
	// uninterrupted run's time times the fraction of stages left (at least
	// a tenth, for the start-up and the report).
	left := max(float64(stages-stageFiles(killed))/float64(stages), 0.1)
	p = startCLI(t, nil, args(killed)...)
	at := time.Duration(rng.Float64() * left * float64(total))
	timer := time.AfterFunc(at, func() { p.cmd.Process.Kill() })
	wasKilled, err := p.wait()
	timer.Stop()
	switch {
	case wasKilled:
		t.Logf("kill 4: %v after the start, %d of %d stage files on disk", at, stageFiles(killed), stages)
	case err != nil:
		t.Fatalf("resumed study failed: %v\n%s", err, p.output())
	default:
		t.Logf("kill 4: none: the study finished before %v", at)
	}

	runCLIToEnd(t, args(killed)...)
	sameStudyOutput(t, whole, killed, models)
}

// timingLine matches the lines of results.json that hold wall times.
var timingLine = regexp.MustCompile(`(?m)^\s*"(created|seconds|train_seconds)": .*$`)

// sameStudyOutput compares a study folder with an uninterrupted one's.
func sameStudyOutput(t *testing.T, whole, killed string, models []string) {
	t.Helper()
	ra, err := os.ReadFile(filepath.Join(whole, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile(filepath.Join(killed, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(timingLine.FindAll(ra, -1)); n != 2+len(models) {
		t.Fatalf("results.json has %d timing lines, want %d (created, seconds, one train_seconds per model)", n, 2+len(models))
	}
	ca, cb := timingLine.ReplaceAll(ra, nil), timingLine.ReplaceAll(rb, nil)
	if !bytes.Equal(ca, cb) {
		t.Fatalf("results.json differs from the uninterrupted run's apart from timings:\n%s\n%s", cb, ca)
	}
	figs, _ := filepath.Glob(filepath.Join(whole, "figures", "*.png"))
	if len(figs) == 0 {
		t.Fatal("the study drew no figures")
	}
	for _, f := range figs {
		sameBytes(t, f, filepath.Join(killed, "figures", filepath.Base(f)))
	}
	for _, m := range models {
		sameTrainOutput(t, filepath.Join(whole, "models", m), filepath.Join(killed, "models", m))
	}
}
