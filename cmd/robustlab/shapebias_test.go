package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/models"
)

// writeStimuli writes a cue-conflict folder with classes a and b whose
// files are named shape-texture (a1-b1.png: shape a, texture b).
func writeStimuli(t *testing.T, dir string, names map[string][]string) {
	t.Helper()
	for class, files := range names {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, name := range files {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			for p := range img.Pix {
				img.Pix[p] = uint8(37*k + 11*p)
			}
			img.Set(0, 0, color.White)
			f, err := os.Create(filepath.Join(dir, class, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

func TestShapeBiasCLI(t *testing.T) {
	dir := t.TempDir()
	model := saveTinyModel(t, dir, "m.safetensors", models.Options{Classes: 2})
	conflict := filepath.Join(dir, "conflict")
	writeStimuli(t, conflict, map[string][]string{"a": {"a1-b1.png", "a2-b2.png"}, "b": {"b1-a1.png"}})
	out, err := runCLI(t, "shapebias", "--model", model, "--stimuli", "cue-conflict:"+conflict)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if r["shape"].(float64)+r["texture"].(float64)+r["neither"].(float64) != 3 || r["model"] != model {
		t.Fatalf("output %s", out)
	}
	// Stimuli whose every image has one class for both cues measure no
	// shape bias: an error, not 0.5.
	agree := filepath.Join(dir, "agree")
	writeStimuli(t, agree, map[string][]string{"a": {"a1-a2.png"}, "b": {"b1-b2.png"}})
	out, err = runCLI(t, "shapebias", "--model", model, "--stimuli", "cue-conflict:"+agree)
	if err == nil || !strings.Contains(err.Error(), "no cue-conflict images") {
		t.Fatalf("stimuli without conflicts: %q, %v", out, err)
	}
}
