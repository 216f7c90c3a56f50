// Package atomicfile replaces files so that a crash leaves either the old or the new
// content, never a mix: the daemon's state files, checkpoints and materialised content all
// go through it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// TempInfix joins a file's name and the random digits os.CreateTemp adds, in the name of
// the temporary file Write writes (so a directory scan can recognise leftovers).
const TempInfix = ".tmp"

// Write replaces path with what write writes, so that after a crash the file holds
// either the old or the new bytes: temporary file in the same directory (rename is atomic
// only within one file system), fsync, rename (which replaces a symbolic link at path,
// never follows it), then fsync the directory so the rename itself is durable.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+TempInfix+"*")
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming %s into place: %w", base, err)
	}
	renamed = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s to sync: %w", dir, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
