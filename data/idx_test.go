package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes builds an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// writeMNIST writes a 3-example 4x5 MNIST-format pair into dir.
func writeMNIST(t *testing.T, dir, prefix string, gz bool) ([]byte, []byte) {
	t.Helper()
	pix := make([]byte, 3*4*5)
	for i := range pix {
		pix[i] = byte(i * 4)
	}
	labels := []byte{7, 0, 9}
	files := map[string][]byte{
		prefix + "-images-idx3-ubyte": idxBytes([]int{3, 4, 5}, pix),
		prefix + "-labels-idx1-ubyte": idxBytes([]int{3}, labels),
	}
	for name, b := range files {
		if gz {
			name, b = name+".gz", gzipBytes(b)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pix, labels
}

func TestOpenMNISTFixture(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		pix, labels := writeMNIST(t, dir, "t10k", gz)
		ds, err := Open("mnist:test?root=" + dir)
		if err != nil {
			t.Fatal(err)
		}
		info := ds.Info()
		if ds.Len() != 3 || info.Channels != 1 || info.Height != 4 || info.Width != 5 || len(info.Classes) != 10 || info.HasMask {
			t.Fatalf("gz=%v: len %d info %+v", gz, ds.Len(), info)
		}
		for i := 0; i < 3; i++ {
			ex := get(t, ds, i)
			if ex.Label != int(labels[i]) {
				t.Fatalf("label %d = %d, want %d", i, ex.Label, labels[i])
			}
			for p, v := range ex.Image {
				if want := float32(pix[i*20+p]) / 255; v != want {
					t.Fatalf("example %d pixel %d = %v, want %v", i, p, v, want)
				}
			}
		}
		fds, err := Open("fashion-mnist:test?root=" + dir)
		if err != nil {
			t.Fatal(err)
		}
		if c := fds.Info().Classes; c[9] != "Ankle boot" {
			t.Fatalf("fashion classes %v", c)
		}
	}
}

func TestIDXErrorsNameTheFileAndTheProblem(t *testing.T) {
	good := idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)-2], "truncated"},
		{"short header", good[:6], "file ends"},
		{"empty", nil, "magic"},
		{"wrong magic", append([]byte{0x50, 0x4b, 3, 4}, good[4:]...), "magic number 504b0304"},
		{"float type", append([]byte{0, 0, 0x0d, 2}, good[4:]...), "type 0x0d"},
		{"no dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"extra data", append(slices.Clone(good), 9), "past the 6 bytes"},
		{"huge header", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), "more than"},
		{"corrupt gzip", []byte{0x1f, 0x8b, 0, 0, 1, 2}, "gzip"},
		{"truncated gzip", gzipBytes(good)[:20], "data"},
	} {
		_, err := ReadIDX(bytes.NewReader(tc.data), "/x/"+tc.name+".idx")
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), "/x/"+tc.name+".idx") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q should name the file and say %q", tc.name, err, tc.want)
		}
	}
}

func TestOpenMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", false)
	if _, err := Open("mnist:test?root=" + dir); err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte not found") {
		t.Fatalf("missing test files: %v", err)
	}
	// Labels that do not match the images in number.
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]int{2}, []byte{1, 2}), 0o644)
	if _, err := Open("mnist:train?root=" + dir); err == nil || !strings.Contains(err.Error(), "holds 3 images but") {
		t.Fatalf("count mismatch: %v", err)
	}
	// A label beyond the classes.
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]int{3}, []byte{1, 12, 2}), 0o644)
	if _, err := Open("mnist:train?root=" + dir); err == nil || !strings.Contains(err.Error(), "label 12 of example 1") {
		t.Fatalf("bad label: %v", err)
	}
	// Images that are not 3-D.
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), idxBytes([]int{3, 20}, make([]byte, 60)), 0o644)
	if _, err := Open("mnist:train?root=" + dir); err == nil || !strings.Contains(err.Error(), "want 3 (count, height, width)") {
		t.Fatalf("2-D images: %v", err)
	}
}

// TestRealMNIST reads the real files the way a user's `mnist:train` does:
// from the module cache, fetched there through the go command if missing
// (so on a fresh machine it needs the go command's module proxy).
func TestRealMNIST(t *testing.T) {
	for _, tc := range []struct {
		spec  string
		n     int
		first []int
	}{
		{"mnist:train", 60000, []int{5, 0, 4, 1, 9}},
		{"mnist:test", 10000, []int{7, 2, 1, 0, 4}},
	} {
		ds, err := Open(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != tc.n {
			t.Fatalf("%s: %d examples, want %d", tc.spec, ds.Len(), tc.n)
		}
		for i, want := range tc.first {
			if ex := get(t, ds, i); ex.Label != want {
				t.Fatalf("%s: label %d is %d, want %d", tc.spec, i, ex.Label, want)
			}
		}
		if info := ds.Info(); info.Height != 28 || info.Width != 28 || info.Channels != 1 {
			t.Fatalf("%s: info %+v", tc.spec, info)
		}
	}
}

func TestRealFashionMNIST(t *testing.T) {
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("%s not installed (Debian package dataset-fashion-mnist)", FashionMNISTDir)
	}
	for _, tc := range []struct {
		spec  string
		n     int
		first []int
	}{
		{"fashion-mnist:train", 60000, []int{9, 0, 0, 3, 0}},
		{"fashion-mnist:test", 10000, []int{9, 2, 1, 1, 6}},
	} {
		ds, err := Open(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != tc.n {
			t.Fatalf("%s: %d examples", tc.spec, ds.Len())
		}
		for i, want := range tc.first {
			if ex := get(t, ds, i); ex.Label != want {
				t.Fatalf("%s: label %d is %d, want %d", tc.spec, i, ex.Label, want)
			}
		}
	}
}

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(gzipBytes(idxBytes([]int{1, 2, 2}, []byte{9, 8, 7, 6})))
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 8, 3, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		n := 1
		for _, d := range m.Dims {
			n *= d
		}
		if len(m.Data) != n {
			t.Fatalf("dims %v but %d values", m.Dims, len(m.Data))
		}
	})
}
