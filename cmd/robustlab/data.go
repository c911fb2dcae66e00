package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/data"
)

var dataCmd = &cobra.Command{
	Use:   "data",
	Short: "Show data sets, print their info, download CIFAR (shapes, MNIST, CIFAR, image folders)",
	Long:  dataHelp(),
}

// dataHelp documents every source and key from the data package's own
// table, so the help cannot drift from what data.Open accepts.
func dataHelp() string {
	var b strings.Builder
	b.WriteString(`Every command that reads data takes a spec string:

  SOURCE[:ARG][?KEY=VALUE&KEY=VALUE...]

for example shapes:train?size=64&p=0.9, mnist:test, folder:DIR?size=224.
Unknown keys and bad values are errors. Images are float32 in [0,1].

Sources:
`)
	for _, s := range data.Sources() {
		fmt.Fprintf(&b, "\n  %s:%s\n", s.Name, s.ArgName)
		b.WriteString(wrap(s.Help, "      ", 78))
		b.WriteString(wrap(s.ArgName+": "+s.Arg, "      ", 78))
		for _, k := range s.Keys {
			line := k.Key + "=  " + k.Help
			if k.Default != "" {
				line += " [default: " + k.Default + "]"
			}
			b.WriteString(wrap(line, "        ", 78))
		}
		fmt.Fprintf(&b, "      e.g. %s\n", strings.Join(s.Examples, "   "))
	}
	return b.String()
}

// wrap breaks text into lines of at most width columns, each indented.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

var dataFlags struct {
	n, start, cols, scale int
	out                   string
	skipBad               bool
	dir, url, md5         string
}

var dataShowCmd = &cobra.Command{
	Use:   "show SPEC",
	Short: "Draw examples of a data set as a labelled grid PNG",
	Long: `Draw --n examples from --start on as a grid, with the class name under each
(and the texture where a set has one that differs from the class, as in
cue-conflict images). Small images are enlarged by an integer factor with
nearest-neighbour sampling so their pixels stay crisp. The PNG is written
atomically. See 'robustlab data --help' for spec strings.`,
	Example: `  robustlab data show shapes:train --n 64 --out grid.png
  robustlab data show shapes:cue-conflict?size=64 --out conflict.png
  robustlab data show mnist:test --n 100 --cols 20 --out mnist.png`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		if dataFlags.cols < 0 || dataFlags.scale < 0 {
			return fmt.Errorf("--cols %d and --scale %d: want 0 (automatic) or more", dataFlags.cols, dataFlags.scale)
		}
		ds, err := openData(cmd, args[0])
		if err != nil {
			return err
		}
		img, err := data.ShowGrid(ds, dataFlags.start, dataFlags.n, data.GridOptions{Cols: dataFlags.cols, Scale: dataFlags.scale})
		if err != nil {
			return err
		}
		if err := data.WritePNG(dataFlags.out, img); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d examples of %s)\n", dataFlags.out, min(dataFlags.n, ds.Len()-dataFlags.start), ds.Info().Name)
		return nil
	},
}

var dataInfoCmd = &cobra.Command{
	Use:   "info SPEC",
	Short: "Print a data set's length, classes, image shape and first labels as one JSON line",
	Long: `Print one JSON line: spec, name, len, classes, shape ([C,H,W]), has_mask,
factors (the factor names), first_labels (the labels of the first 10 examples)
and, for image folders opened with skip_bad, skipped (files dropped).`,
	Example: `  robustlab data info mnist:train
  robustlab data info shapes:cue-conflict`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ds, err := openData(cmd, args[0])
		if err != nil {
			return err
		}
		return writeInfo(cmd.OutOrStdout(), args[0], ds)
	},
}

func writeInfo(w io.Writer, spec string, ds data.Dataset) error {
	info := ds.Info()
	var ex data.Example
	first := []int{}
	for i := 0; i < min(10, ds.Len()); i++ {
		if err := ds.Get(i, &ex); err != nil {
			return err
		}
		first = append(first, ex.Label)
	}
	out := map[string]any{
		"spec": spec, "name": info.Name, "len": ds.Len(), "classes": info.Classes,
		"shape":    []int{info.Channels, info.Height, info.Width},
		"has_mask": info.HasMask, "factors": nonNil(info.FactorNames), "first_labels": first,
	}
	if s := data.Skipped(ds); s > 0 {
		out["skipped"] = s
	}
	enc := json.NewEncoder(w)
	// Spec strings hold '&': keep them readable.
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var dataFetchCmd = &cobra.Command{
	Use:   "fetch cifar10|cifar100",
	Short: "Download CIFAR-10 or CIFAR-100 (binary version), check its MD5 and extract it",
	Long: `Download the binary version of CIFAR-10 or CIFAR-100 from the official
address (or --url), check the archive's MD5 against the published one, and
extract it atomically into --dir (default $ROBUSTLAB_DATA/NAME, else
~/.cache/robustlab/NAME), where cifar10:train and friends find it without
root=. Nothing is downloaded if the folder is already there.`,
	Example: `  robustlab data fetch cifar10
  robustlab data fetch cifar100 --dir /data/cifar100`,
	Args:      cobra.ExactArgs(1),
	ValidArgs: data.FetchNames,
	RunE: func(cmd *cobra.Command, args []string) error {
		dir, err := data.Fetch(cmd.Context(), args[0], data.FetchOptions{
			Dir: dataFlags.dir, URL: dataFlags.url, MD5: dataFlags.md5, Log: cmd.ErrOrStderr()})
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), dir)
		return nil
	},
}

// openData opens a spec, adding skip_bad=1 if --skip-bad was given, and
// reports skipped files on stderr.
func openData(cmd *cobra.Command, spec string) (data.Dataset, error) {
	if dataFlags.skipBad {
		sep := "?"
		if strings.Contains(spec, "?") {
			sep = "&"
		}
		spec += sep + "skip_bad=1"
	}
	ds, err := data.Open(spec)
	if err != nil {
		return nil, err
	}
	if s := data.Skipped(ds); s > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "skipped %d unreadable files\n", s)
	}
	return ds, nil
}

func init() {
	f := dataShowCmd.Flags()
	f.IntVar(&dataFlags.n, "n", 64, "number of examples")
	f.IntVar(&dataFlags.start, "start", 0, "index of the first example")
	f.IntVar(&dataFlags.cols, "cols", 0, "columns (0: about the square root of --n)")
	f.IntVar(&dataFlags.scale, "scale", 0, "integer upscaling (0: enough to make images at least 96 pixels wide)")
	f.StringVar(&dataFlags.out, "out", "grid.png", "output PNG")
	for _, c := range []*cobra.Command{dataShowCmd, dataInfoCmd} {
		c.Flags().BoolVar(&dataFlags.skipBad, "skip-bad", false, "skip unreadable image files (spec key skip_bad=1)")
	}
	ff := dataFetchCmd.Flags()
	ff.StringVar(&dataFlags.dir, "dir", "", "folder to extract into (default $ROBUSTLAB_DATA/NAME or ~/.cache/robustlab/NAME)")
	ff.StringVar(&dataFlags.url, "url", "", "download from this address instead of the official one")
	ff.StringVar(&dataFlags.md5, "md5", "", "expected MD5 of the archive (default: the published one)")
	dataCmd.AddCommand(dataShowCmd, dataInfoCmd, dataFetchCmd)
	groupCommand(dataCmd)
	root.AddCommand(dataCmd)
}
