package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// small returns options that make every architecture cheap to build.
func small(name string) Options {
	switch name {
	case "wrn":
		return Options{Depth: 10, Width: 1}
	case "resnet18", "resnet50", "preact-resnet18":
		return Options{Width: 8, Classes: 10}
	}
	return Options{}
}

func inputShape(name string) []int {
	if name == "madry-mnist" || name == "wong-mnist" {
		return []int{2, 1, 28, 28}
	}
	return []int{2, 3, 32, 32}
}

func TestNames(t *testing.T) {
	want := []string{"madry-mnist", "preact-resnet18", "resnet110", "resnet18", "resnet20", "resnet32",
		"resnet44", "resnet50", "resnet56", "resnet8", "smallcnn", "wong-mnist", "wrn"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

// TestEveryArchitecture builds each architecture, runs it, and checks what
// callers rely on: logits of the right shape, a FeatureLayer that exists,
// every submodule run through nn.Call (so hooks and captures see it), and
// the same weights from the same seed.
func TestEveryArchitecture(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			o := small(name)
			o.Seed = 5
			m, err := New(name, o)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Describe(name)
			if err != nil || info.Doc == "" {
				t.Fatalf("Describe: %+v, %v", info, err)
			}
			capture, err := nn.NewCapture(m, info.FeatureLayer)
			if err != nil {
				t.Fatalf("feature layer: %v", err)
			}
			ran := map[string]bool{}
			for _, sub := range nn.Modules(m)[1:] {
				nn.OnForward(sub.Value, func(*autograd.Var) { ran[sub.Name] = true })
			}
			shape := inputShape(name)
			if err := CheckInput(name, o, shape[1:]); err != nil {
				t.Fatal(err)
			}
			tp := autograd.NewTape()
			out := nn.Call(m, tp.Input(tensor.RandU(tensor.NewRNG(1), 0, 1, shape...)))
			if !tensor.SameShape(out.Shape(), []int{2, 10}) || !out.Value.AllFinite() {
				t.Fatalf("logits %v", out.Value)
			}
			if capture.Out == nil || capture.Out.Value.NDim() != 4 {
				t.Fatalf("feature layer %q captured %v", info.FeatureLayer, capture.Out)
			}
			for _, sub := range nn.Modules(m)[1:] {
				if !ran[sub.Name] {
					t.Errorf("submodule %q did not run through nn.Call", sub.Name)
				}
			}

			again, _ := New(name, o)
			o.Seed = 6
			other, _ := New(name, o)
			a, b, c := nn.StateDict(m), nn.StateDict(again), nn.StateDict(other)
			differs := false
			for _, p := range nn.Parameters(again) {
				if !slices.Equal(p.Value.Data(), b[p.Name].Data()) {
					t.Fatalf("%s differs between two models from the same seed", p.Name)
				}
				if !slices.Equal(a[p.Name].Data(), c[p.Name].Data()) {
					differs = true
				}
			}
			if !differs {
				t.Error("seeds 5 and 6 give the same weights")
			}
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	o, err := Resolve("resnet20", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Classes != 10 || o.InChannels != 3 || o.Width != 16 || o.Shortcut != "A" || o.Depth != 0 ||
		!slices.Equal(o.Mean, []float32{0, 0, 0}) || !slices.Equal(o.Std, []float32{1, 1, 1}) {
		t.Fatalf("resolved %+v", o)
	}
	again, err := Resolve("resnet20", o)
	if err != nil || !slices.Equal(again.Std, o.Std) || again.Width != o.Width || again.Shortcut != o.Shortcut {
		t.Fatalf("Resolve is not idempotent: %+v, %v", again, err)
	}
	if o, _ := Resolve("madry-mnist", Options{}); o.InChannels != 1 || len(o.Mean) != 1 {
		t.Fatalf("madry-mnist resolved %+v", o)
	}
	if o, _ := Resolve("resnet50", Options{}); o.Classes != 1000 {
		t.Fatalf("resnet50 resolved %+v", o)
	}
	if o, _ := Resolve("wrn", Options{}); o.Depth != 28 || o.Width != 10 {
		t.Fatalf("wrn resolved %+v", o)
	}
	mean := []float32{0.5, 0.5, 0.5}
	o, _ = Resolve("resnet8", Options{Mean: mean, Std: []float32{1, 2, 3}})
	mean[0] = 7
	if o.Mean[0] != 0.5 {
		t.Fatal("Resolve aliases the caller's Mean")
	}
}

func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"resnet21", Options{}, `unknown architecture "resnet21" (known: madry-mnist,`},
		{"resnet20", Options{Classes: -1}, "classes -1"},
		{"resnet20", Options{Depth: 32}, "no depth option"},
		{"resnet20", Options{Shortcut: "C"}, `shortcut "C"`},
		{"resnet20", Options{Dropout: 0.1}, "no dropout option"},
		{"resnet20", Options{Width: 1 << 20}, "width 1048576 outside"},
		{"madry-mnist", Options{Width: 2}, "no width option"},
		{"resnet50", Options{Shortcut: "A"}, "no shortcut option"},
		{"wrn", Options{Depth: 20}, "depth 20 is not 6n+4"},
		{"wrn", Options{Dropout: 1}, "dropout 1 outside"},
		{"wrn", Options{Width: 100}, "widen factor 100 above 64"},
		{"resnet8", Options{Mean: []float32{0.5}, Std: []float32{0.2}}, "1 means and 1 standard deviations for 3 input channels"},
		{"resnet8", Options{Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, "channel 1: mean 0 and std 0"},
		{"resnet8", Options{InChannels: 100}, "input channels 100"},
	} {
		_, err := New(c.name, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q, %+v) = %v, want an error containing %q", c.name, c.o, err, c.want)
		}
	}
}

func TestCheckInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		o     Options
		shape []int
		want  string // "" for no error
	}{
		{"madry-mnist", Options{}, []int{1, 28, 28}, ""},
		{"madry-mnist", Options{}, []int{1, 32, 32}, "takes 28x28 images, got 32x32"},
		{"madry-mnist", Options{}, []int{3, 28, 28}, "built for 1-channel images, got 3"},
		{"resnet20", Options{}, []int{3, 64, 48}, ""},
		{"resnet20", Options{}, []int{32, 32}, "shape [C H W], got [32 32]"},
		{"smallcnn", Options{}, []int{3, 3, 8}, "at least 4x4, got 3x8"},
		{"nope", Options{}, []int{3, 8, 8}, "unknown architecture"},
	} {
		err := CheckInput(c.name, c.o, c.shape)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckInput(%s, %v) = %v, want %q", c.name, c.shape, err, c.want)
		}
	}
}

// TestNormalizeBuffersFromOptions: a model carries its normalization.
func TestNormalizeBuffersFromOptions(t *testing.T) {
	m, err := New("resnet8", Options{Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.4, 0.5, 0.6}})
	if err != nil {
		t.Fatal(err)
	}
	sd := nn.StateDict(m)
	if !slices.Equal(sd["normalize.mean"].Data(), []float32{0.1, 0.2, 0.3}) ||
		!slices.Equal(sd["normalize.std"].Data(), []float32{0.4, 0.5, 0.6}) {
		t.Fatalf("normalize buffers %v %v", sd["normalize.mean"], sd["normalize.std"])
	}
	if first := nn.Modules(m)[1]; first.Name != "normalize" {
		t.Fatalf("first submodule is %q", first.Name)
	}
}

// TestWRNDropout: dropout sits in every block, draws from the model's
// seeded generator, and is off in evaluation mode.
func TestWRNDropout(t *testing.T) {
	o := Options{Depth: 10, Width: 1, Dropout: 0.3, Seed: 1}
	x := tensor.RandU(tensor.NewRNG(2), 0, 1, 2, 3, 16, 16)
	run := func(m nn.Module) []float32 {
		tp := autograd.NewTape()
		return slices.Clone(nn.Call(m, tp.Input(x)).Data())
	}
	a, _ := New("wrn", o)
	b, _ := New("wrn", o)
	if d, err := nn.Lookup(a, "block2.layer.0.dropout"); err != nil || d.(*nn.Dropout).P != 0.3 {
		t.Fatalf("block2.layer.0.dropout: %v %v", d, err)
	}
	trainA, trainB := run(a), run(b)
	if !slices.Equal(trainA, trainB) {
		t.Fatal("two models from the same seed drew different dropout masks")
	}
	if slices.Equal(run(a), trainA) {
		t.Fatal("a second training forward drew the same masks")
	}
	nn.SetTraining(a, false)
	if first := run(a); !slices.Equal(first, run(a)) {
		t.Fatal("evaluation mode is not deterministic")
	}
	plain, _ := New("wrn", Options{Depth: 10, Width: 1, Seed: 1})
	withDropout := nn.StateDict(b)
	for name, w := range nn.StateDict(plain) {
		if !slices.Equal(w.Data(), withDropout[name].Data()) && !strings.Contains(name, "running") && !strings.Contains(name, "num_batches") {
			t.Fatalf("adding dropout changed the initial %s", name)
		}
	}
}
