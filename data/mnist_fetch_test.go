package data

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestGoMNISTVersionMatchesGoMod: the version read from the module cache
// is the one go.mod pins (and go.sum hashes).
func TestGoMNISTVersionMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := gomnistModule + " " + gomnistVersion
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == gomnistModule {
			if got := f[0] + " " + f[1]; got != want {
				t.Fatalf("go.mod requires %s, data/mnist_fetch.go reads %s", got, want)
			}
			return
		}
	}
	t.Fatalf("go.mod does not require %s", gomnistModule)
}

// fakeGoMNIST prepares an empty module cache and a folder of fixture MNIST
// files; with fakeGo it also puts on PATH a fake `go` (a shell script, so
// that the test needs no network) that answers `go env GOMODCACHE` and
// `go mod download -json M@V`: it logs the download's arguments and working
// folder, then copies the fixture into the cache where the real command
// would extract the module, or, if fail is set, prints the go command's
// JSON error. Without fakeGo, PATH holds no go command at all.
func fakeGoMNIST(t *testing.T, fakeGo, fail bool) (cache, modData, logPath string) {
	t.Helper()
	if fakeGo && runtime.GOOS == "windows" {
		t.Skip("the fake go command is a POSIX shell script")
	}
	tmp := t.TempDir()
	cache = filepath.Join(tmp, "modcache")
	bin := filepath.Join(tmp, "bin")
	fixture := filepath.Join(tmp, "fixture")
	for _, d := range []string{cache, bin, fixture} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeMNIST(t, fixture, "train", true)
	writeMNIST(t, fixture, "t10k", true)
	modDir := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+gomnistVersion)
	modData = filepath.Join(modDir, "data")
	logPath = filepath.Join(tmp, "go.log")
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("GOFLAGS", "")
	t.Setenv("PATH", bin)
	if !fakeGo {
		return cache, modData, logPath
	}
	download := fmt.Sprintf(`echo "$* in $(pwd)" >> %q
  mkdir -p %q && cp %q/* %q/
  echo '{"Path": "%s", "Version": "%s", "Dir": "%s"}'`, logPath, modData, fixture, modData, gomnistModule, gomnistVersion, modDir)
	if fail {
		download = fmt.Sprintf(`echo "$* in $(pwd)" >> %q
  echo '{"Path": "%s", "Error": "reading https://proxy.example/: 403 Forbidden"}'
  exit 1`, logPath, gomnistModule)
	}
	script := fmt.Sprintf(`#!/bin/sh
PATH=/usr/bin:/bin
case "$1 $2" in
"env GOMODCACHE") echo "$GOMODCACHE" ;;
"mod download")
  %s ;;
*) echo "fake go: unexpected arguments $*" >&2; exit 2 ;;
esac
`, download)
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cache, modData, logPath
}

// captureMNISTLog sends the fetch messages to a buffer for the test.
func captureMNISTLog(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	old := mnistLog
	mnistLog = &b
	t.Cleanup(func() { mnistLog = old })
	return &b
}

func checkFixtureMNIST(t *testing.T, ds Dataset) {
	t.Helper()
	if info := ds.Info(); ds.Len() != 3 || info.Height != 4 || info.Width != 5 {
		t.Fatalf("read %d examples of %dx%d, want the fixture's 3 of 4x5", ds.Len(), info.Height, info.Width)
	}
	if ex := get(t, ds, 2); ex.Label != 9 {
		t.Fatalf("label 2 = %d, want the fixture's 9", ex.Label)
	}
}

func TestMNISTFromModuleCache(t *testing.T) {
	for _, fakeGo := range []bool{true, false} {
		t.Run(fmt.Sprintf("go-command=%v", fakeGo), func(t *testing.T) {
			_, modData, logPath := fakeGoMNIST(t, fakeGo, false)
			if err := os.MkdirAll(modData, 0o755); err != nil {
				t.Fatal(err)
			}
			writeMNIST(t, modData, "train", true)
			msg := captureMNISTLog(t)
			ds, err := Open("mnist:train")
			if err != nil {
				t.Fatal(err)
			}
			checkFixtureMNIST(t, ds)
			if _, err := os.Stat(logPath); err == nil {
				b, _ := os.ReadFile(logPath)
				t.Errorf("the module was in the cache, yet go mod download ran: %s", b)
			}
			if msg.Len() != 0 {
				t.Errorf("nothing was fetched, yet it said %q", msg)
			}
		})
	}
}

func TestMNISTFetchedWithTheGoCommand(t *testing.T) {
	cache, _, logPath := fakeGoMNIST(t, true, false)
	msg := captureMNISTLog(t)
	wd, _ := os.Getwd()
	ds, err := Open("mnist:train")
	if err != nil {
		t.Fatal(err)
	}
	checkFixtureMNIST(t, ds)
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal("go mod download never ran:", err)
	}
	mod := gomnistModule + "@" + gomnistVersion
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "mod download -json "+mod+" in ") {
		t.Fatalf("fake go ran %q, want one `mod download -json %s`", calls, mod)
	}
	if dir := strings.TrimPrefix(calls[0], "mod download -json "+mod+" in "); dir == wd {
		t.Errorf("go mod download ran in the working folder %s (it could touch a go.mod there)", wd)
	}
	if !strings.Contains(msg.String(), "fetching module "+mod) || !strings.Contains(msg.String(), cache) {
		t.Errorf("it said %q; want a line naming the module it fetches and the cache", msg)
	}
	// Fetched once: the second open reads the cache.
	msg.Reset()
	if _, err := Open("mnist:test"); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(logPath); !bytes.Equal(b, b2) || msg.Len() != 0 {
		t.Errorf("the second open fetched again: %s / %q", b2, msg)
	}
}

func TestMNISTFetchFailureSaysWhy(t *testing.T) {
	fakeGoMNIST(t, true, true)
	captureMNISTLog(t)
	_, err := Open("mnist:train")
	if err == nil {
		t.Fatal("no error when go mod download failed")
	}
	for _, want := range []string{"403 Forbidden", "GOPROXY", "root=DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestMNISTWithoutGoCommandSaysWhatToDo(t *testing.T) {
	_, modData, _ := fakeGoMNIST(t, false, false)
	msg := captureMNISTLog(t)
	_, err := Open("mnist:train")
	if err == nil {
		t.Fatal("no error with no files and no go command")
	}
	for _, want := range []string{"no go command", "go mod download " + gomnistModule + "@" + gomnistVersion, "root=DIR", modData} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if msg.Len() != 0 {
		t.Errorf("it said %q though it fetched nothing", msg)
	}
}
