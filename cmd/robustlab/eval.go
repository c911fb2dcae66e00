package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
)

// Files robustlab eval and robustlab attack write to --out.
const (
	evalSummaryFile  = "eval.json"
	evalExamplesFile = "eval_examples.csv"
)

// evalFlags are the options robustlab eval and robustlab attack share.
type evalFlags struct {
	model, spec, attacks, eps string
	n, batch, threads         int
	seed                      uint64
	tolerance                 float64
	noExtraChecks             bool
	out                       string
}

func (f *evalFlags) register(fs *pflag.FlagSet, defaultN int, defaultAttacks string) {
	fs.StringVar(&f.model, "model", "", "model file (required)")
	fs.StringVar(&f.spec, "data", "", "data spec, e.g. mnist:test or shapes:test (required; see robustlab data --help)")
	fs.StringVar(&f.attacks, "attacks", defaultAttacks, "comma-separated attacks (see above)")
	fs.StringVar(&f.eps, "eps", "8/255", "comma-separated budgets in [0,1] pixel units, e.g. 2/255,8/255")
	fs.IntVar(&f.n, "n", defaultN, "evaluate the first N examples (0: all)")
	fs.IntVar(&f.batch, "batch", 128, "images attacked together")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of every random draw (random starts, Square's search)")
	fs.Float64Var(&f.tolerance, "tolerance", 0.005, "slack of the sanity checks, as a fraction of the examples")
	fs.BoolVar(&f.noExtraChecks, "no-extra-checks", false, "skip the sanity checks that cost extra attacks (fewer-step and unbounded PGD)")
	fs.IntVar(&f.threads, "threads", 0, "compute threads (0: all cores)")
}

// evalRun is a parsed robustlab eval or attack invocation.
type evalRun struct {
	cfg   attack.EvalConfig
	file  string
	model nn.Module
	ds    data.Dataset
}

// prepare checks the flags, loads the model and opens the data, and checks
// that the two fit each other before any attack runs.
func (f *evalFlags) prepare(log io.Writer) (*evalRun, *modelio.Meta, error) {
	if f.model == "" {
		return nil, nil, fmt.Errorf("--model FILE is required")
	}
	if f.spec == "" {
		return nil, nil, fmt.Errorf("--data SPEC is required (e.g. mnist:test)")
	}
	if err := setThreads(f.threads); err != nil {
		return nil, nil, err
	}
	specs, err := attack.ParseSpecs(f.attacks)
	if err != nil {
		return nil, nil, fmt.Errorf("--attacks: %w", err)
	}
	eps, err := parseFracList(f.eps)
	if err != nil {
		return nil, nil, fmt.Errorf("--eps: %w", err)
	}
	for _, e := range eps {
		if !(e >= 0 && e <= 1) {
			return nil, nil, fmt.Errorf("--eps %g: a budget must be in [0, 1] (pixel units of [0,1] images)", e)
		}
	}
	switch {
	case len(eps) == 0:
		return nil, nil, fmt.Errorf("--eps: no budgets given")
	case f.n < 0:
		return nil, nil, fmt.Errorf("--n %d: want 0 (all) or more", f.n)
	case f.batch < 1:
		return nil, nil, fmt.Errorf("--batch %d: want at least 1", f.batch)
	case !(f.tolerance >= 0 && f.tolerance < 1):
		return nil, nil, fmt.Errorf("--tolerance %g: want a fraction in [0, 1)", f.tolerance)
	}
	m, meta, err := modelio.Load(f.model)
	if err != nil {
		return nil, nil, err
	}
	ds, err := data.Open(f.spec)
	if err != nil {
		return nil, nil, err
	}
	info := ds.Info()
	shape := []int{info.Channels, info.Height, info.Width}
	if err := models.CheckInput(meta.Arch, meta.Options, shape); err != nil {
		return nil, nil, fmt.Errorf("%s cannot take the images of %s: %w", f.model, f.spec, err)
	}
	if k := meta.Options.Classes; k < len(info.Classes) {
		return nil, nil, fmt.Errorf("%s has %d outputs, but %s has %d classes", f.model, k, f.spec, len(info.Classes))
	}
	if len(meta.InputShape) == 3 && (meta.InputShape[0] != shape[0] || meta.InputShape[1] != shape[1] || meta.InputShape[2] != shape[2]) {
		fmt.Fprintf(log, "eval: note: %s was trained on %dx%dx%d images, %s has %dx%dx%d\n", f.model,
			meta.InputShape[0], meta.InputShape[1], meta.InputShape[2], f.spec, shape[0], shape[1], shape[2])
	}
	r := &evalRun{file: f.model, model: m, ds: ds, cfg: attack.EvalConfig{Attacks: specs, Eps: eps, BatchSize: f.batch, N: f.n,
		Seed: f.seed, Tolerance: f.tolerance, NoExtraChecks: f.noExtraChecks, Log: log}}
	return r, &meta, nil
}

// run evaluates, prints the table and the checks to w, and writes the
// summary and the per-example rows to out (if not empty).
func (r *evalRun) run(ctx context.Context, w io.Writer, out string) (*attack.Report, error) {
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
	}
	rep, err := attack.Evaluate(ctx, r.model, r.ds, r.cfg)
	if err != nil {
		return nil, err
	}
	rep.Model = r.file
	printReport(w, rep)
	if out != "" {
		if err := rep.WriteJSON(filepath.Join(out, evalSummaryFile)); err != nil {
			return nil, err
		}
		if err := rep.WriteCSV(filepath.Join(out, evalExamplesFile)); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(out, evalSummaryFile), filepath.Join(out, evalExamplesFile))
	}
	return rep, nil
}

