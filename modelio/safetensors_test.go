package modelio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/tensor"
)

// TestLoadGolden reads a file written by an independent writer
// (testdata/gen_golden.py): every dtype, a scalar, an empty tensor, data in
// another order than the header's, metadata in UTF-8.
func TestLoadGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Tensors map[string]struct {
			Shape []int
			Bits  []uint32
		}
		Metadata map[string]string
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := LoadTensors("testdata/golden.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(ts), len(want.Tensors))
	}
	for name, w := range want.Tensors {
		got := ts[name]
		if got == nil || !tensor.SameShape(got.Shape(), w.Shape) {
			t.Fatalf("%s: %v, want shape %v", name, got, w.Shape)
		}
		for i, v := range got.Data() {
			if math.Float32bits(v) != w.Bits[i] {
				t.Errorf("%s[%d] = %g, want %g", name, i, v, math.Float32frombits(w.Bits[i]))
			}
		}
	}
	if !mapsEqual(meta, want.Metadata) {
		t.Errorf("metadata %v, want %v", meta, want.Metadata)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sampleTensors() map[string]*tensor.Tensor {
	rng := tensor.NewRNG(1)
	nan := tensor.RandN(rng, 0, 1, 3)
	nan.Data()[1] = float32(math.NaN())
	return map[string]*tensor.Tensor{
		"layer1.0.conv1.weight":   tensor.RandN(rng, 0, 1, 4, 3, 3, 3),
		"bn.num_batches_tracked":  tensor.Scalar(7),
		"empty":                   tensor.New(0, 5),
		"fc.bias":                 tensor.RandU(rng, -1, 1, 10),
		"with.nan.and.inf":        nan,
		"normalize.std":           tensor.FromSlice([]float32{0.25, float32(math.Inf(1)), 1e-40}, 3),
		"zzz.unicode.é.allowed":   tensor.Full(-0.0, 2),
		"a.very.long.name.indeed": tensor.RandN(rng, 0, 1, 1, 1, 1, 1, 2),
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.safetensors")
	in := sampleTensors()
	meta := map[string]string{"robustlab": `{"x":1}`, "note": "ok"}
	if err := SaveTensors(path, in, meta); err != nil {
		t.Fatal(err)
	}
	out, gotMeta, err := LoadTensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) || !mapsEqual(gotMeta, meta) {
		t.Fatalf("got %d tensors and %v", len(out), gotMeta)
	}
	for name, w := range in {
		g := out[name]
		if g == nil || !tensor.SameShape(g.Shape(), w.Shape()) {
			t.Fatalf("%s: %v", name, g)
		}
		for i, v := range w.Data() {
			if math.Float32bits(g.Data()[i]) != math.Float32bits(v) {
				t.Fatalf("%s[%d] = %g, want %g (bits differ)", name, i, g.Data()[i], v)
			}
		}
	}
	// Same input, same bytes; the data starts 8-byte aligned.
	first, _ := os.ReadFile(path)
	if err := SaveTensors(path, in, meta); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Fatal("saving the same tensors twice gave different bytes")
	}
	if n := binary.LittleEndian.Uint64(first); n%8 != 0 {
		t.Fatalf("header length %d is not a multiple of 8", n)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the folder holds %d files after saving (temporary files left?)", len(entries))
	}
}

func TestSaveFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.safetensors")
	if err := SaveTensors(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	err := SaveTensors(path, map[string]*tensor.Tensor{"a": tensor.New(2), metadataKey: tensor.New(1)}, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "invalid tensor name") {
		t.Fatalf("saving a reserved name: %v", err)
	}
	after, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || len(entries) != 1 {
		t.Fatal("a failed save damaged the old file or left a temporary file")
	}
	if err := SaveTensors(filepath.Join(dir, "missing", "t.safetensors"), sampleTensors(), nil); err == nil {
		t.Fatal("saving into a missing folder succeeded")
	}
}

