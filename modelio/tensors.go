// Package modelio reads and writes robustlab's native model files:
// safetensors files (the format of Hugging Face's safetensors: a JSON
// header, then raw little-endian tensor data; no code runs on load) with
// robustlab's metadata in the header, so that a model file says what
// architecture it is, how it normalizes its inputs, how it was trained and
// from what. Save writes atomically; Load rebuilds the architecture and
// checks every tensor. SaveTensors and LoadTensors read and write plain
// named tensors (optimizer state in training checkpoints).
package modelio

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/robustlab/robustlab/internal/atomicfile"
	"github.com/robustlab/robustlab/tensor"
)

// SaveTensors writes tensors and string metadata to path as a safetensors
// file, atomically: to a temporary file in the same folder, synced, then
// renamed over path, so that a crash leaves the old file or the new one,
// never half of one. The bytes depend only on the tensors and metadata.
func SaveTensors(path string, tensors map[string]*tensor.Tensor, meta map[string]string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("modelio: %w", err)
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := encode(bw, tensors, meta); err != nil {
		return fmt.Errorf("modelio: save %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("modelio: save %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("modelio: %w", err)
	}
	return nil
}

// LoadTensors reads every tensor of a safetensors file (converted to
// float32) and its metadata. A truncated or corrupt file is an error that
// names the file and what is wrong.
func LoadTensors(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("modelio: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("modelio: %w", err)
	}
	ts, meta, err := readAll(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("modelio: load %s: %w", path, err)
	}
	return ts, meta, nil
}

// readAll parses a safetensors file of size bytes and reads its tensors.
func readAll(r io.ReaderAt, size int64) (map[string]*tensor.Tensor, map[string]string, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return nil, nil, err
	}
	ts := make(map[string]*tensor.Tensor, len(h.names))
	for _, name := range h.names {
		t, err := h.readTensor(r, h.entries[name])
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		ts[name] = t
	}
	return ts, h.meta, nil
}
