package modelio

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

func sampleMeta() Meta {
	return Meta{
		Arch: "resnet8",
		Options: models.Options{Width: 4, Seed: 3,
			Mean: []float32{0.49, 0.48, 0.45}, Std: []float32{0.25, 0.24, 0.26}},
		InputShape: []int{3, 32, 32},
		Classes:    []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		Training: &Training{Regime: "pgd",
			Hyperparameters: json.RawMessage(`{"eps":0.03137254901960784,"steps":7}`)},
		Provenance: Provenance{Version: "test", Data: "shapes:train", Seed: 42,
			Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Epochs: 3,
			Metrics: map[string]float64{"clean_accuracy": 0.875}},
	}
}

// trained returns a model whose tensors differ from a fresh one's (so a
// loader that ignored the file would be caught), batch statistics included.
func trained(t *testing.T, meta Meta) nn.Module {
	t.Helper()
	m, err := models.New(meta.Arch, meta.Options)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	nn.Call(m, tp.Input(tensor.RandU(tensor.NewRNG(9), 0, 1, 4, 3, 32, 32)))
	for _, p := range nn.Parameters(m) {
		p.Value.Value.ScaleInPlace(1.5)
	}
	return m
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := sampleMeta()
	m := trained(t, meta)
	if err := Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := nn.StateDict(m)
	for name, w := range nn.StateDict(got) {
		if !slices.Equal(w.Data(), want[name].Data()) {
			t.Fatalf("%s differs after Save and Load", name)
		}
	}
	if got.Core().Training() {
		t.Error("Load returned a model in training mode")
	}
	resolved, _ := models.Resolve(meta.Arch, meta.Options)
	if gotMeta.Format != FormatVersion || gotMeta.Options.Classes != 10 || gotMeta.Options.Shortcut != resolved.Shortcut ||
		!slices.Equal(gotMeta.Options.Std, meta.Options.Std) || gotMeta.Provenance.Seed != 42 ||
		!gotMeta.Provenance.Time.Equal(meta.Provenance.Time) || gotMeta.Training.Regime != "pgd" ||
		string(gotMeta.Training.Hyperparameters) != string(meta.Training.Hyperparameters) ||
		gotMeta.Provenance.Metrics["clean_accuracy"] != 0.875 || !slices.Equal(gotMeta.Classes, meta.Classes) {
		t.Fatalf("metadata after a round trip: %+v", gotMeta)
	}

	// The loaded model computes what the saved one did (in eval mode).
	nn.SetTraining(m, false)
	x := tensor.RandU(tensor.NewRNG(4), 0, 1, 2, 3, 32, 32)
	tp := autograd.NewTape()
	a, b := nn.Call(m, tp.Input(x)), nn.Call(got, tp.Input(x))
	if !slices.Equal(a.Data(), b.Data()) {
		t.Fatal("the loaded model's logits differ from the saved model's")
	}
}

func TestSaveChecksTheModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := sampleMeta()
	m := trained(t, meta)
	for _, c := range []struct {
		name   string
		modify func(*Meta)
		want   string
	}{
		{"another architecture", func(me *Meta) { me.Arch = "resnet20" }, "is not the resnet20 its metadata names"},
		{"another width", func(me *Meta) { me.Options.Width = 8 }, `has shape [4 3 3 3] in the state dict, [8 3 3 3] in the model`},
		{"class names", func(me *Meta) { me.Classes = me.Classes[:3] }, "3 class names for a model of 10 classes"},
		{"input channels", func(me *Meta) { me.InputShape = []int{1, 32, 32} }, "input shape"},
		{"no input shape", func(me *Meta) { me.InputShape = nil }, "input shape"},
		{"unknown arch", func(me *Meta) { me.Arch = "vgg" }, `unknown architecture "vgg"`},
	} {
		bad := sampleMeta()
		c.modify(&bad)
		err := Save(path, m, bad)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and containing %q", c.name, err, c.want)
		}
	}
}

