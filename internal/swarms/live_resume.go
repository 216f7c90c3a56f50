package swarms

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/atomicfile"
)

// A live source that restarts with the same key must not number chunks from 0 again:
// peers still joined hold munros signed for those numbers, and chunks signed again with
// other hashes are forgeries to them. So a source with a resume file numbers on from where
// it stopped. Writing the edge after every chunk would cost a sync per chunk, and writing
// it now and then would lose the last chunks in a crash; instead the file holds a
// reservation: a chunk number past anything injected, moved liveReserve chunks on before
// the stream gets near it. A restart starts at the reservation, skipping at most
// liveReserve chunks (64 MiB of 1 KiB chunks) that never existed — peers pass over the gap
// — and the 32-bit chunk numbers last 65,536 restarts.
const liveReserve = 1 << 16

// liveResume keeps a source's resume file.
type liveResume struct {
	path     string
	reserved uint64
	log      *zap.Logger
}

// openLiveResume reads path (missing: a new stream, from chunk 0) and returns the first
// chunk to inject, a multiple of align, with the reservation past it already written. A
// file that does not hold a number is an error: starting over would break the peers.
func openLiveResume(path string, align uint64, log *zap.Logger) (*liveResume, uint64, error) {
	var next uint64
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, 0, fmt.Errorf("resume file: %w", err)
	default:
		next, err = strconv.ParseUint(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("resume file %s: %q is not a chunk number (remove it only if no peer still follows the stream)", path, bytes.TrimSpace(raw))
		}
	}
	first := (next + align - 1) / align * align
	r := &liveResume{path: path, log: log}
	if err := r.reserve(first + liveReserve); err != nil {
		return nil, 0, err
	}
	return r, first, nil
}

// injected moves the reservation on when chunk i gets near it.
func (r *liveResume) injected(i uint64) {
	if i+liveReserve/2 < r.reserved {
		return
	}
	if err := r.reserve(i + 1 + liveReserve); err != nil {
		// The stream goes on; only a restart before the next write could reuse numbers.
		r.log.Error("live source: cannot move the resume file's reservation on", zap.String("file", r.path), zap.Error(err))
	}
}

func (r *liveResume) reserve(next uint64) error {
	err := atomicfile.Write(r.path, 0o644, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%d\n", next)
		return err
	})
	if err != nil {
		return fmt.Errorf("resume file: %w", err)
	}
	r.reserved = next
	return nil
}
