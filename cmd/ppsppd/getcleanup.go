package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/storage"
)

// createdFiles remembers which of a get's files did not exist before it ran, so that a
// get that ends with nothing (no peer answered, every chunk failed verification) removes
// only what it created: OUT and its checkpoint, never a file the user had.
type createdFiles struct {
	paths []string
}

func newCreatedFiles(out string) createdFiles {
	abs, err := filepath.Abs(out)
	if err != nil {
		return createdFiles{}
	}
	var c createdFiles
	for _, p := range []string{abs, abs + storage.CheckpointExt} {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			c.paths = append(c.paths, p)
		}
	}
	return c
}

// removeEmpty removes the files this get created; called when no chunk was verified, so
// they hold nothing worth resuming.
func (c createdFiles) removeEmpty(log *zap.Logger) {
	for _, p := range c.paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cleaning up", zap.String("file", p), zap.Error(err))
		}
	}
}
