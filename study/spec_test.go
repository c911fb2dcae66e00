package study

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecFiles(t *testing.T) {
	// The shipped example is the quick preset written out.
	ex, err := LoadSpec("quick", "../examples/study.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ex.YAML(), quickSpec().YAML()) {
		t.Fatal("examples/study.yaml differs from the quick preset; regenerate it with robustlab study --print-spec")
	}
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "s.yaml")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	s, err := LoadSpec("quick", write("train: {epochs: 3}\n"))
	if err != nil || s.Train.Epochs != 3 || len(s.Models) != 5 || s.Train.N != quickSpec().Train.N {
		t.Fatalf("an overlay must change only what it names: %+v, %v", s.Train, err)
	}
	for text, want := range map[string]string{
		"train: {epoch: 3}\n":                          "epoch",
		"eval: {robust: {eps: [\"8/0\"]}}\n":           "8/0",
		"models: [{name: a, regime: {name: magic}}]\n": "magic",
		"models: [{name: a}, {name: a}]\n":             "used twice",
		"eval: {noise: {families: [fog]}}\n":           "fog",
		"eval: {saliency: {methods: [integrated]}}\n":  "integrated",
		"arch: nosuchnet\n":                            "nosuchnet",
		"image_size: 8\n":                              "image_size",
	} {
		if _, err := LoadSpec("quick", write(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("spec %q: want an error naming %q, got %v", text, want, err)
		}
	}
	if _, err := LoadSpec("huge", ""); err == nil {
		t.Error("unknown preset must be an error")
	}
}
