package storage

import (
	"context"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// AddPeaks takes the peak hashes at the start of cands (RFC 7574 §5.6.2: sent first to a
// peer that holds nothing) and checks them against the root, which tells the chunk count.
// It returns how many entries of cands were peaks.
func (s *Store) AddPeaks(cands []hashtree.NodeHash) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return 0, err
	}
	np, err := s.tree.AddPeaksPrefix(cands)
	if err != nil {
		return 0, fmt.Errorf("storage: peaks: %w", err)
	}
	s.growLocked()
	s.gen++
	if err := s.trimLocked(); err != nil { // the chunk count bounds the length
		return 0, err
	}
	return np, nil
}

// PutChunk verifies chunk i against the root with the candidate uncle hashes cands (from
// the INTEGRITY messages that came with it, §5.3) and only then writes it. A chunk that
// does not verify is not written and changes nothing; the error wraps hashtree's
// (ErrHashMismatch, ErrMissingHash, ErrBadLength, …). A chunk already held is ignored.
func (s *Store) PutChunk(i uint64, data []byte, cands []hashtree.NodeHash) error {
	if i > bins.MaxChunk {
		return fmt.Errorf("storage: chunk %d: %w", i, hashtree.ErrOutOfRange)
	}
	return s.PutBin(bins.Chunk(i), data, cands)
}

// PutBin is PutChunk for DATA that carries all chunks of bin b back to back.
func (s *Store) PutBin(b bins.Bin, data []byte, cands []hashtree.NodeHash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	if s.holdsLocked(b) {
		return nil // a duplicate DATA (§8.2: messages may be resent)
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("storage: chunks %v: %w", b, ErrReadOnly)
	}
	if err := s.tree.VerifyBin(b, data, cands); err != nil {
		return fmt.Errorf("storage: chunks %v: %w", b, err)
	}
	s.growLocked()
	if err := s.trimLocked(); err != nil { // the last chunk tells the exact size
		return err
	}
	off := int64(b.BaseLeft()) * int64(s.opts.Params.ChunkSize)
	if err := s.writeLocked(b, data, off); err != nil {
		return err
	}
	last := min(b.BaseRight(), s.tree.NumChunks()-1)
	for c := b.BaseLeft(); c <= last; c++ {
		s.verified.set(c)
		s.pending.unset(c)
		if !s.wb.holds(c) {
			s.markCheckedLocked(c, s.epoch) // written just now (flushLocked marks the others)
		}
	}
	s.gen++
	return nil
}

// holdsLocked reports whether every existing chunk of b is already verified.
func (s *Store) holdsLocked(b bins.Bin) bool {
	n := s.tree.NumChunks()
	if n == 0 || b == bins.None || b.BaseLeft() >= n {
		return false
	}
	for c := b.BaseLeft(); c <= min(b.BaseRight(), n-1); c++ {
		if !s.verified.get(c) {
			return false
		}
	}
	return true
}

// VerifyLocal checks whether the content file already holds chunk i, using the hashes the
// tree knows now (for example after a crash lost the checkpoint, once a neighbour's uncles
// arrived). It reports whether chunk i is verified afterwards.
func (s *Store) VerifyLocal(i uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verified.get(i) {
		return true, nil
	}
	if err := s.writableLocked(); err != nil {
		return false, err
	}
	end, ok := chunkEnd(s.tree, i)
	if !ok {
		return false, nil
	}
	start := int64(i) * int64(s.opts.Params.ChunkSize)
	buf := make([]byte, end-start)
	if got, err := s.f.ReadAt(buf, start); got < len(buf) {
		_ = err // a short file only means the chunk is not there
		return false, nil
	}
	if err := s.tree.VerifyChunk(i, buf, nil); err != nil {
		return false, nil
	}
	s.verified.set(i)
	s.pending.unset(i)
	s.markCheckedLocked(i, s.epoch) // hashed just now, under s.mu
	s.gen++
	return true, nil
}

// VerifyPending checks every pending chunk (content that libswift seeded, see doc.go)
// against its hash on all cores, so that they can be announced with HAVE. Reads verify
// pending chunks one by one anyway; this does all of them at once. It returns how many
// chunks verified.
func (s *Store) VerifyPending(ctx context.Context) (int, error) {
	return s.verifyPending(ctx)
}
