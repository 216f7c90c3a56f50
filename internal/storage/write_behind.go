package storage

import (
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Write-behind: verified chunks that arrive one after another are gathered and written with
// one system call per writeBehindMax bytes instead of one per chunk (a download writes tens of
// thousands of chunks a second; one pwrite each was the leecher's largest cost). Each write
// also stats the file twice (identity.go), so with 1 KiB chunks 256 KiB per write costs a
// quarter of what 64 KiB did. The chunks
// count as verified at once. Whatever needs them on disk flushes first: a read of one of them
// (refLocked), a checkpoint (which must never claim what is not durable), Close. If a flush
// fails, the chunks it did not write are unmarked, so no read and no checkpoint can claim
// bytes that never reached the disk; the store enters its error state as for any write error.
// A crash loses at most the buffer: those chunks are simply fetched again.

const writeBehindMax = 256 << 10

type writeBehind struct {
	off   int64 // file offset of buf[0]
	buf   []byte
	first uint64 // first chunk in buf
	count uint64 // chunks in buf
}

// holds reports whether chunk c is in the buffer.
func (w *writeBehind) holds(c uint64) bool {
	return w.count > 0 && c >= w.first && c < w.first+w.count
}

// writeLocked writes the chunks of bin b (data, at file offset off), through the buffer
// when they continue it.
func (s *Store) writeLocked(b bins.Bin, data []byte, off int64) error {
	w := &s.wb
	if w.count > 0 && (off != w.off+int64(len(w.buf)) || len(w.buf)+len(data) > writeBehindMax) {
		if err := s.flushLocked(); err != nil {
			return err
		}
	}
	if len(data) > writeBehindMax {
		err := s.ownChangeLocked(func() error {
			_, err := s.f.WriteAt(data, off)
			return err
		})
		if err != nil {
			return s.failLocked(fmt.Errorf("writing chunks %v: %w", b, err))
		}
		return nil // PutBin marks the chunks verified and checked
	}
	if w.count == 0 {
		if cap(w.buf) == 0 {
			w.buf = make([]byte, 0, writeBehindMax)
		}
		w.off, w.first, w.buf = off, b.BaseLeft(), w.buf[:0]
	}
	w.buf = append(w.buf, data...)
	w.count += min(b.BaseRight(), s.tree.NumChunks()-1) - b.BaseLeft() + 1
	return nil
}

// flushLocked writes the buffered chunks out; s.mu must be held.
func (s *Store) flushLocked() error {
	w := &s.wb
	if w.count == 0 {
		return nil
	}
	first, count := w.first, w.count
	w.count = 0
	var written int
	err := s.ownChangeLocked(func() (err error) {
		written, err = s.f.WriteAt(w.buf, w.off)
		return err
	})
	if err == nil {
		// We wrote these bytes after verifying them: reads need not hash them again.
		for c := first; c < first+count; c++ {
			s.markCheckedLocked(c, s.epoch)
		}
		return nil
	}
	// Chunks wholly written before the failure are on disk and stay verified.
	cs := uint64(s.opts.Params.ChunkSize)
	for c := first + uint64(written)/cs; c < first+count; c++ {
		s.verified.unset(c)
		s.checked.unset(c) // never set for these; kept a subset of verified all the same
	}
	s.gen++
	return s.failLocked(fmt.Errorf("writing chunks %d-%d: %w", first, first+count-1, err))
}

// Flush writes out the chunks gathered by write-behind, so that the content file holds every
// verified chunk (the engine calls it when a download completes). Once every chunk is
// verified it also checks that the file is exactly the content (length.go), so that a
// download is never reported complete with bytes past its end.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	if err := s.flushLocked(); err != nil {
		return err
	}
	if n := s.tree.NumChunks(); s.opts.ReadOnly || n == 0 || uint64(s.verified.count()) != n {
		return nil
	}
	return s.exactLengthLocked()
}