// printReport writes the accuracies as a table, an attack per row and a
// budget per column, then the sanity checks.
func printReport(w io.Writer, rep *attack.Report) {
	fmt.Fprintf(w, "%s on %s, %d examples: clean accuracy %.2f%% (%.0fs)\n", rep.Model, rep.Data, rep.N, 100*rep.CleanAccuracy, rep.Seconds)
	width := len("attack")
	for _, a := range rep.Attacks {
		width = max(width, len(a.Label))
	}
	fmt.Fprintf(w, "%-*s", width, "attack")
	for _, e := range rep.Eps {
		fmt.Fprintf(w, "  %10s", "eps "+formatEps(e))
	}
	fmt.Fprintln(w)
	labels := make([]string, 0, len(rep.Attacks)+1)
	for _, a := range rep.Attacks {
		labels = append(labels, a.Label)
	}
	for _, a := range append(labels, attack.WorstCase) {
		fmt.Fprintf(w, "%-*s", width, a)
		for _, e := range rep.Eps {
			acc, _ := rep.Accuracy(a, e)
			fmt.Fprintf(w, "  %9.2f%%", 100*acc)
		}
		fmt.Fprintln(w)
	}
	for _, su := range rep.Suites {
		fmt.Fprintf(w, "%s: %s eps %s, n %d: clean %.2f%%, robust %.2f%% (after", su.Suite, strings.ToUpper(string(su.Norm[:1]))+string(su.Norm[1:]),
			formatEps(su.Eps), su.N, 100*su.CleanAccuracy, 100*su.RobustAccuracy)
		for i, st := range su.Stages {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(w, "%s %s %.2f%%", sep, st.Attack, 100*st.RobustAccuracy)
		}
		fmt.Fprintf(w, "; %.0fs)\n", su.Seconds)
	}
	fmt.Fprintln(w, "sanity checks:")
	for _, c := range rep.Checks {
		status := "pass"
		switch {
		case c.Skipped:
			status = "skip"
		case !c.Passed:
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %-4s %-20s %s\n", status, c.Name, c.Detail)
	}
	if n := len(rep.Failed()); n > 0 {
		fmt.Fprintf(w, "WARNING: %d sanity check(s) failed: the accuracies above may overstate robustness (gradient masking?)\n", n)
	}
}

// formatEps writes a budget as k/255 when it is one, else as a decimal.
func formatEps(e float64) string {
	k := e * 255
	if r := math.Round(k); r > 0 && math.Abs(k-r) < 1e-9 {
		return fmt.Sprintf("%d/255", int64(r))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", e), "0"), ".")
}

func init() {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure a model's accuracy under attacks at several budgets, with sanity checks",
		Long: `Attack the first --n examples of --data with every attack of --attacks at every
budget of --eps (Linf unless an attack says norm=l2), the model in evaluation
mode, and print the accuracy under each attack and the worst case per example
over all of them (an example counts as robust only if no attack fooled it).
A suite (autoattack, autoattack-plus) runs its stages in order, each on the
examples the stages before it left correct, and is reported as RobustBench
reports AutoAttack: clean and robust accuracy, norm, eps, n, and the robust
accuracy after each stage (its rows in the table are those).

Sanity checks (Carlini et al. 2019; AutoAttack's flags) come with every
evaluation and a warning when one fails: accuracy non-increasing in eps, PGD
with a quarter of its steps no stronger than PGD, an unbounded PGD (eps = 1)
fooling about everything, PGD and APGD-CE at least as strong as FGSM, Square
(no gradients) not stronger than the gradient attacks, no zero input
gradients, the same logits twice. A failed check usually means gradient
masking: the accuracies overstate robustness.

With --out DIR it writes DIR/eval.json (the summary) and DIR/eval_examples.csv
(one row per example, attack and budget: prediction and perturbation norms).

` + attack.SpecHelp,
		Example: `  robustlab eval --model runs/mnist/model.safetensors --data mnist:test --n 1000 \
      --attacks fgsm,pgd,apgd-ce,apgd-dlr,square --eps 0.1,0.2,0.3 --out runs/mnist/eval
  robustlab eval --model runs/std/model.safetensors --data shapes:test --eps 2/255,8/255 \
      --attacks 'fgsm,pgd?steps=50&restarts=10'
  robustlab eval --model runs/adv/model.safetensors --data shapes:test --n 1000 --attacks autoattack --eps 8/255`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			r, _, err := f.prepare(c.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			_, err = r.run(ctx, c.OutOrStdout(), f.out)
			return err
		},
	}
	f.register(cmd.Flags(), 0, "fgsm,pgd")
	cmd.Flags().StringVar(&f.out, "out", "", "folder for eval.json and eval_examples.csv (default: print only)")
	root.AddCommand(cmd)
}
