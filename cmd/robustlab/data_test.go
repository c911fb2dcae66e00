package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI executes the CLI with args and returns stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	defer root.SetArgs(nil)
	err := root.Execute()
	return out.String(), err
}

func TestDataInfoPrintsOneJSONLine(t *testing.T) {
	out, err := runCLI(t, "data", "info", "shapes:texture-only?n=25&size=48")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	var info struct {
		Len         int      `json:"len"`
		Classes     []string `json:"classes"`
		Shape       []int    `json:"shape"`
		FirstLabels []int    `json:"first_labels"`
		HasMask     bool     `json:"has_mask"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.Len != 25 || len(info.Classes) != 10 || info.Shape[0] != 3 || info.Shape[1] != 48 || len(info.FirstLabels) != 10 || info.FirstLabels[3] != 3 || !info.HasMask {
		t.Fatalf("info %+v", info)
	}
	if _, err := runCLI(t, "data", "info", "shapes:train?colour=red"); err == nil || !strings.Contains(err.Error(), `unknown key "colour"`) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestDataShowWritesAGrid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.png")
	if _, err := runCLI(t, "data", "show", "shapes:silhouette", "--n", "8", "--cols", "4", "--out", path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 4 columns of 96-pixel cells (32x32 enlarged 3x), 2 rows.
	if b := img.Bounds(); b.Dx() < 4*96 || b.Dy() < 2*96 || b.Dx() > 4*110 {
		t.Fatalf("grid is %v", b)
	}
}

func TestDataSkipBadFlag(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "bad.png"), []byte("not a png"), 0o644)
	if _, err := runCLI(t, "data", "info", "folder:"+dir); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Fatalf("unreadable file without --skip-bad: %v", err)
	}
	_, err := runCLI(t, "data", "info", "--skip-bad", "folder:"+dir)
	dataFlags.skipBad = false
	if err == nil || !strings.Contains(err.Error(), "all 1 image files") {
		t.Fatalf("all files unreadable with --skip-bad: %v", err)
	}
}

func TestBenchDataReportsImagesPerSecond(t *testing.T) {
	out, err := runCLI(t, "bench", "data", "shapes:train?n=300", "--seconds", "0.05", "--batch", "64")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		ImagesPerS float64 `json:"images_per_s"`
		Images     int     `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Images < 64 || r.ImagesPerS <= 0 {
		t.Fatalf("bench: %s", out)
	}
}

func TestDataFetchFlags(t *testing.T) {
	// A tiny archive in the official layout: one CIFAR-10 test record.
	rec := make([]byte, 1+3072)
	rec[0] = 4
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/test_batch.bin", Mode: 0o644, Size: int64(len(rec)), Typeflag: tar.TypeReg})
	tw.Write(rec)
	tw.Close()
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(buf.Bytes()) }))
	defer srv.Close()
	sum := md5.Sum(buf.Bytes())
	dir := t.TempDir()
	defer func() { dataFlags.dir, dataFlags.url, dataFlags.md5 = "", "", "" }()
	if _, err := runCLI(t, "data", "fetch", "cifar10", "--dir", dir, "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("fixture archive accepted without its MD5: %v", err)
	}
	out, err := runCLI(t, "data", "fetch", "cifar10", "--dir", dir, "--url", srv.URL, "--md5", hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != filepath.Join(dir, "cifar-10-batches-bin") {
		t.Fatalf("fetch printed %q", out)
	}
	info, err := runCLI(t, "data", "info", "cifar10:test?root="+dir)
	if err != nil || !strings.Contains(info, `"len":1`) || !strings.Contains(info, `"first_labels":[4]`) {
		t.Fatalf("info after fetch: %s %v", info, err)
	}
}
