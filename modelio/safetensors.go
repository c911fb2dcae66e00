package modelio

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/robustlab/robustlab/tensor"
)

// The safetensors format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length n, a JSON object of n bytes, then the tensor
// data. The header maps each tensor's name to its dtype, shape and
// data_offsets [begin, end) relative to the data; the optional entry
// "__metadata__" maps strings to strings. Data is little-endian, C order.
//
// robustlab writes float32 ("F32") tensors, in name order, with the header
// padded with spaces to a multiple of 8 bytes (as the reference writer does,
// so the data is aligned). It reads F32 and also F64, F16, BF16, I64 and
// I32 tensors, converted to float32, so that files exported by other tools
// (a num_batches_tracked in int64, half-precision weights) load.
//
// The reader checks everything a corrupt or hostile file could get wrong
// before it allocates: the header length against a limit and the file
// size, the JSON, every dtype, shape and offset, and that the tensors tile
// the data exactly (no gaps, no overlaps, nothing after the last).
//
// github.com/nlpodyssey/safetensors was considered: it deserializes from
// one []byte holding the whole file and hands out raw byte views, so
// robustlab would still write the float32 conversion and its own checks
// around it, and hold every model file twice in memory while loading. The
// format is small enough that reading it with io.ReaderAt here is less
// code than that glue.

// maxHeader bounds the JSON header (the reference implementation's limit).
const maxHeader = 100_000_000

const metadataKey = "__metadata__"

// dtypeSize gives the bytes per element of the dtypes the reader accepts.
var dtypeSize = map[string]int64{"F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}

// entry is one tensor's header record.
type entry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// header is a parsed and checked header: where each tensor lies.
type header struct {
	meta    map[string]string
	entries map[string]entry
	names   []string // sorted by data offset
	data    int64    // offset of the data in the file
}

// readHeader parses and checks the header of a safetensors file of size
// bytes read through r.
func readHeader(r io.ReaderAt, size int64) (*header, error) {
	if size < 8 {
		return nil, fmt.Errorf("file of %d bytes is too short for a safetensors header", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("read header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeader || int64(n) > size-8 {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes) or the limit of %d bytes: not a safetensors file, or truncated", n, size, maxHeader)
	}
	raw := make([]byte, n)
	if _, err := r.ReadAt(raw, 8); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if !utf8.Valid(raw) || !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
		return nil, errors.New("header is not a JSON object: not a safetensors file")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("header is not valid JSON: %w", err)
	}
	h := &header{entries: map[string]entry{}, data: 8 + int64(n)}
	dataLen := size - h.data
	for name, v := range fields {
		if name == metadataKey {
			if err := json.Unmarshal(v, &h.meta); err != nil {
				return nil, fmt.Errorf("%s is not a map of strings to strings: %w", metadataKey, err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("tensor %q: bad header entry: %w", name, err)
		}
		if err := e.check(dataLen); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.entries[name] = e
		h.names = append(h.names, name)
	}
	slices.SortFunc(h.names, func(a, b string) int {
		ea, eb := h.entries[a].DataOffsets, h.entries[b].DataOffsets
		return cmp.Or(cmp.Compare(ea[0], eb[0]), cmp.Compare(ea[1], eb[1]), strings.Compare(a, b))
	})
	var end int64
	for _, name := range h.names {
		e := h.entries[name]
		if e.DataOffsets[0] != end {
			return nil, fmt.Errorf("tensor %q starts at data offset %d, expected %d: tensors overlap or leave a gap", name, e.DataOffsets[0], end)
		}
		end = e.DataOffsets[1]
	}
	if end != dataLen {
		return nil, fmt.Errorf("tensors cover %d bytes of data, the file holds %d: truncated or trailing bytes", end, dataLen)
	}
	return h, nil
}

// check validates an entry against the data length, without overflow.
func (e entry) check(dataLen int64) error {
	size, ok := dtypeSize[e.Dtype]
	if !ok {
		return fmt.Errorf("unsupported dtype %q (robustlab reads F32, F64, F16, BF16, I64, I32)", e.Dtype)
	}
	if e.Shape == nil {
		return errors.New("no shape")
	}
	if slices.ContainsFunc(e.Shape, func(d int64) bool { return d < 0 }) {
		return fmt.Errorf("negative dimension in shape %v", e.Shape)
	}
	numel := int64(1)
	if slices.Contains(e.Shape, 0) {
		numel = 0
	}
	for _, d := range e.Shape {
		if numel == 0 {
			break
		}
		if numel > dataLen/d {
			return fmt.Errorf("shape %v holds more elements than the file has bytes", e.Shape)
		}
		numel *= d
	}
	b, end := e.DataOffsets[0], e.DataOffsets[1]
	if b < 0 || end < b || end > dataLen {
		return fmt.Errorf("data offsets [%d, %d) outside the %d bytes of data (truncated file?)", b, end, dataLen)
	}
	if end-b != numel*size {
		return fmt.Errorf("data offsets [%d, %d) hold %d bytes, shape %v of %s needs %d", b, end, end-b, e.Shape, e.Dtype, numel*size)
	}
	return nil
}

// readTensor reads and converts the tensor of e.
func (h *header) readTensor(r io.ReaderAt, e entry) (*tensor.Tensor, error) {
	raw := make([]byte, e.DataOffsets[1]-e.DataOffsets[0])
	// ReadAt may report io.EOF with a full read that ends at the end of
	// the file (and some readers do for an empty read there).
	if n, err := r.ReadAt(raw, h.data+e.DataOffsets[0]); n < len(raw) {
		return nil, err
	}
	shape := make([]int, len(e.Shape))
	for i, d := range e.Shape {
		shape[i] = int(d)
	}
	t := tensor.New(shape...)
	decode(e.Dtype, raw, t.Data())
	return t, nil
}

// decode converts little-endian raw elements of dtype to float32.
func decode(dtype string, raw []byte, out []float32) {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case "F16":
		for i := range out {
			out[i] = halfToFloat(le.Uint16(raw[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
	case "I64":
		for i := range out {
			out[i] = float32(int64(le.Uint64(raw[8*i:])))
		}
	case "I32":
		for i := range out {
			out[i] = float32(int32(le.Uint32(raw[4*i:])))
		}
	}
}

// halfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// encode writes tensors (as F32, in name order) and meta in the
// safetensors format.
func encode(w io.Writer, tensors map[string]*tensor.Tensor, meta map[string]string) error {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if name == "" || name == metadataKey {
			return fmt.Errorf("invalid tensor name %q", name)
		}
		if t == nil {
			return fmt.Errorf("tensor %q is nil", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	fields := map[string]any{}
	if len(meta) > 0 {
		fields[metadataKey] = meta
	}
	var off int64
	for _, name := range names {
		t := tensors[name]
		shape := make([]int64, t.NDim())
		for i, d := range t.Shape() {
			shape[i] = int64(d)
		}
		n := 4 * int64(t.Len())
		fields[name] = entry{Dtype: "F32", Shape: shape, DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	js = append(js, bytes.Repeat([]byte{' '}, (8-len(js)%8)%8)...)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, name := range names {
		for _, v := range tensors[name].Data() {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	_, err = w.Write(buf)
	return err
}
