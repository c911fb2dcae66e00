// Command robustlab trains, attacks, corrupts and explains image classifiers
// and measures how robustness, shape bias and interpretability are linked.
//
// Each verb is a subcommand in its own file (bench_*.go, data.go, train.go,
// ...), registered on the root command from an init function.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/robustlab/robustlab/internal/kernels"
	"github.com/spf13/cobra"
)

// root is the top-level command; subcommand files add themselves to it.
var root = &cobra.Command{
	Use:   "robustlab",
	Short: "Train, attack, corrupt and explain image classifiers",
	Long: `robustlab trains image classifiers, attacks them, corrupts their inputs,
measures their shape bias and draws their saliency maps, and writes a report
linking robustness, shape bias and interpretability.

Images are in [0,1]; attack budgets (eps) are in those pixel units and may be
written as fractions such as 8/255.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// benchCmd groups the benchmarks (bench gemm, bench train, ...).
var benchCmd = &cobra.Command{
	Use:   "bench",
	Short: "Measure robustlab's speed, alone or against its peers",
}

// cpuProfile is the file --cpuprofile writes a pprof CPU profile to.
var cpuProfile string

// benchISA is the instruction set bench --isa restricts the kernels to.
var benchISA string

func init() {
	groupCommand(benchCmd)
	root.AddCommand(benchCmd)
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the command to this file")
	root.PersistentPreRunE = startCommand
	benchCmd.PersistentFlags().StringVar(&benchISA, "isa", "", "restrict robustlab's kernels to this instruction set (avx512, avx2, neon, generic; default: the widest this CPU runs, or $"+kernels.ISAEnv+"), and the peers to the same")
}

// groupCommand makes c, which only groups subcommands, refuse an unknown
// one: without a Run of its own, cobra would print the help and exit 0, so
// "robustlab data nosuch" would look like success. With no argument it
// prints the help.
func groupCommand(c *cobra.Command) {
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return fmt.Errorf("unknown command %q for %q (its commands: %s; see %s --help)", args[0], c.CommandPath(), strings.Join(names, ", "), c.CommandPath())
	}
}

// startCommand runs before every subcommand: it refuses a ROBUSTLAB_ISA
// the CPU cannot honour, applies bench --isa, and starts --cpuprofile.
func startCommand(*cobra.Command, []string) error {
	if err := kernels.EnvISAError(); err != nil {
		return err
	}
	if benchISA != "" {
		if err := kernels.SetISA(benchISA); err != nil {
			return fmt.Errorf("--isa: %w", err)
		}
	}
	if cpuProfile == "" {
		return nil
	}
	f, err := os.Create(cpuProfile)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}

func main() {
	err := root.Execute()
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "robustlab:", err)
		os.Exit(1)
	}
}
