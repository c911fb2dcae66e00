package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustlab/robustlab/data"
)

var benchDataFlags struct {
	batch, workers int
	seconds        float64
}

var benchDataCmd = &cobra.Command{
	Use:   "data SPEC",
	Short: "Measure how many images per second the loader delivers for a data set",
	Long: `Run the loader over SPEC (shuffled, batches of --batch, --workers goroutines,
default all cores) for at least --seconds, epoch after epoch, and print one
JSON line: {"spec":..,"images_per_s":..,"images":..,"seconds":..,"batch":..,
"workers":..}. For shapes this is the generation speed the study relies on.`,
	Example: `  robustlab bench data shapes:train
  robustlab bench data mnist:train --batch 256`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ds, err := data.Open(args[0])
		if err != nil {
			return err
		}
		workers := benchDataFlags.workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: benchDataFlags.batch, Shuffle: true, Seed: 1, Workers: workers})
		if err != nil {
			return err
		}
		images, secs, err := benchLoader(cmd.Context(), l, benchDataFlags.seconds)
		if err != nil {
			return err
		}
		b, err := json.Marshal(map[string]any{"spec": args[0], "images_per_s": float64(images) / secs,
			"images": images, "seconds": secs, "batch": benchDataFlags.batch, "workers": workers})
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), string(b))
		return nil
	},
}

// benchLoader reads whole epochs until at least minSeconds have passed and
// returns the images read and the seconds taken.
func benchLoader(ctx context.Context, l *data.Loader, minSeconds float64) (int, float64, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	images := 0
	start := time.Now()
	for epoch := 0; time.Since(start).Seconds() < minSeconds; epoch++ {
		e := l.Epoch(ctx, epoch)
		for {
			b, err := e.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				e.Close()
				return 0, 0, err
			}
			images += len(b.Labels)
			b.Release()
			if time.Since(start).Seconds() >= minSeconds {
				break
			}
		}
		e.Close()
	}
	return images, time.Since(start).Seconds(), nil
}

func init() {
	f := benchDataCmd.Flags()
	f.IntVar(&benchDataFlags.batch, "batch", 128, "batch size")
	f.IntVar(&benchDataFlags.workers, "workers", 0, "loader goroutines (0: GOMAXPROCS)")
	f.Float64Var(&benchDataFlags.seconds, "seconds", 3, "minimum time to run")
	benchCmd.AddCommand(benchDataCmd)
}
