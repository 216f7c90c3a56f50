package multifile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ScanOptions tune Scan.
type ScanOptions struct {
	// Skip, when set, leaves out regular files it returns true for (absolute OS path),
	// e.g. checkpoints and downloads in progress.
	Skip func(path string) bool
}

// Scan makes the spec of every regular file below dir, each named by the directory's own
// name followed by its path inside it ("media/b/clip.mp4" for dir ".../media"): the paths
// libswift's `swift -M SPEC media/a.ts ...` records when run beside the directory, so the
// root hash is the same. Symlinks are not followed and not included (they could point out
// of the directory), nor is anything but regular files. It returns the spec and the
// directory the spec's paths are under (dir's parent), for NewReader.
func Scan(dir string, opts ScanOptions) (*Spec, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", fmt.Errorf("multifile: %w", err)
	}
	base := filepath.Base(abs)
	if base == string(filepath.Separator) || base == "." {
		return nil, "", fmt.Errorf("multifile: %s has no name to put the files under", abs)
	}
	var files []File
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // directories are walked; symlinks, devices, sockets are left out
		}
		if opts.Skip != nil && opts.Skip(p) {
			return nil
		}
		rel, err := filepath.Rel(filepath.Dir(abs), p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		specPath := filepath.ToSlash(rel)
		if err := CheckPath(specPath); err != nil {
			return fmt.Errorf("%s cannot be named in a multi-file spec: %w", p, err)
		}
		files = append(files, File{Path: specPath, Size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("multifile: scanning %s: %w", abs, err)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("multifile: %s holds no regular file", abs)
	}
	s, err := New(files)
	if err != nil {
		return nil, "", fmt.Errorf("multifile: %s: %w", abs, err)
	}
	return s, filepath.Dir(abs), nil
}

// OpenDir scans dir and returns a Reader over its files.
func OpenDir(dir string, opts ScanOptions) (*Reader, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("multifile: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("multifile: %s: %w", dir, errors.New("not a directory"))
	}
	s, root, err := Scan(dir, opts)
	if err != nil {
		return nil, err
	}
	return NewReader(s, root), nil
}
