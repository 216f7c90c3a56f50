package multifile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ppsppd/ppsppd/internal/atomicfile"
)

var (
	// ErrUnsafePath: a spec path would be written through a symlink or over a directory.
	ErrUnsafePath = errors.New("multifile: unsafe destination path")
	// ErrFileExists: a file with other content is where a spec path goes. It is left
	// alone: a swarm names its paths, and it must not overwrite the user's files or
	// another swarm's content file in a shared destination.
	ErrFileExists = errors.New("multifile: a different file exists at the destination")
)

// Materialize writes each file of spec, read from src (the swarm's verified bytes), to
// destDir/PATH. Paths were checked by Parse (relative, no ".."); here every existing
// component below destDir must be a real directory, never a symlink, and the file itself
// must not be a symlink or directory, so no file lands outside destDir. Each file is
// written to a temporary file beside it, synced and renamed into place, so a crash leaves
// either no file or the whole new one. A file already there with the same bytes is kept;
// one with other bytes is never replaced (ErrFileExists). destDir itself may be a symlink (the user's
// choice); it is resolved once.
func Materialize(ctx context.Context, src io.ReaderAt, spec *Spec, destDir string) error {
	root, err := filepath.EvalSymlinks(destDir)
	if err != nil {
		return fmt.Errorf("multifile: destination %s: %w", destDir, err)
	}
	for _, f := range spec.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := CheckPath(f.Path); err != nil { // a Spec is valid; checked again for safety
			return fmt.Errorf("%w: %w", ErrUnsafePath, err)
		}
		parent, err := safeParent(root, f.Path)
		if err != nil {
			return err
		}
		target := filepath.Join(parent, filepath.Base(filepath.FromSlash(f.Path)))
		if fi, err := os.Lstat(target); err == nil {
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%w: %s exists and is not a regular file", ErrUnsafePath, target)
			}
			same, err := sameContent(target, io.NewSectionReader(src, f.Offset, f.Size), f.Size)
			if err != nil {
				return fmt.Errorf("multifile: %w", err)
			}
			if !same {
				return fmt.Errorf("%w: %s", ErrFileExists, target)
			}
			continue // written before (a restart after a crash), or the same file
		}
		if err := writeFile(ctx, target, io.NewSectionReader(src, f.Offset, f.Size), f.Size); err != nil {
			return fmt.Errorf("multifile: writing %s: %w", f.Path, err)
		}
	}
	return nil
}

// safeParent creates the directories of path under root one at a time, refusing any
// component that exists as a symlink or non-directory, and returns the parent's OS path.
func safeParent(root, path string) (string, error) {
	dir := root
	comps := strings.Split(path, "/")
	for _, c := range comps[:len(comps)-1] {
		dir = filepath.Join(dir, c)
		fi, err := os.Lstat(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return "", fmt.Errorf("multifile: %w", err)
			}
			if fi, err = os.Lstat(dir); err != nil {
				return "", fmt.Errorf("multifile: %w", err)
			}
		case err != nil:
			return "", fmt.Errorf("multifile: %w", err)
		}
		if !fi.IsDir() { // a symlink's Lstat mode is not a directory
			return "", fmt.Errorf("%w: %s is a symlink or not a directory", ErrUnsafePath, dir)
		}
	}
	return dir, nil
}

// writeFile writes size bytes of r to target atomically (atomicfile.Write: a rename
// replaces a link at target, never follows it, and the directory is synced).
func writeFile(ctx context.Context, target string, r io.Reader, size int64) error {
	return atomicfile.Write(target, 0o644, func(w io.Writer) error {
		n, err := io.Copy(w, &ctxReader{ctx: ctx, r: r})
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("got %d of %d bytes", n, size)
		}
		return nil
	})
}

// ctxReader stops a long copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sameContent reports whether the file at path holds exactly size bytes equal to r's.
func sameContent(path string, r io.Reader, size int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() != size {
		return false, err
	}
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	for left := size; left > 0; {
		n := int(min(left, int64(len(a))))
		if _, err := io.ReadFull(f, a[:n]); err != nil {
			return false, err
		}
		if _, err := io.ReadFull(r, b[:n]); err != nil {
			return false, err
		}
		if !bytes.Equal(a[:n], b[:n]) {
			return false, nil
		}
		left -= int64(n)
	}
	return true, nil
}
