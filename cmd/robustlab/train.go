package main

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/train"
)

func init() {
	var (
		cfg                       train.Config
		out                       string
		threads                   int
		eps, alpha, mean, std     string
		milestones, severities    string
		lr, minLR, gamma, warmup  float64
		peak                      float64
		stepSize, width, depth    int
		shortcut                  string
		optKind                   string
		wd, momentum              float64
		nesterov, noDecayNormBias bool
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a model under a regime (standard, noise, pgd, fgsm-rs, trades)",
		Long: `Train a model on a data set and write model.safetensors, a checkpoint after
every epoch, config.json and metrics.jsonl (one JSON line per epoch) to --out.

Running the same command again resumes a killed run from its last checkpoint;
the result is bit-identical to an uninterrupted run. A different configuration
in the same --out is refused.

Regimes: standard; noise (--noise salt-pepper|uniform|gaussian|..., severities
drawn from --severities); pgd (Madry et al. 2018: --eps --alpha --steps);
fgsm-rs (Wong et al. 2020: --eps --alpha, catastrophic overfitting detected
with --check-overfit); trades (Zhang et al. 2019: --eps --alpha --steps --beta).
Budgets are in [0,1] pixel units and may be fractions: --eps 8/255.`,
		Example: `  robustlab train --data shapes:train --eval shapes:test --arch smallcnn --epochs 5 --out runs/std
  robustlab train --data mnist:train --eval 'mnist:test?n=1000' --arch wong-mnist --regime fgsm-rs \
      --eps 0.3 --alpha 0.375 --epochs 10 --schedule cyclic --peak 0.4 --lr 0.005 --opt adam --wd 0 --batch 100 \
      --check-overfit --out runs/mnist-fgsm     # FGSM-RS at eps 0.3 can overfit catastrophically: the check rolls back
  robustlab train --data mnist:train --eval 'mnist:test?n=1000' --arch madry-mnist --regime pgd \
      --eps 0.3 --alpha 0.1 --steps 5 --epochs 6 --schedule cyclic --peak 0.4 --lr 0.005 --opt adam --wd 0 \
      --batch 100 --out runs/mnist-pgd     # bench/mnist_robust.sh pgd: 98.97% clean, 92.4% under PGD-50 x 10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("train: --out DIR is required")
			}
			if err := checkTrainFlags(c.Flags(), &cfg, optKind, lr); err != nil {
				return err
			}
			if err := setThreads(threads); err != nil {
				return err
			}
			var err error
			if eps != "" {
				if cfg.Regime.Eps, err = parseFrac(eps); err != nil {
					return fmt.Errorf("--eps: %w", err)
				}
			}
			if alpha != "" {
				if cfg.Regime.Alpha, err = parseFrac(alpha); err != nil {
					return fmt.Errorf("--alpha: %w", err)
				}
			}
			if cfg.Regime.Severities, err = parseIntList(severities); err != nil {
				return fmt.Errorf("--severities: %w", err)
			}
			if cfg.Schedule.Milestones, err = parseIntList(milestones); err != nil {
				return fmt.Errorf("--milestones: %w", err)
			}
			if cfg.Model.Mean, err = parseFloatList(mean); err != nil {
				return fmt.Errorf("--mean: %w", err)
			}
			if cfg.Model.Std, err = parseFloatList(std); err != nil {
				return fmt.Errorf("--std: %w", err)
			}
			cfg.Model.Width, cfg.Model.Depth, cfg.Model.Shortcut = width, depth, shortcut
			cfg.Optimizer = train.OptimizerConfig{Kind: optKind, Nesterov: nesterov, WeightDecay: wd, NoDecayNormBias: noDecayNormBias}
			if optKind == "sgd" {
				cfg.Optimizer.Momentum = momentum
			}
			cfg.Schedule.LR, cfg.Schedule.MinLR, cfg.Schedule.Gamma = lr, minLR, gamma
			cfg.Schedule.StepSize, cfg.Schedule.Peak, cfg.Schedule.WarmupEpochs = stepSize, peak, warmup
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
			defer stop()
			res, err := train.Run(ctx, cfg, train.Options{Out: out, Log: os.Stderr})
			if err != nil {
				return err
			}
			last := res.History[len(res.History)-1]
			summary := fmt.Sprintf("train: wrote %s after %d epochs (train accuracy %.4f", res.ModelPath, len(res.History), last.TrainAcc)
			if last.EvalAcc != nil {
				summary += fmt.Sprintf(", eval accuracy %.4f", *last.EvalAcc)
			}
			fmt.Fprintln(os.Stderr, summary+")")
			if res.Stopped != "" {
				fmt.Fprintf(os.Stderr, "train: stopped early: %s\n", res.Stopped)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Data, "data", "shapes:train", "training set spec (see robustlab data --help)")
	f.StringVar(&cfg.Eval, "eval", "", "spec of the set evaluated after each epoch (e.g. shapes:test)")
	f.IntVar(&cfg.EvalLimit, "eval-n", 0, "evaluate on the first N examples only (0: all)")
	f.StringVar(&cfg.Arch, "arch", "smallcnn", "architecture: "+strings.Join(models.Names(), ", "))
	f.IntVar(&width, "width", 0, "architecture's base width (0: its default)")
	f.IntVar(&depth, "depth", 0, "wrn's depth (0: its default)")
	f.StringVar(&shortcut, "shortcut", "", "CIFAR ResNets' shortcut, A or B (default A)")
	f.StringVar(&mean, "mean", "", "per-channel normalization mean inside the model, e.g. 0.4914,0.4822,0.4465")
	f.StringVar(&std, "std", "", "per-channel normalization std inside the model")
	f.IntVar(&cfg.Epochs, "epochs", 10, "epochs")
	f.IntVar(&cfg.BatchSize, "batch", 128, "batch size")
	f.StringVar(&optKind, "opt", "sgd", "optimizer: sgd, adam, adamw")
	f.Float64Var(&momentum, "momentum", 0.9, "SGD momentum (sgd only)")
	f.BoolVar(&nesterov, "nesterov", false, "Nesterov momentum (sgd only)")
	f.Float64Var(&wd, "wd", 5e-4, "weight decay")
	f.BoolVar(&noDecayNormBias, "no-decay-norm-bias", false, "no weight decay on batch norm parameters and biases")
	f.StringVar(&cfg.Schedule.Kind, "schedule", "cosine", "learning-rate schedule: constant, step, multistep, cosine, cyclic")
	f.Float64Var(&lr, "lr", 0.1, "(peak) learning rate")
	f.Float64Var(&minLR, "min-lr", 0, "final learning rate of cosine; start and end of cyclic")
	f.Float64Var(&gamma, "gamma", 0.1, "factor of step and multistep schedules")
	f.IntVar(&stepSize, "step-size", 0, "period in epochs of the step schedule")
	f.StringVar(&milestones, "milestones", "", "epochs at which multistep multiplies by gamma, e.g. 50,75")
	f.Float64Var(&peak, "peak", 0, "where cyclic peaks, as a fraction of the epochs (default 0.5)")
	f.Float64Var(&warmup, "warmup", 0, "epochs of linear learning-rate warm-up")
	f.IntVar(&cfg.Augment.CropPadding, "crop", 0, "random crop with this much zero padding (e.g. 4 for CIFAR)")
	f.BoolVar(&cfg.Augment.Flip, "flip", false, "random horizontal flips")
	f.Float32Var(&cfg.LabelSmoothing, "label-smoothing", 0, "label smoothing of the cross-entropy")
	f.StringVar(&cfg.Regime.Name, "regime", "standard", "training regime: "+strings.Join(train.Regimes(), ", "))
	f.StringVar(&eps, "eps", "", "attack budget in pixel units, e.g. 8/255")
	f.StringVar(&alpha, "alpha", "", "attack step size in pixel units, e.g. 2/255")
	f.IntVar(&cfg.Regime.Steps, "steps", 0, "attack steps")
	f.StringVar(&cfg.Regime.Norm, "norm", "", "attack norm: linf (default) or l2")
	f.Float64Var(&cfg.Regime.Beta, "beta", 0, "TRADES's beta")
	f.BoolVar(&cfg.Regime.CheckOverfit, "check-overfit", false, "fgsm-rs: detect catastrophic overfitting each epoch, roll back and stop")
	f.StringVar(&cfg.Regime.Noise, "noise", "", "noise regime: corruptions to train on, comma-separated")
	f.StringVar(&severities, "severities", "", "noise regime: severities to draw from (default 1,2,3,4,5)")
	f.Float64Var(&cfg.Regime.CleanFraction, "clean-fraction", 0, "noise regime: fraction of examples left clean")
	f.Uint64Var(&cfg.Seed, "seed", 0, "seed of initialization, data order and every random draw")
	f.StringVar(&out, "out", "", "output directory (required)")
	f.IntVar(&threads, "threads", 0, "compute threads (0: all cores)")
	root.AddCommand(cmd)
}

// trainFlagScope says which optimizer, schedule or regime each flag that
// only some of them read applies to: a flag given where nothing reads it
// would be silently ignored, so it is refused.
var trainFlagScope = []struct {
	flag, what string
	applies    []string
}{
	{"momentum", "opt", []string{"sgd"}},
	{"nesterov", "opt", []string{"sgd"}},
	{"gamma", "schedule", []string{"step", "multistep"}},
	{"step-size", "schedule", []string{"step"}},
	{"milestones", "schedule", []string{"multistep"}},
	{"peak", "schedule", []string{"cyclic"}},
	{"min-lr", "schedule", []string{"cosine", "cyclic"}},
	{"eps", "regime", []string{"pgd", "fgsm-rs", "trades"}},
	{"alpha", "regime", []string{"pgd", "fgsm-rs", "trades"}},
	{"norm", "regime", []string{"pgd", "fgsm-rs", "trades"}},
	{"steps", "regime", []string{"pgd", "trades"}},
	{"beta", "regime", []string{"trades"}},
	{"check-overfit", "regime", []string{"fgsm-rs"}},
	{"noise", "regime", []string{"noise"}},
	{"severities", "regime", []string{"noise"}},
	{"clean-fraction", "regime", []string{"noise"}},
}

// checkTrainFlags refuses values that train.Config's defaults would
// silently replace (0 epochs, batch size or learning rate) and flags that
// the chosen optimizer, schedule or regime does not read.
func checkTrainFlags(fs *pflag.FlagSet, cfg *train.Config, opt string, lr float64) error {
	switch {
	case cfg.Epochs < 1:
		return fmt.Errorf("--epochs %d: want at least 1", cfg.Epochs)
	case cfg.BatchSize < 1:
		return fmt.Errorf("--batch %d: want at least 1", cfg.BatchSize)
	case !(lr > 0):
		return fmt.Errorf("--lr %g: want a positive learning rate", lr)
	case fs.Changed("eval-n") && cfg.Eval == "":
		return fmt.Errorf("--eval-n needs --eval SPEC")
	}
	chosen := map[string]string{"opt": opt, "schedule": cfg.Schedule.Kind, "regime": cfg.Regime.Name}
	for _, s := range trainFlagScope {
		if fs.Changed(s.flag) && !slices.Contains(s.applies, chosen[s.what]) {
			return fmt.Errorf("--%s applies to --%s %s, not %s: it would be ignored", s.flag, s.what, strings.Join(s.applies, " or "), chosen[s.what])
		}
	}
	return nil
}
