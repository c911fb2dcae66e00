package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR-10 and CIFAR-100 in their binary versions (Krizhevsky 2009,
// https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of label
// bytes (CIFAR-10: the class; CIFAR-100: coarse then fine class) followed by
// 3072 pixel bytes, the red, green and blue 32x32 planes in row-major order.

const cifarPixels = 3 * 32 * 32

// CIFAR10Classes are CIFAR-10's class names (also in batches.meta.txt).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// CIFARRecords is the content of one or more CIFAR binary files.
type CIFARRecords struct {
	// Images holds 3072 bytes per record (R, G, B planes of 32x32).
	Images []byte
	// Labels holds the class of each record (CIFAR-100: the fine class).
	Labels []byte
	// Coarse holds CIFAR-100's superclass of each record; nil for CIFAR-10.
	Coarse []byte
}

// ReadCIFAR reads a CIFAR-10 (classes = 10) or CIFAR-100 (classes = 100)
// binary file. name is used in error messages. The file must be a whole
// number of records, and every label must be in range.
func ReadCIFAR(r io.Reader, name string, classes int) (*CIFARRecords, error) {
	labelBytes := 1
	switch classes {
	case 10:
	case 100:
		labelBytes = 2
	default:
		return nil, fmt.Errorf("%s: CIFAR has 10 or 100 classes, not %d", name, classes)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	rec := labelBytes + cifarPixels
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: empty file (want %d-byte CIFAR-%d records)", name, rec, classes)
	}
	if len(raw)%rec != 0 {
		return nil, fmt.Errorf("%s: truncated or not a CIFAR-%d binary file: %d bytes is not a whole number of %d-byte records (%d full records and %d bytes over)",
			name, classes, len(raw), rec, len(raw)/rec, len(raw)%rec)
	}
	n := len(raw) / rec
	out := &CIFARRecords{Images: make([]byte, n*cifarPixels), Labels: make([]byte, n)}
	if classes == 100 {
		out.Coarse = make([]byte, n)
	}
	for i := 0; i < n; i++ {
		r := raw[i*rec : (i+1)*rec]
		if classes == 100 {
			out.Coarse[i], out.Labels[i] = r[0], r[1]
			if r[0] >= 20 || r[1] >= 100 {
				return nil, fmt.Errorf("%s: record %d (byte offset %d) has labels coarse %d, fine %d: want below 20 and 100; is this a CIFAR-100 binary file?", name, i, i*rec, r[0], r[1])
			}
		} else {
			out.Labels[i] = r[0]
			if r[0] >= 10 {
				return nil, fmt.Errorf("%s: record %d (byte offset %d) has label %d, want below 10; is this a CIFAR-10 binary file?", name, i, i*rec, r[0])
			}
		}
		copy(out.Images[i*cifarPixels:], r[labelBytes:])
	}
	return out, nil
}

// CIFAR is a CIFAR-10 or CIFAR-100 split held in memory.
type CIFAR struct {
	name    string
	classes []string
	rec     *CIFARRecords
	coarse  bool // CIFAR-100 with coarse labels
}

// cifarLayout is where a version's files are.
type cifarLayout struct {
	folder      string // inside the archive and the data directory
	train, test []string
	namesFile   string // class names, one per line
	archive     string // file name of the official archive
	md5         string // its published MD5
}

var cifarLayouts = map[int]cifarLayout{
	10: {folder: "cifar-10-batches-bin",
		train:     []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
		test:      []string{"test_batch.bin"},
		namesFile: "batches.meta.txt",
		archive:   "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530"},
	100: {folder: "cifar-100-binary",
		train:     []string{"train.bin"},
		test:      []string{"test.bin"},
		namesFile: "fine_label_names.txt",
		archive:   "cifar-100-binary.tar.gz", md5: "03b5dce01913d631647c71ecec9e9cb8"},
}

// OpenCIFAR reads split "train" or "test" of CIFAR-10 (classes = 10) or
// CIFAR-100 (classes = 100) from root: either the folder holding the .bin
// files or its parent (where `robustlab data fetch` puts it). With coarse,
// CIFAR-100's labels are its 20 superclasses.
func OpenCIFAR(root, split string, classes int, coarse bool, name string) (*CIFAR, error) {
	lay, ok := cifarLayouts[classes]
	if !ok {
		return nil, fmt.Errorf("%s: CIFAR has 10 or 100 classes, not %d", name, classes)
	}
	files := map[string][]string{"train": lay.train, "test": lay.test}[split]
	if files == nil {
		return nil, fmt.Errorf("%s: unknown split %q (want train or test)", name, split)
	}
	dir := root
	if st, err := os.Stat(filepath.Join(root, lay.folder)); err == nil && st.IsDir() {
		dir = filepath.Join(root, lay.folder)
	}
	all := &CIFARRecords{}
	for _, f := range files {
		path := filepath.Join(dir, f)
		fh, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s not found (root=%s should hold %s or its folder %s; `robustlab data fetch cifar%d` downloads it)", name, path, root, strings.Join(files, ", "), lay.folder, classes)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rec, err := ReadCIFAR(bufio.NewReader(fh), path, classes)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		all.Images = append(all.Images, rec.Images...)
		all.Labels = append(all.Labels, rec.Labels...)
		all.Coarse = append(all.Coarse, rec.Coarse...)
	}
	c := &CIFAR{name: name, rec: all, coarse: coarse}
	switch {
	case classes == 10:
		c.classes = readNames(filepath.Join(dir, lay.namesFile), CIFAR10Classes)
	case coarse:
		c.classes = readNames(filepath.Join(dir, "coarse_label_names.txt"), numberedNames(20))
	default:
		c.classes = readNames(filepath.Join(dir, lay.namesFile), numberedNames(100))
	}
	return c, nil
}

// readNames reads one class name per line; if the file is missing or has
// the wrong number of names, it returns def.
func readNames(path string, def []string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	if len(names) != len(def) {
		return def
	}
	return names
}

func numberedNames(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return s
}

// Len implements Dataset.
func (c *CIFAR) Len() int { return len(c.rec.Labels) }

// Info implements Dataset. CIFAR-100 examples carry the other label as a
// factor: "coarse" with fine labels, "fine" with coarse ones.
func (c *CIFAR) Info() Info {
	info := Info{Name: c.name, Classes: append([]string(nil), c.classes...), Channels: 3, Height: 32, Width: 32}
	if c.rec.Coarse != nil {
		info.FactorNames = []string{"coarse"}
		if c.coarse {
			info.FactorNames = []string{"fine"}
		}
	}
	return info
}

// Get implements Dataset.
func (c *CIFAR) Get(i int, ex *Example) error {
	if i < 0 || i >= len(c.rec.Labels) {
		return fmt.Errorf("%s: example %d out of range [0, %d)", c.name, i, len(c.rec.Labels))
	}
	ex.Image = growSlice(ex.Image, cifarPixels)
	bytesToUnit(ex.Image, c.rec.Images[i*cifarPixels:(i+1)*cifarPixels])
	ex.Label = int(c.rec.Labels[i])
	ex.Mask, ex.Factors = ex.Mask[:0], ex.Factors[:0]
	if c.rec.Coarse != nil {
		other := int(c.rec.Coarse[i])
		if c.coarse {
			ex.Label, other = other, ex.Label
		}
		ex.Factors = append(ex.Factors, other)
	}
	return nil
}

func cifarSource(classes int) SourceDoc {
	name := fmt.Sprintf("cifar%d", classes)
	d := SourceDoc{
		Name:    name,
		ArgName: "SPLIT",
		Arg:     "train or test (default train)",
		Keys: []KeyDoc{{Key: "root", Default: "$ROBUSTLAB_DATA/" + name + " (else ~/.cache/robustlab/" + name + ")",
			Help: "folder with the binary version's files, or its parent; `robustlab data fetch " + name + "` downloads them there"}, nKey},
	}
	if classes == 10 {
		d.Help = "CIFAR-10, binary version: 32x32 colour images, 50,000 train / 10,000 test, 10 classes (names from batches.meta.txt)."
		d.Examples = []string{"cifar10:train?root=DIR", "cifar10:test"}
	} else {
		d.Help = "CIFAR-100, binary version: 32x32 colour images, 50,000 train / 10,000 test, 100 fine classes in 20 superclasses (the other label is a factor)."
		d.Keys = append(d.Keys, KeyDoc{Key: "label", Default: "fine", Help: "fine (100 classes) or coarse (20 superclasses)"})
		d.Examples = []string{"cifar100:test?root=DIR", "cifar100:train?label=coarse"}
	}
	d.open = func(s *spec) (Dataset, error) {
		split, err := s.split("train", "train", "test")
		if err != nil {
			return nil, err
		}
		coarse := false
		if classes == 100 {
			l, err := s.choiceKey("label", "fine", "fine", "coarse")
			if err != nil {
				return nil, err
			}
			coarse = l == "coarse"
		}
		root := s.params["root"]
		if root == "" {
			base, err := DefaultDataDir()
			if err != nil {
				return nil, fmt.Errorf("data spec %q: no root= given and %w", s.raw, err)
			}
			root = filepath.Join(base, name)
		}
		return OpenCIFAR(root, split, classes, coarse, s.raw)
	}
	return d
}

// DefaultDataDir is where downloaded data sets live: $ROBUSTLAB_DATA if
// set, else robustlab/ in the user's cache directory (~/.cache/robustlab on
// Linux).
func DefaultDataDir() (string, error) {
	if d := os.Getenv("ROBUSTLAB_DATA"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: set ROBUSTLAB_DATA (%v)", err)
	}
	return filepath.Join(c, "robustlab"), nil
}
