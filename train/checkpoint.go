package train

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/optim"
	"github.com/robustlab/robustlab/tensor"
)

// A checkpoint is one safetensors file: the model's state dict under
// "model.", the optimizer's state under "optim.", and in its metadata the
// number of epochs it holds, the run's generator state, the metrics history
// and, if training stopped early, why.

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch      int                `json:"epoch"`
	LR         float64            `json:"lr"`
	TrainLoss  float64            `json:"train_loss"`
	TrainAcc   float64            `json:"train_accuracy"`
	EvalLoss   *float64           `json:"eval_loss,omitempty"`
	EvalAcc    *float64           `json:"eval_accuracy,omitempty"`
	ImagesPerS float64            `json:"images_per_s"`
	Seconds    float64            `json:"seconds"`
	Extra      map[string]float64 `json:"extra,omitempty"`
	RolledBack bool               `json:"rolled_back,omitempty"`
	Message    string             `json:"message,omitempty"`
}

type checkpoint struct {
	epochs  int // epochs of training the weights hold
	rng     []byte
	history []EpochMetrics
	stopped string
}

func saveCheckpoint(path string, m nn.Module, opt optim.Optimizer, pcg *rand.PCG, c checkpoint) error {
	ts := map[string]*tensor.Tensor{}
	for k, v := range nn.StateDict(m) {
		ts["model."+k] = v
	}
	for k, v := range opt.State() {
		ts["optim."+k] = v
	}
	rng, err := pcg.MarshalBinary()
	if err != nil {
		return err
	}
	hist, err := json.Marshal(c.history)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"epochs":  strconv.Itoa(c.epochs),
		"rng":     base64.StdEncoding.EncodeToString(rng),
		"history": string(hist),
		"stopped": c.stopped,
	}
	return modelio.SaveTensors(path, ts, meta)
}

// loadCheckpoint restores m, opt and pcg from path and returns the rest.
func loadCheckpoint(path string, m nn.Module, opt optim.Optimizer, pcg *rand.PCG) (checkpoint, error) {
	ts, meta, err := modelio.LoadTensors(path)
	if err != nil {
		return checkpoint{}, err
	}
	model, ost := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for k, v := range ts {
		switch {
		case strings.HasPrefix(k, "model."):
			model[strings.TrimPrefix(k, "model.")] = v
		case strings.HasPrefix(k, "optim."):
			ost[strings.TrimPrefix(k, "optim.")] = v
		default:
			return checkpoint{}, fmt.Errorf("checkpoint %s: unexpected tensor %q", path, k)
		}
	}
	var c checkpoint
	if c.epochs, err = strconv.Atoi(meta["epochs"]); err != nil {
		return c, fmt.Errorf("checkpoint %s: bad epochs %q", path, meta["epochs"])
	}
	rng, err := base64.StdEncoding.DecodeString(meta["rng"])
	if err != nil {
		return c, fmt.Errorf("checkpoint %s: bad generator state: %v", path, err)
	}
	if err := json.Unmarshal([]byte(meta["history"]), &c.history); err != nil {
		return c, fmt.Errorf("checkpoint %s: bad metrics history: %v", path, err)
	}
	c.stopped = meta["stopped"]
	if err := nn.LoadStateDict(m, model); err != nil {
		return c, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := opt.LoadState(ost); err != nil {
		return c, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := pcg.UnmarshalBinary(rng); err != nil {
		return c, fmt.Errorf("checkpoint %s: bad generator state: %v", path, err)
	}
	return c, nil
}

// writeMetrics rewrites metrics.jsonl from the history (atomically, so a
// kill never leaves half a line or lines of epochs the checkpoint lacks).
func writeMetrics(path string, hist []EpochMetrics) error {
	var b strings.Builder
	for _, h := range hist {
		line, err := json.Marshal(h)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return atomicfile.WriteFile(path, []byte(b.String()))
}
