package optim

import (
	"math"
	"strings"
	"testing"
)

func TestSchedules(t *testing.T) {
	type point struct {
		epoch, step, spe int
		want             float64
	}
	for _, c := range []struct {
		name   string
		cfg    ScheduleConfig
		points []point
	}{
		{"constant", ScheduleConfig{Kind: "constant", LR: 0.1}, []point{{0, 0, 10, 0.1}, {99, 9, 10, 0.1}}},
		{"step", ScheduleConfig{Kind: "step", LR: 0.1, StepSize: 30, Gamma: 0.1},
			[]point{{0, 0, 5, 0.1}, {29, 4, 5, 0.1}, {30, 0, 5, 0.01}, {60, 0, 5, 0.001}}},
		{"multistep", ScheduleConfig{Kind: "multistep", LR: 0.1, Milestones: []int{100, 150}, Gamma: 0.1},
			[]point{{0, 0, 5, 0.1}, {99, 4, 5, 0.1}, {100, 0, 5, 0.01}, {149, 0, 5, 0.01}, {150, 0, 5, 0.001}, {400, 0, 5, 0.001}}},
		// (1 + cos(pi u)) / 2 at u = 0, 1/4, 1/2, 1.
		{"cosine", ScheduleConfig{Kind: "cosine", LR: 1, Epochs: 10},
			[]point{{0, 0, 10, 1}, {2, 5, 10, 0.8535533905932737}, {5, 0, 10, 0.5}, {10, 0, 10, 0}, {12, 0, 10, 0}}},
		{"cosine to a floor", ScheduleConfig{Kind: "cosine", LR: 0.5, MinLR: 0.1, Epochs: 4},
			[]point{{2, 0, 3, 0.3}, {4, 0, 3, 0.1}}},
		// One warm-up epoch of 4 steps: 1/4, 2/4, 3/4, 4/4, then the cosine
		// over the 4 remaining epochs.
		{"cosine with warm-up", ScheduleConfig{Kind: "cosine", LR: 1, Epochs: 5, WarmupEpochs: 1},
			[]point{{0, 0, 4, 0.25}, {0, 1, 4, 0.5}, {0, 3, 4, 1}, {1, 0, 4, 1}, {3, 0, 4, 0.5}, {5, 0, 4, 0}}},
		// Wong et al.'s MNIST schedule: interp(t, [0, 4, 10], [0, 5e-3, 0]),
		// t = epoch + (i+1)/steps.
		{"cyclic", ScheduleConfig{Kind: "cyclic", LR: 5e-3, Epochs: 10, Peak: 0.4},
			[]point{{0, 0, 100, 1.25e-5}, {1, 99, 100, 2.5e-3}, {3, 99, 100, 5e-3}, {6, 99, 100, 2.5e-3}, {9, 49, 100, 5e-3 * 0.5 / 6}, {9, 99, 100, 0}}},
		{"cyclic from a floor", ScheduleConfig{Kind: "cyclic", LR: 0.2, MinLR: 0.1, Epochs: 2},
			[]point{{0, 0, 2, 0.15}, {0, 1, 2, 0.2}, {1, 0, 2, 0.15}, {1, 1, 2, 0.1}}},
		// Half an epoch of 10 steps = 5 warm-up steps.
		{"step with warm-up", ScheduleConfig{Kind: "step", LR: 0.1, StepSize: 30, Gamma: 0.1, WarmupEpochs: 0.5},
			[]point{{0, 0, 10, 0.02}, {0, 2, 10, 0.06}, {0, 4, 10, 0.1}, {0, 5, 10, 0.1}}},
	} {
		s, err := c.cfg.Build()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, p := range c.points {
			if got := s(p.epoch, p.step, p.spe); !(math.Abs(got-p.want) <= 1e-12) {
				t.Errorf("%s: lr(epoch %d, step %d of %d) = %.15g, want %.15g", c.name, p.epoch, p.step, p.spe, got, p.want)
			}
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  ScheduleConfig
		want string
	}{
		{ScheduleConfig{Kind: "linear", LR: 1}, `unknown schedule "linear"`},
		{ScheduleConfig{Kind: "constant"}, "learning rate 0 is not positive"},
		{ScheduleConfig{Kind: "constant", LR: math.NaN()}, "learning rate NaN"},
		{ScheduleConfig{Kind: "cosine", LR: 1, MinLR: 2, Epochs: 3}, "min_lr 2 outside"},
		{ScheduleConfig{Kind: "step", LR: 1, Gamma: 0.1}, "step_size 0"},
		{ScheduleConfig{Kind: "step", LR: 1, StepSize: 3}, "gamma 0 outside"},
		{ScheduleConfig{Kind: "multistep", LR: 1, Gamma: 0.1, Milestones: []int{5, 5}}, "milestones [5 5]"},
		{ScheduleConfig{Kind: "multistep", LR: 1, Gamma: 0.1}, "milestones []"},
		{ScheduleConfig{Kind: "cosine", LR: 1}, "0 epochs"},
		{ScheduleConfig{Kind: "cosine", LR: 1, Epochs: 3, WarmupEpochs: 3}, "3 epochs (with 3 of warm-up)"},
		{ScheduleConfig{Kind: "cyclic", LR: 1, Epochs: 3, Peak: 1}, "peak 1 outside"},
		{ScheduleConfig{Kind: "constant", LR: 1, WarmupEpochs: -1}, "warm-up -1"},
	} {
		_, err := c.cfg.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}
