package storage

import (
	"fmt"
)

// A download's content file ends exactly where the content ends. An existing file may be
// longer: one taken over with Options.Force, one whose checkpoint was written before the
// size was known, or one extended behind our back. Bytes past the content are never part of
// it, and left in place they would make a "complete" file that hashes to another swarm. So
// the file is cut as soon as a bound on the content's length is known: at Open, when the
// peak hashes tell the chunk count (RFC 7574 §5.6.2: the content ends within the last
// chunk), and when the last chunk tells the exact size. A read-only store (seeding) never
// changes its file.

// lengthBoundLocked is the length the content file must not exceed: the size when known,
// else the chunk count times the chunk size once the peaks told the count, else 0 (no
// bound yet).
func (s *Store) lengthBoundLocked() int64 {
	if size, ok := s.tree.Size(); ok {
		return size
	}
	return int64(s.tree.NumChunks()) * int64(s.opts.Params.ChunkSize)
}

// fitOpened sizes the content file at Open: cut to the bound when longer, and, when the
// size is known, extended to it as a sparse file (ftruncate allocates no blocks) so that
// chunks can be written in any order.
func (s *Store) fitOpened(fileLen int64) error {
	bound := s.lengthBoundLocked()
	_, sizeKnown := s.tree.Size()
	if bound > 0 && (fileLen > bound || sizeKnown && fileLen < bound) {
		if err := s.ownChangeLocked(func() error { return s.f.Truncate(bound) }); err != nil {
			return fmt.Errorf("storage: sizing %s to %d bytes: %w", s.opts.ContentPath, bound, err)
		}
	}
	s.trimmed = bound
	return nil
}

// trimLocked cuts the content file to the bound when the bound changed since the last cut
// and the file is longer. It costs one comparison while nothing changed, so it runs after
// every change to the tree.
func (s *Store) trimLocked() error {
	bound := s.lengthBoundLocked()
	if s.opts.ReadOnly || bound == 0 || bound == s.trimmed {
		return nil
	}
	fi, err := s.f.Stat()
	if err != nil {
		return s.failLocked(fmt.Errorf("stat: %w", err))
	}
	if fi.Size() > bound {
		if err := s.ownChangeLocked(func() error { return s.f.Truncate(bound) }); err != nil {
			return s.failLocked(fmt.Errorf("cutting the content file to %d bytes: %w", bound, err))
		}
	}
	s.trimmed = bound
	return nil
}

// exactLengthLocked checks that the content file holds exactly the content: the last step
// before a download may be called complete. A longer file is cut again (something wrote
// past the end since the last cut); a shorter one is an error, since verified chunks are
// missing from it.
func (s *Store) exactLengthLocked() error {
	size, ok := s.tree.Size()
	if !ok {
		return fmt.Errorf("storage: %s: content size not known yet", s.opts.ContentPath)
	}
	s.trimmed = 0
	if err := s.trimLocked(); err != nil {
		return err
	}
	fi, err := s.f.Stat()
	if err != nil {
		return s.failLocked(fmt.Errorf("stat: %w", err))
	}
	if fi.Size() != size {
		return fmt.Errorf("storage: %s has %d bytes, the content %d: %w", s.opts.ContentPath, fi.Size(), size, ErrContentChanged)
	}
	return nil
}