// validFile returns the bytes of a small valid file and its header length.
func validFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	ts := map[string]*tensor.Tensor{"a": tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2), "b": tensor.Scalar(5)}
	if err := encode(&b, ts, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withHeader builds a file from a header JSON and data bytes.
func withHeader(js string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), data...)
}

func TestCorruptFiles(t *testing.T) {
	valid := validFile(t)
	data16 := make([]byte, 16)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"header length past the end", binary.LittleEndian.AppendUint64(nil, 1000), "exceeds the file"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, 1<<62), "exceeds the file"},
		{"truncated data", valid[:len(valid)-3], "truncated"},
		{"trailing bytes", append(slices.Clone(valid), 0, 0, 0, 0), "trailing bytes"},
		{"not JSON", withHeader("{nope", nil), "not valid JSON"},
		{"JSON array", withHeader("[1,2]", nil), "not a JSON object"},
		{"binary header", withHeader("\xff\xfe{}", nil), "not a JSON object"},
		{"unknown dtype", withHeader(`{"a":{"dtype":"Q8","shape":[4],"data_offsets":[0,16]}}`, data16), `tensor "a": unsupported dtype "Q8"`},
		{"no shape", withHeader(`{"a":{"dtype":"F32","data_offsets":[0,16]}}`, data16), "no shape"},
		{"negative dim", withHeader(`{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}`, data16), "negative dimension"},
		{"overflowing shape", withHeader(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}`, data16), "more elements than the file has bytes"},
		{"size mismatch", withHeader(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}`, data16), "shape [3] of F32 needs 12"},
		{"offsets outside", withHeader(`{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}`, data16), "outside the 16 bytes"},
		{"reversed offsets", withHeader(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`, data16), "outside"},
		{"overlap", withHeader(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, data16), "overlap or leave a gap"},
		{"gap", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, data16), "overlap or leave a gap"},
		{"metadata not strings", withHeader(`{"__metadata__":{"a":1}}`, nil), "not a map of strings to strings"},
		{"entry not an object", withHeader(`{"a":7}`, nil), `tensor "a": bad header entry`},
	} {
		path := filepath.Join(t.TempDir(), "bad.safetensors")
		if err := os.WriteFile(path, c.file, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadTensors(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and containing %q", c.name, err, c.want)
		}
	}
}

// TestEveryTruncation: no prefix of a valid file loads or panics.
func TestEveryTruncation(t *testing.T) {
	valid := validFile(t)
	for n := range len(valid) {
		if _, _, err := readAll(bytes.NewReader(valid[:n]), int64(n)); err == nil {
			t.Fatalf("a file truncated to %d of %d bytes loaded", n, len(valid))
		}
	}
}

// FuzzSafetensors: the parser never panics or hangs on any input, and what
// it accepts writes back and reads again to the same tensors.
func FuzzSafetensors(f *testing.F) {
	var b bytes.Buffer
	if err := encode(&b, sampleTensors(), map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	golden, err := os.ReadFile("testdata/golden.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:100])
	f.Add(withHeader(`{"a":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, meta, err := readAll(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := encode(&again, ts, meta); err != nil {
			if _, reserved := ts[""]; reserved {
				return // the empty name is legal JSON but not a name robustlab writes
			}
			t.Fatalf("re-encoding an accepted file: %v", err)
		}
		ts2, meta2, err := readAll(bytes.NewReader(again.Bytes()), int64(again.Len()))
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if len(ts2) != len(ts) || !mapsEqual(meta, meta2) {
			t.Fatalf("round trip changed the file: %d -> %d tensors", len(ts), len(ts2))
		}
		for name, t1 := range ts {
			t2 := ts2[name]
			if t2 == nil || !tensor.SameShape(t1.Shape(), t2.Shape()) {
				t.Fatalf("%q: round trip changed the shape", name)
			}
			for i, v := range t1.Data() {
				if math.Float32bits(v) != math.Float32bits(t2.Data()[i]) {
					t.Fatalf("%q[%d]: round trip changed %g to %g", name, i, v, t2.Data()[i])
				}
			}
		}
	})
}
