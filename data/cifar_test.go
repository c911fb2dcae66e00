package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// cifarRecord builds one record whose pixel p of channel c is (c*7+p+seed)%256.
func cifarRecord(labels []byte, seed int) []byte {
	r := append([]byte(nil), labels...)
	for c := 0; c < 3; c++ {
		for p := 0; p < 1024; p++ {
			r = append(r, byte((c*7+p+seed)%256))
		}
	}
	return r
}

// cifar10Files returns a small CIFAR-10 folder's files: two records per
// training batch, three in the test batch, and the class-name file.
func cifar10Files() map[string][]byte {
	files := map[string][]byte{}
	for b := 1; b <= 5; b++ {
		files[filepathBase("data_batch_", b)] = append(cifarRecord([]byte{byte(b)}, b), cifarRecord([]byte{byte(9 - b)}, 10+b)...)
	}
	files["test_batch.bin"] = append(append(cifarRecord([]byte{3}, 0), cifarRecord([]byte{8}, 1)...), cifarRecord([]byte{0}, 2)...)
	files["batches.meta.txt"] = []byte(strings.Join(CIFAR10Classes, "\n") + "\n\n")
	return files
}

func filepathBase(prefix string, b int) string { return prefix + string(rune('0'+b)) + ".bin" }

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCIFAR10Fixture(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "cifar-10-batches-bin"), cifar10Files())
	// root may be the parent (as fetch leaves it) or the folder itself.
	for _, r := range []string{root, filepath.Join(root, "cifar-10-batches-bin")} {
		ds, err := Open("cifar10:test?root=" + r)
		if err != nil {
			t.Fatal(err)
		}
		info := ds.Info()
		if ds.Len() != 3 || info.Channels != 3 || info.Height != 32 || info.Classes[8] != "ship" {
			t.Fatalf("len %d info %+v", ds.Len(), info)
		}
		ex := get(t, ds, 1)
		if ex.Label != 8 {
			t.Fatalf("label %d", ex.Label)
		}
		// Channel-major planes: value at (c, p) = (c*7+p+1)%256 / 255.
		for _, cp := range [][2]int{{0, 0}, {0, 1023}, {1, 5}, {2, 600}} {
			want := float32((cp[0]*7+cp[1]+1)%256) / 255
			if got := ex.Image[cp[0]*1024+cp[1]]; got != want {
				t.Fatalf("pixel %v = %v, want %v", cp, got, want)
			}
		}
	}
	train, err := Open("cifar10:train?root=" + root)
	if err != nil {
		t.Fatal(err)
	}
	var labels []int
	for i := 0; i < train.Len(); i++ {
		labels = append(labels, get(t, train, i).Label)
	}
	if want := []int{1, 8, 2, 7, 3, 6, 4, 5, 5, 4}; !equalInts(labels, want) {
		t.Fatalf("train labels %v, want batches 1..5 in order %v", labels, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCIFAR100Fixture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-100-binary")
	fine := make([]string, 100)
	for i := range fine {
		fine[i] = "class" + string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	writeFiles(t, dir, map[string][]byte{
		"test.bin":               append(cifarRecord([]byte{4, 99}, 0), cifarRecord([]byte{19, 3}, 5)...),
		"train.bin":              cifarRecord([]byte{0, 0}, 0),
		"fine_label_names.txt":   []byte(strings.Join(fine, "\n")),
		"coarse_label_names.txt": []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\nr\ns\nt\n"),
	})
	ds, err := Open("cifar100:test?root=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	ex := get(t, ds, 0)
	if ex.Label != 99 || ex.Factors[0] != 4 || ds.Info().Classes[99] != fine[99] || ds.Info().FactorNames[0] != "coarse" {
		t.Fatalf("fine: label %d factors %v", ex.Label, ex.Factors)
	}
	coarse, err := Open("cifar100:test?label=coarse&root=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	ex = get(t, coarse, 1)
	if ex.Label != 19 || ex.Factors[0] != 3 || len(coarse.Info().Classes) != 20 || coarse.Info().Classes[19] != "t" {
		t.Fatalf("coarse: label %d factors %v classes %v", ex.Label, ex.Factors, coarse.Info().Classes)
	}
}

func TestCIFARErrors(t *testing.T) {
	rec := cifarRecord([]byte{3}, 0)
	for _, tc := range []struct {
		name    string
		data    []byte
		classes int
		want    string
	}{
		{"truncated", append(rec, rec[:100]...), 10, "1 full records and 100 bytes over"},
		{"empty", nil, 10, "empty file"},
		{"label", cifarRecord([]byte{10}, 0), 10, "record 0 (byte offset 0) has label 10"},
		{"cifar100 label", append(cifarRecord([]byte{1, 2}, 0), cifarRecord([]byte{25, 2}, 0)...), 100, "record 1 (byte offset 3074) has labels coarse 25"},
		{"cifar10 file read as cifar100", append(rec, rec...), 100, "not a whole number of 3074-byte records"},
	} {
		_, err := ReadCIFAR(bytes.NewReader(tc.data), "/d/"+tc.name+".bin", tc.classes)
		if err == nil || !strings.Contains(err.Error(), "/d/"+tc.name+".bin") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v should name the file and say %q", tc.name, err, tc.want)
		}
	}
	root := t.TempDir()
	if _, err := Open("cifar10:train?root=" + root); err == nil || !strings.Contains(err.Error(), "data_batch_1.bin not found") || !strings.Contains(err.Error(), "data fetch cifar10") {
		t.Fatalf("missing files: %v", err)
	}
	files := cifar10Files()
	files["data_batch_3.bin"] = files["data_batch_3.bin"][:5000]
	writeFiles(t, root, files)
	if _, err := Open("cifar10:train?root=" + root); err == nil || !strings.Contains(err.Error(), "data_batch_3.bin: truncated") {
		t.Fatalf("truncated batch: %v", err)
	}
}

func FuzzCIFAR(f *testing.F) {
	f.Add(cifarRecord([]byte{3}, 0), false)
	f.Add(cifarRecord([]byte{3, 40}, 0), true)
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, b []byte, hundred bool) {
		classes, lb := 10, 1
		if hundred {
			classes, lb = 100, 2
		}
		r, err := ReadCIFAR(bytes.NewReader(b), "fuzz.bin", classes)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.bin") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		n := len(b) / (lb + cifarPixels)
		if len(r.Labels) != n || len(r.Images) != n*cifarPixels || n == 0 {
			t.Fatalf("%d bytes gave %d labels, %d pixel bytes", len(b), len(r.Labels), len(r.Images))
		}
		for _, l := range r.Labels {
			if int(l) >= classes {
				t.Fatalf("label %d accepted", l)
			}
		}
	})
}

// tarGz packs files (name -> content) into a .tar.gz.
func tarGz(t *testing.T, files map[string][]byte, extra ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	for _, h := range extra {
		tw.WriteHeader(h)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func serve(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestFetchDownloadsVerifiesAndExtracts(t *testing.T) {
	archive := tarGz(t, cifar10Files())
	srv, hits := serve(t, archive)
	dir := filepath.Join(t.TempDir(), "cifar10")
	var log bytes.Buffer
	got, err := Fetch(context.Background(), "cifar10", FetchOptions{Dir: dir, URL: srv.URL + "/c.tar.gz", MD5: md5hex(archive), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "cifar-10-batches-bin") {
		t.Fatalf("fetched into %s", got)
	}
	ds, err := Open("cifar10:test?root=" + dir)
	if err != nil || ds.Len() != 3 {
		t.Fatalf("open after fetch: %v", err)
	}
	// Nothing temporary is left beside the data.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("fetch left %d entries in %s", len(entries), dir)
	}
	if !strings.Contains(log.String(), "MD5 ok") {
		t.Fatalf("log %q", log.String())
	}
	// A second fetch finds it there and downloads nothing.
	if _, err := Fetch(context.Background(), "cifar10", FetchOptions{Dir: dir, URL: srv.URL}); err != nil || hits.Load() != 1 {
		t.Fatalf("second fetch: %v, %d requests", err, hits.Load())
	}
}

func TestFetchRejectsBadArchives(t *testing.T) {
	archive := tarGz(t, cifar10Files())
	srv, _ := serve(t, archive)
	dir := t.TempDir()
	// The published MD5 is the default: the fixture does not have it.
	_, err := Fetch(context.Background(), "cifar10", FetchOptions{Dir: dir, URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "does not match the expected c32a1d4ab5d03f1284b67883e8d87530") {
		t.Fatalf("wrong checksum: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed fetch left %v", entries)
	}
	evil := tarGz(t, map[string][]byte{"test_batch.bin": {1}}, &tar.Header{Name: "../../escape.txt", Typeflag: tar.TypeReg, Mode: 0o644})
	srv2, _ := serve(t, evil)
	_, err = Fetch(context.Background(), "cifar10", FetchOptions{Dir: dir, URL: srv2.URL, MD5: md5hex(evil)})
	if err == nil || !strings.Contains(err.Error(), "outside the target folder") {
		t.Fatalf("path traversal: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused archive left %v", entries)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	if _, err := Fetch(context.Background(), "cifar10", FetchOptions{Dir: dir, URL: notFound.URL}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: %v", err)
	}
	if _, err := Fetch(context.Background(), "imagenet", FetchOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), "unknown data set") {
		t.Fatalf("unknown name: %v", err)
	}
	if u, _ := FetchURL("cifar100"); u != "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz" {
		t.Fatalf("cifar100 URL %s", u)
	}
}
