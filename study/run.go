package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/internal/version"
	"github.com/robustlab/robustlab/train"
)

// Files and folders of a study's output directory.
const (
	SpecFile    = "spec.yaml"
	ResultsFile = "results.json"
	ModelsDir   = "models"
	StagesDir   = "stages"
	FiguresDir  = "figures"
)

// Options are how a study reports; they do not change its results.
type Options struct {
	// Out is the study's folder (created if missing).
	Out string
	// Log receives progress (nil: standard error).
	Log io.Writer
	// Preset names the preset the spec came from, for the record.
	Preset string
	// StopAfterStages, if positive, returns after that many stages have
	// run in this call, as if killed (tests of resumption use it).
	StopAfterStages int
	// StopAfterEpochs, if positive, interrupts the first training stage
	// that runs after that many epochs, as if killed.
	StopAfterEpochs int
}

// ErrStopped is returned by Run when Options.StopAfterStages or
// StopAfterEpochs interrupted it.
var ErrStopped = errors.New("study: stopped before the end (as asked)")

// stage is one resumable step: its result is written to file when it
// finishes, and a stage whose file exists is not run again.
type stage struct {
	name string
	file string  // relative to the study folder
	cost float64 // estimated cost, in forward passes of one image
	run  func(ctx context.Context) (any, error)
}

// stageRecord is what a stage file holds.
type stageRecord struct {
	Stage   string          `json:"stage"`
	Seconds float64         `json:"seconds"`
	Result  json.RawMessage `json:"result"`
}

// runner carries a study's state through its stages.
type runner struct {
	spec  Spec
	opt   Options
	log   io.Writer
	out   string
	eps   []float64
	stopE int
}

// Run runs (or resumes) the study in opt.Out and returns its results, also
// written to results.json. The report is drawn from them by package report.
func Run(ctx context.Context, spec Spec, opt Options) (*Results, error) {
	if err := spec.Check(); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	log := opt.Log
	if log == nil {
		log = os.Stderr
	}
	r := &runner{spec: spec, opt: opt, log: log, out: opt.Out, stopE: opt.StopAfterEpochs}
	r.eps, _ = spec.EpsValues()
	if err := os.MkdirAll(filepath.Join(r.out, StagesDir), 0o755); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if err := r.claim(); err != nil {
		return nil, err
	}
	stages := r.stages()
	var total float64
	for _, s := range stages {
		total += s.cost
	}
	start := time.Now()
	var doneCost, ranCost float64
	ran := 0
	for i, s := range stages {
		path := filepath.Join(r.out, s.file)
		if _, err := os.Stat(path); err == nil {
			doneCost += s.cost
			continue
		}
		if opt.StopAfterStages > 0 && ran == opt.StopAfterStages {
			return nil, ErrStopped
		}
		eta := "ETA ?"
		if ranCost > 0 {
			rate := time.Since(start).Seconds() / ranCost
			eta = "ETA " + progress.Duration(time.Duration((total-doneCost)*rate*float64(time.Second)))
		}
		fmt.Fprintf(log, "study: [%d/%d] %s (%s)\n", i+1, len(stages), s.name, eta)
		t0 := time.Now()
		res, err := s.run(ctx)
		if errors.Is(err, ErrStopped) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("study: %s: %w", s.name, err)
		}
		raw, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("study: %s: %w", s.name, err)
		}
		rec, _ := json.MarshalIndent(stageRecord{Stage: s.name, Seconds: time.Since(t0).Seconds(), Result: raw}, "", " ")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
		if err := atomicfile.WriteFile(path, rec); err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
		doneCost += s.cost
		ranCost += s.cost
		ran++
	}
	res, err := r.assemble(stages)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(res, "", " ")
	if err := atomicfile.WriteFile(filepath.Join(r.out, ResultsFile), b); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "study: done in %s (this run); results in %s\n", progress.Duration(time.Since(start)), filepath.Join(r.out, ResultsFile))
	return res, nil
}

// claim records the spec in the study folder, or checks that the one there
// is the same: a resumed study never mixes two specs.
func (r *runner) claim() error {
	path := filepath.Join(r.out, SpecFile)
	want := r.spec.YAML()
	got, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return atomicfile.WriteFile(path, want)
	case err != nil:
		return fmt.Errorf("study: %w", err)
	case !bytes.Equal(got, want):
		return fmt.Errorf("study: %s holds a study with another spec (%s); choose another --out or delete the folder", r.out, path)
	}
	return nil
}

// readStage decodes a finished stage's result into v and returns its time.
func (r *runner) readStage(s stage, v any) (float64, error) {
	b, err := os.ReadFile(filepath.Join(r.out, s.file))
	if err != nil {
		return 0, fmt.Errorf("study: %w", err)
	}
	var rec stageRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return 0, fmt.Errorf("study: %s: %v (delete it to recompute that stage)", filepath.Join(r.out, s.file), err)
	}
	if err := json.Unmarshal(rec.Result, v); err != nil {
		return 0, fmt.Errorf("study: %s: %v (delete it to recompute that stage)", filepath.Join(r.out, s.file), err)
	}
	return rec.Seconds, nil
}

func (r *runner) modelDir(name string) string { return filepath.Join(r.out, ModelsDir, name) }

func (r *runner) modelFile(name string) string {
	return filepath.Join(r.modelDir(name), train.ModelFile)
}

// Version is recorded in results.
var resultsVersion = version.Version
