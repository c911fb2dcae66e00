// Command dumpimages writes the first N images of a robustlab data spec,
// and their labels, as NumPy .npy files, so that the PyTorch peers of the
// benchmarks (bench/autoattack_parity.py) attack exactly the float32
// images robustlab attacks: images.npy is float32 [N,C,H,W] in [0,1],
// labels.npy int64 [N].
//
//	go run ./bench/dumpimages --data 'shapes:test?size=32' --n 1000 --out DIR
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/internal/atomicfile"
)

func main() {
	spec := flag.String("data", "", "data spec (required), e.g. shapes:test?size=32")
	n := flag.Int("n", 1000, "number of images (the first N)")
	out := flag.String("out", "", "folder for images.npy and labels.npy (required)")
	flag.Parse()
	if err := run(*spec, *n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dumpimages:", err)
		os.Exit(1)
	}
}

func run(spec string, n int, out string) error {
	if spec == "" || out == "" || n < 1 {
		return fmt.Errorf("--data, --out and --n >= 1 are required")
	}
	ds, err := data.Open(spec)
	if err != nil {
		return err
	}
	ds = data.First(ds, n)
	info := ds.Info()
	loader, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: 256})
	if err != nil {
		return err
	}
	ep := loader.Epoch(context.Background(), 0)
	defer ep.Close()
	var pix bytes.Buffer
	var labels []int64
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for _, v := range b.Images.Data() {
			binary.Write(&pix, binary.LittleEndian, math.Float32bits(v))
		}
		for _, y := range b.Labels {
			labels = append(labels, int64(y))
		}
		b.Release()
	}
	if len(labels) == 0 {
		return fmt.Errorf("%s: no images", spec)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shape := fmt.Sprintf("(%d, %d, %d, %d)", len(labels), info.Channels, info.Height, info.Width)
	if err := writeNPY(filepath.Join(out, "images.npy"), "<f4", shape, pix.Bytes()); err != nil {
		return err
	}
	var lb bytes.Buffer
	binary.Write(&lb, binary.LittleEndian, labels)
	if err := writeNPY(filepath.Join(out, "labels.npy"), "<i8", fmt.Sprintf("(%d,)", len(labels)), lb.Bytes()); err != nil {
		return err
	}
	fmt.Printf("wrote %d images %s of %s to %s\n", len(labels), shape, spec, out)
	return nil
}

// writeNPY writes a .npy file (format version 1.0): the magic string, a
// header dictionary padded with spaces to a multiple of 64 bytes, the data.
func writeNPY(path, descr, shape string, payload []byte) error {
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	buf.Write(payload)
	return atomicfile.WriteFile(path, buf.Bytes())
}
