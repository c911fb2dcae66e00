package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/models"
)

// resetFlags puts every flag of every command back to its default (cobra
// keeps values an earlier Execute set).
func resetFlags(c *cobra.Command) {
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
	for _, sub := range c.Commands() {
		resetFlags(sub)
	}
}

// TestTheCLISaysNoToNonsense: arguments that would be ignored, replaced
// by a default or make no sense are errors (a non-zero exit), each naming
// what is wrong.
func TestTheCLISaysNoToNonsense(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{})
	out := filepath.Join(dir, "run")
	train := func(extra ...string) []string {
		return append([]string{"train", "--data", "shapes:train?n=32&size=16", "--epochs", "1", "--out", out}, extra...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "nosuch"}, `unknown command "nosuch" for "robustlab data"`},
		{[]string{"data", "describe", "shapes"}, `unknown command "describe" for "robustlab data" (its commands: fetch, info, show`},
		{[]string{"bench", "nosuch"}, `unknown command "nosuch" for "robustlab bench"`},
		{[]string{"data", "show", "shapes:test", "--cols", "-1"}, "--cols -1"},
		{[]string{"data", "show", "shapes:test", "--scale", "-2"}, "--scale -2"},
		{train("--epochs", "0"), "--epochs 0: want at least 1"},
		{train("--batch", "0"), "--batch 0: want at least 1"},
		{train("--lr", "0"), "--lr 0"},
		{train("--threads", "-2"), "--threads -2"},
		{train("--opt", "adam", "--momentum", "0"), "--momentum applies to --opt sgd, not adam"},
		{train("--opt", "adamw", "--nesterov"), "--nesterov applies to --opt sgd, not adamw"},
		{train("--gamma", "0.5"), "--gamma applies to --schedule step or multistep, not cosine"},
		{train("--peak", "0.3"), "--peak applies to --schedule cyclic"},
		{train("--eps", "8/255"), "--eps applies to --regime pgd or fgsm-rs or trades, not standard"},
		{train("--regime", "pgd", "--eps", "8/255", "--steps", "3", "--check-overfit"), "--check-overfit applies to --regime fgsm-rs, not pgd"},
		{train("--clean-fraction", "0.5"), "--clean-fraction applies to --regime noise"},
		{train("--eval-n", "10"), "--eval-n needs --eval"},
		{[]string{"eval", "--model", model, "--data", "shapes:test?size=16", "--threads", "-1"}, "--threads -1"},
		{[]string{"attack", "--model", model, "--data", "shapes:test?size=16", "--out", out, "--threads", "-3"}, "--threads -3"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--out", filepath.Join(dir, "g.png"), "--threads", "-1"}, "--threads -1"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--metrics", filepath.Join(dir, "m.json"), "--metrics-n", "0"}, "--metrics-n 0"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--out", filepath.Join(dir, "g.png"), "--samples", "5"}, "--samples applies to --method smoothgrad"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--out", filepath.Join(dir, "g.png"), "--method", "smoothgrad", "--steps", "5"}, "--steps applies to --method ig"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--out", filepath.Join(dir, "g.png"), "--layer", "layer2"}, "--layer applies to --method gradcam"},
		{[]string{"saliency", "--models", model, "--data", "shapes:test?size=16", "--out", filepath.Join(dir, "g.png"), "--randomization", "full"}, "--randomization applies to --metrics FILE"},
	} {
		resetFlags(root)
		if _, err := runCLI(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	resetFlags(root)
	// A group command without a subcommand still prints its help.
	if _, err := runCLI(t, "data"); err != nil {
		t.Errorf("robustlab data: %v", err)
	}
}
