package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/internal/progress"
	"github.com/robustlab/robustlab/report"
	"github.com/robustlab/robustlab/study"
)

func init() {
	var (
		specPath, out, preset string
		seed                  uint64
		printSpec             bool
	)
	cmd := &cobra.Command{
		Use:   "study",
		Short: "Run the seed's whole story on the shapes data set and write a report (the main job)",
		Long: `Train one model per regime on the embedded shapes data set (standard,
texture-randomized, adversarial, salt-and-pepper noise, uniform noise), measure
each the same way (accuracy on the test and cue splits, shape bias on
cue-conflict images, FGSM and PGD accuracy over eps, accuracy under noise,
saliency maps and where their mass falls on the object), and write
results.json, report.md and report.html (self-contained) to --out.

Nothing is downloaded. Rerunning the same command resumes: finished stages are
read from disk, training resumes from its last checkpoint, and the results
equal an uninterrupted run's. Another spec in the same --out is refused.

--preset quick (default) finishes in minutes on a 2-core laptop; full uses
more data, longer training and more test images. --spec FILE overlays a YAML
spec on the preset (only what it names changes; unknown keys are errors);
--print-spec shows the resolved spec, a starting point for your own.`,
		Example: `  robustlab study
  robustlab study --preset full --out runs/shapes-full
  robustlab study --print-spec > my.yaml   # edit, then:
  robustlab study --spec my.yaml --out runs/mine`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			start := time.Now()
			spec, err := study.LoadSpec(preset, specPath)
			if err != nil {
				return err
			}
			if c.Flags().Changed("seed") {
				spec.Seed = seed
			}
			if printSpec {
				_, err := os.Stdout.Write(spec.YAML())
				return err
			}
			if out == "" {
				out = filepath.Join("runs", spec.Name)
				if preset != "quick" {
					out += "-" + preset
				}
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			res, err := study.Run(ctx, spec, study.Options{Out: out, Log: os.Stderr, Preset: preset})
			if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
				return fmt.Errorf("study: interrupted; rerun the same command to resume")
			}
			if err != nil {
				return err
			}
			if err := report.Write(out, res); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "study: report: %s and %s\n", filepath.Join(out, report.HTMLFile), filepath.Join(out, report.MarkdownFile))
			fmt.Fprintf(os.Stderr, "study: total time %s\n", progress.Duration(time.Since(start)))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&specPath, "spec", "", "YAML study spec overlaid on the preset (see --print-spec)")
	f.StringVar(&out, "out", "", "output folder (default runs/shapes, runs/shapes-full for --preset full)")
	f.StringVar(&preset, "preset", "quick", "quick or full")
	f.Uint64Var(&seed, "seed", 0, "seed of the whole study (overrides the spec's)")
	f.BoolVar(&printSpec, "print-spec", false, "print the resolved spec as YAML and exit")
	root.AddCommand(cmd)
}
