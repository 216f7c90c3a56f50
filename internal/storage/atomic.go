package storage

import (
	"io"

	"github.com/ppsppd/ppsppd/internal/atomicfile"
)

// tempInfix is in the names of atomicfile's temporary files (seedfilter.go skips them).
const tempInfix = atomicfile.TempInfix

// WriteFileAtomic replaces path with data so that after a crash the file holds either the
// old or the new bytes (atomicfile.Write). The file is private to the daemon (mode 0600).
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
