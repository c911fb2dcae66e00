package data

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// FetchOptions configures Fetch.
type FetchOptions struct {
	// Dir is the folder the data set is extracted into; empty means
	// DefaultDataDir()/NAME.
	Dir string
	// URL overrides the official address (a mirror); the archive must still
	// have the published MD5 unless MD5 is set too.
	URL string
	// MD5 overrides the expected checksum (hex).
	MD5 string
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// Log, if non-nil, receives progress lines.
	Log io.Writer
}

// FetchNames lists the data sets Fetch can download.
var FetchNames = []string{"cifar10", "cifar100"}

// FetchURL returns the official download address of a data set.
func FetchURL(name string) (string, error) {
	lay, err := fetchLayout(name)
	if err != nil {
		return "", err
	}
	return "https://www.cs.toronto.edu/~kriz/" + lay.archive, nil
}

func fetchLayout(name string) (cifarLayout, error) {
	switch name {
	case "cifar10":
		return cifarLayouts[10], nil
	case "cifar100":
		return cifarLayouts[100], nil
	}
	return cifarLayout{}, fmt.Errorf("fetch: unknown data set %q (known: %s)", name, strings.Join(FetchNames, ", "))
}

// Fetch downloads a data set's archive, checks its MD5 against the
// published one, and extracts it into opt.Dir. Extraction goes to a
// temporary folder that is renamed into place only when complete, so an
// interrupted fetch leaves nothing that looks usable. If the data set's
// folder is already there, Fetch does nothing. It returns the folder that
// holds the files.
func Fetch(ctx context.Context, name string, opt FetchOptions) (string, error) {
	lay, err := fetchLayout(name)
	if err != nil {
		return "", err
	}
	dir := opt.Dir
	if dir == "" {
		base, err := DefaultDataDir()
		if err != nil {
			return "", fmt.Errorf("fetch %s: %w", name, err)
		}
		dir = filepath.Join(base, name)
	}
	final := filepath.Join(dir, lay.folder)
	if st, err := os.Stat(final); err == nil && st.IsDir() {
		logf(opt.Log, "%s is already in %s\n", name, final)
		return final, nil
	}
	url := opt.URL
	if url == "" {
		url, _ = FetchURL(name)
	}
	want := strings.ToLower(opt.MD5)
	if want == "" {
		want = lay.md5
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("fetch %s: %w", name, err)
	}
	archive, err := download(ctx, opt, url, dir, want)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", name, err)
	}
	defer os.Remove(archive)
	tmp, err := os.MkdirTemp(dir, ".extract-*")
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	logf(opt.Log, "extracting %s\n", lay.archive)
	if err := extractTarGz(archive, tmp); err != nil {
		return "", fmt.Errorf("fetch %s: %s: %w", name, url, err)
	}
	got := filepath.Join(tmp, lay.folder)
	if st, err := os.Stat(got); err != nil || !st.IsDir() {
		return "", fmt.Errorf("fetch %s: the archive from %s has no folder %s", name, url, lay.folder)
	}
	if err := os.Rename(got, final); err != nil {
		return "", fmt.Errorf("fetch %s: %w", name, err)
	}
	logf(opt.Log, "%s is in %s\n", name, final)
	return final, nil
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format, a...)
	}
}

// download saves url to a temporary file in dir and checks its MD5; it
// returns the file's path.
func download(ctx context.Context, opt FetchOptions, url, dir, wantMD5 string) (string, error) {
	client := opt.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return "", err
	}
	h := md5.New()
	logf(opt.Log, "downloading %s\n", url)
	start := time.Now()
	n, err := io.Copy(io.MultiWriter(f, h), &progressReader{r: resp.Body, total: resp.ContentLength, log: opt.Log, last: start})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		os.Remove(f.Name())
		return "", fmt.Errorf("GET %s: got %d of %d bytes", url, n, resp.ContentLength)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != wantMD5 {
		os.Remove(f.Name())
		return "", fmt.Errorf("%s: MD5 %s does not match the expected %s (corrupt or different file)", url, got, wantMD5)
	}
	logf(opt.Log, "downloaded %.1f MB in %.1f s, MD5 ok\n", float64(n)/1e6, time.Since(start).Seconds())
	return f.Name(), nil
}

// progressReader logs the download's progress at most every two seconds.
type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	log   io.Writer
	last  time.Time
}

// Read implements io.Reader.
func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.log != nil && time.Since(p.last) > 2*time.Second {
		p.last = time.Now()
		if p.total > 0 {
			logf(p.log, "  %.1f / %.1f MB (%.0f%%)\n", float64(p.n)/1e6, float64(p.total)/1e6, 100*float64(p.n)/float64(p.total))
		} else {
			logf(p.log, "  %.1f MB\n", float64(p.n)/1e6)
		}
	}
	return n, err
}

// extractTarGz unpacks regular files and folders of a .tar.gz into dir.
// Entries whose names would land outside dir (absolute, or with ..) and
// links are refused: an archive must not write elsewhere.
func extractTarGz(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("not a gzip file: %v", err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("corrupt tar archive: %v", err)
		}
		name := path.Clean(hdr.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("archive entry %q points outside the target folder", hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extracting %s: %v", hdr.Name, err)
			}
		default:
			return fmt.Errorf("archive entry %q is not a file or folder (type %q)", hdr.Name, hdr.Typeflag)
		}
	}
}
