package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/report"
)

func init() {
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Redraw a study's report (report.html, report.md, figures) from DIR/results.json",
		Long: `Read DIR/results.json, written by robustlab study, and write the report again:
DIR/figures/*.png, DIR/report.md (which links those PNGs) and DIR/report.html
(one self-contained file with every figure embedded; it opens from disk in any
browser, needs no network and prints cleanly).

The report leads with findings computed from the numbers and an overview of
how shape bias, robustness and the saliency maps' alignment with the object
move together across the models, then a results table and one section per
measurement. Every number comes from results.json; nothing is recomputed, so
this takes seconds. The saliency grids are drawn from the maps the study
kept (DIR/stages/saliency_grid.safetensors). A measurement that was not
made shows as n/a.`,
		Example: `  robustlab report runs/shapes
  xdg-open runs/shapes/report.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			r, err := report.Load(dir)
			if err != nil {
				return err
			}
			if err := report.Write(dir, r); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "report: %s and %s\n", filepath.Join(dir, report.HTMLFile), filepath.Join(dir, report.MarkdownFile))
			return nil
		},
	}
	root.AddCommand(cmd)
}
