package modelio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
)

// FormatVersion is the version of the metadata layout Save writes; Load
// refuses files from a newer one.
const FormatVersion = 1

// metaKey is the safetensors metadata entry holding Meta as JSON.
const metaKey = "robustlab"

// Meta is what a model file says about its model.
type Meta struct {
	// Format is the metadata layout's version (Save sets FormatVersion).
	Format int `json:"format"`
	// Arch and Options rebuild the model with models.New; Options holds the
	// input normalization (Mean, Std). Save records them resolved.
	Arch    string         `json:"arch"`
	Options models.Options `json:"options"`
	// InputShape is [C, H, W] of the images the model was trained on.
	InputShape []int `json:"input_shape"`
	// Classes names the outputs, if known; len(Classes) = Options.Classes.
	Classes []string `json:"classes,omitempty"`
	// Training says how the model was trained, if it was.
	Training *Training `json:"training,omitempty"`
	// Provenance says where the model comes from.
	Provenance Provenance `json:"provenance"`
}

// Training is a training regime and its settings.
type Training struct {
	// Regime names it ("standard", "pgd", "fgsm-rs", "trades", "noise", ...).
	Regime string `json:"regime"`
	// Hyperparameters are the regime's settings (eps, steps, optimizer,
	// schedule, ...) as the training package writes them.
	Hyperparameters json.RawMessage `json:"hyperparameters,omitempty"`
}

// Provenance records where a model comes from.
type Provenance struct {
	// Version is the robustlab version that trained or imported the model.
	Version string `json:"version,omitempty"`
	// Data is the data spec it was trained on ("shapes:train", ...).
	Data string `json:"data,omitempty"`
	// Seed is the training run's seed.
	Seed uint64 `json:"seed"`
	// Time is when the file was written.
	Time time.Time `json:"time"`
	// Epochs is the number of epochs trained.
	Epochs int `json:"epochs,omitempty"`
	// Metrics are the final metrics by name ("clean_accuracy", ...).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Source is where an imported model came from (a file name or URL).
	Source string `json:"source,omitempty"`
}

// Save writes model with meta to path (atomically, see SaveTensors). It
// checks first that model is the architecture meta names, tensor for
// tensor, so that Load can rebuild it; it records the options resolved.
func Save(path string, model nn.Module, meta Meta) error {
	fail := func(err error) error { return fmt.Errorf("modelio: save %s: %w", path, err) }
	o, err := models.Resolve(meta.Arch, meta.Options)
	if err != nil {
		return fail(err)
	}
	meta.Options, meta.Format = o, FormatVersion
	if err := models.CheckInput(meta.Arch, o, meta.InputShape); err != nil {
		return fail(fmt.Errorf("input shape: %w", err))
	}
	if len(meta.Classes) != 0 && len(meta.Classes) != o.Classes {
		return fail(fmt.Errorf("%d class names for a model of %d classes", len(meta.Classes), o.Classes))
	}
	fresh, err := models.New(meta.Arch, o)
	if err != nil {
		return fail(err)
	}
	sd := nn.StateDict(model)
	if err := nn.LoadStateDict(fresh, sd); err != nil {
		return fail(fmt.Errorf("the model is not the %s its metadata names: %w", meta.Arch, err))
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return fail(err)
	}
	return SaveTensors(path, sd, map[string]string{metaKey: string(js)})
}

// Load reads a model file written by Save: it rebuilds the architecture
// from the metadata, loads every tensor after checking names and shapes,
// and returns the model in evaluation mode (attacks and saliency need it;
// a training loop switches it back). Every error names the file, and a
// tensor error names the tensor and both shapes.
func Load(path string) (nn.Module, Meta, error) {
	var meta Meta
	fail := func(err error) (nn.Module, Meta, error) {
		return nil, meta, fmt.Errorf("modelio: load %s: %w", path, err)
	}
	ts, fileMeta, err := LoadTensors(path)
	if err != nil {
		return nil, meta, err
	}
	raw, ok := fileMeta[metaKey]
	if !ok {
		return fail(fmt.Errorf("no %q metadata: not a robustlab model file (LoadTensors reads plain tensors)", metaKey))
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	if err := dec.Decode(&meta); err != nil {
		return fail(fmt.Errorf("robustlab metadata: %w", err))
	}
	if meta.Format < 1 || meta.Format > FormatVersion {
		return fail(fmt.Errorf("metadata format %d; this robustlab reads format 1 to %d", meta.Format, FormatVersion))
	}
	// What Save checked: a file written otherwise (by hand, by another
	// tool, or damaged) must not load with metadata that contradicts it.
	o, err := models.Resolve(meta.Arch, meta.Options)
	if err != nil {
		return fail(err)
	}
	if len(meta.InputShape) != 3 || slices.Min(meta.InputShape) < 1 {
		return fail(fmt.Errorf("metadata input_shape %v: want [C H W] with every size at least 1", meta.InputShape))
	}
	if err := models.CheckInput(meta.Arch, o, meta.InputShape); err != nil {
		return fail(fmt.Errorf("metadata input_shape %v: %w", meta.InputShape, err))
	}
	if len(meta.Classes) != 0 && len(meta.Classes) != o.Classes {
		return fail(fmt.Errorf("the metadata names %d classes, but the model has %d outputs", len(meta.Classes), o.Classes))
	}
	m, err := models.New(meta.Arch, meta.Options)
	if err != nil {
		return fail(err)
	}
	if err := nn.LoadStateDict(m, ts); err != nil {
		return fail(fmt.Errorf("tensors do not fit %s: %w", meta.Arch, err))
	}
	var bad []string
	for name, t := range ts {
		if !t.AllFinite() {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fail(fmt.Errorf("tensors holding NaN or Inf: %s", strings.Join(bad, ", ")))
	}
	nn.SetTraining(m, false)
	return m, meta, nil
}
