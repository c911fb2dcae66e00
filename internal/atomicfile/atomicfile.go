// Package atomicfile writes files so that a reader, or a run restarted
// after a kill, sees either the old file or the complete new one: data goes
// to a temporary file in the same directory, is synced, and is renamed over
// the destination.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// File is a file being written; Commit publishes it, Abort discards it.
type File struct {
	*os.File
	path string
	done bool
}

// BeforeRename, if set, is called by Commit with the temporary file's name
// and the destination once the data is written, before the file is synced
// and renamed: where a kill leaves a temporary file, possibly partial,
// beside the untouched old destination. It is a seam for tests that kill a
// process inside a write (cmd/robustlab's kill tests); robustlab never sets
// it.
var BeforeRename func(tmp, dest string)

// Create starts writing path (its directory must exist).
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs, closes and renames the file to its destination, then syncs
// the directory so the rename itself survives a crash. The file gets the
// usual 0644 permissions (temporary files are created 0600).
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	f.done = true
	if BeforeRename != nil {
		BeforeRename(f.Name(), f.path)
	}
	serr := f.Chmod(0o644)
	if err := f.Sync(); serr == nil {
		serr = err
	}
	cerr := f.Close()
	if serr != nil || cerr != nil {
		os.Remove(f.Name())
		if serr == nil {
			serr = cerr
		}
		return fmt.Errorf("write %s: %w", f.path, serr)
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync() // best effort: some file systems cannot sync directories
		d.Close()
	}
	return nil
}

// Abort discards the file; it is a no-op after Commit, so it can be
// deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
