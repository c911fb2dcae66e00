package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/shapebias"
)

func init() {
	var stimuli string
	cmd := &cobra.Command{
		Use:   "shapebias --model FILE [--stimuli SPEC]",
		Short: "Measure a model's shape bias on cue-conflict images",
		Long: `Run a model on cue-conflict images (the shape of one class, the texture of
another) and print one JSON line: the shape bias, shape / (shape + texture)
decisions (Geirhos et al. 2019), and the counts of shape, texture and
neither decisions. Images whose shape and texture name the same class are
left out; stimuli with no conflict image at all are an error, and a model
that decided no image by either cue gets "shape_bias": null with a note.

--stimuli is a data spec whose examples carry shape and texture labels:
shapes:cue-conflict (default, at the model's input size) or
cue-conflict:DIR (a folder in the texture-vs-shape layout).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			path, _ := c.Flags().GetString("model")
			if path == "" {
				return fmt.Errorf("shapebias: --model FILE is required")
			}
			m, meta, err := modelio.Load(path)
			if err != nil {
				return err
			}
			if stimuli == "" {
				stimuli = fmt.Sprintf("shapes:cue-conflict?size=%d", meta.InputShape[1])
			}
			ds, err := data.Open(stimuli)
			if err != nil {
				return err
			}
			info := ds.Info()
			if got := []int{info.Channels, info.Height, info.Width}; fmt.Sprint(got) != fmt.Sprint(meta.InputShape) {
				return fmt.Errorf("shapebias: %s has %v images, the model %s takes %v", stimuli, got, path, meta.InputShape)
			}
			r, err := shapebias.Evaluate(c.Context(), m, ds, shapebias.Config{BatchSize: 256})
			if err != nil {
				return err
			}
			r.Model = path
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.OutOrStdout(), "%s\n", b)
			return err
		},
	}
	cmd.Flags().String("model", "", "model file (.safetensors written by robustlab)")
	cmd.Flags().StringVar(&stimuli, "stimuli", "", "cue-conflict data spec (default shapes:cue-conflict at the model's size)")
	root.AddCommand(cmd)
}