// writeModelFile writes tensors with raw robustlab metadata, as a corrupt
// or foreign model file would have them.
func writeModelFile(t *testing.T, ts map[string]*tensor.Tensor, metaJSON string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := map[string]string{}
	if metaJSON != "" {
		meta[metaKey] = metaJSON
	}
	if err := SaveTensors(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadErrors(t *testing.T) {
	meta := sampleMeta()
	good := nn.StateDict(trained(t, meta))
	meta.Format = FormatVersion
	goodJSON, _ := json.Marshal(meta)
	with := func(f func(map[string]*tensor.Tensor)) map[string]*tensor.Tensor {
		ts := map[string]*tensor.Tensor{}
		for k, v := range good {
			ts[k] = v.Clone()
		}
		f(ts)
		return ts
	}
	same := func(map[string]*tensor.Tensor) {}
	for _, c := range []struct {
		name     string
		ts       map[string]*tensor.Tensor
		metaJSON string
		want     string
	}{
		{"plain tensors", with(same), "", "not a robustlab model file"},
		{"bad metadata", with(same), `{"arch": 5}`, "robustlab metadata"},
		{"newer format", with(same), strings.Replace(string(goodJSON), `"format":1`, `"format":2`, 1), "metadata format 2"},
		{"unknown arch", with(same), strings.Replace(string(goodJSON), `"resnet8"`, `"resnet9"`, 1), `unknown architecture "resnet9"`},
		{"bad options", with(same), strings.Replace(string(goodJSON), `"classes":0`, `"classes":-3`, 1), "classes -3"},
		{"wrong shape", with(func(ts map[string]*tensor.Tensor) { ts["layer2.0.conv1.weight"] = tensor.New(8, 4, 3, 1) }), string(goodJSON),
			`tensor "layer2.0.conv1.weight" has shape [8 4 3 1] in the state dict, [8 4 3 3] in the model`},
		{"missing tensor", with(func(ts map[string]*tensor.Tensor) { delete(ts, "linear.bias") }), string(goodJSON), `missing "linear.bias"`},
		{"extra tensor", with(func(ts map[string]*tensor.Tensor) { ts["sub_block1.weight"] = tensor.New(1) }), string(goodJSON), `unexpected "sub_block1.weight"`},
		{"NaN weight", with(func(ts map[string]*tensor.Tensor) { ts["conv1.weight"].Data()[3] = float32(math.NaN()) }), string(goodJSON), "NaN or Inf: conv1.weight"},
		{"class names for another head", with(same), strings.Replace(string(goodJSON), `"classes":["a","b","c","d","e","f","g","h","i","j"]`, `"classes":["a","b","c"]`, 1),
			"the metadata names 3 classes, but the model has 10 outputs"},
		{"empty input shape", with(same), inputShape(string(goodJSON), "[3,0,0]"), "input_shape [3 0 0]"},
		{"no input shape", with(same), inputShape(string(goodJSON), "null"), "input_shape []"},
		{"input shape of another model", with(same), inputShape(string(goodJSON), "[1,32,32]"), "input_shape [1 32 32]"},
	} {
		path := writeModelFile(t, c.ts, c.metaJSON)
		_, _, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and containing %q", c.name, err, c.want)
		}
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "none.safetensors")); err == nil || !strings.Contains(err.Error(), "none.safetensors") {
		t.Errorf("missing file: %v", err)
	}
}

// inputShape replaces the input_shape of metadata JSON.
func inputShape(metaJSON, shape string) string {
	i := strings.Index(metaJSON, `"input_shape":`)
	j := i + strings.Index(metaJSON[i:], "]") + 1
	if strings.HasPrefix(metaJSON[i+len(`"input_shape":`):], "null") {
		j = i + len(`"input_shape":null`)
	}
	return metaJSON[:i] + `"input_shape":` + shape + metaJSON[j:]
}

// BenchmarkLoadResNet50 reads a 100 MB model file: header checks, model
// construction (its initialization included) and the tensors.
func BenchmarkLoadResNet50(b *testing.B) {
	path := filepath.Join(b.TempDir(), "resnet50.safetensors")
	meta := Meta{Arch: "resnet50", InputShape: []int{3, 224, 224}}
	m, err := models.New(meta.Arch, meta.Options)
	if err != nil {
		b.Fatal(err)
	}
	if err := Save(path, m, meta); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 * int64(nn.NumParams(m)))
	for b.Loop() {
		if _, _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
