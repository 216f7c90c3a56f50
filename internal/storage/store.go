package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// CheckpointExt is added to the content file's name to name its checkpoint by default.
const CheckpointExt = ".ppsppd"

// libswift's files beside the content: its hashes, and its map of the chunks it holds.
const (
	mhashExt   = ".mhash"
	mbinmapExt = ".mbinmap"
)

// Options name a swarm's files and describe its tree.
type Options struct {
	// ContentPath is the content file; created when missing.
	ContentPath string
	// CheckpointPath defaults to ContentPath + ".ppsppd".
	CheckpointPath string
	// MhashPath is libswift's hash file, consulted when there is no usable checkpoint;
	// defaults to ContentPath + ".mhash".
	MhashPath string
	// Root is the swarm ID (root hash). Seed computes it; Open requires it.
	Root []byte
	// Params: hash function, chunk size, content size (-1 when unknown) and limits.
	Params hashtree.Params
	// Force lets Open take over a content file that exists and is not provably this
	// swarm's (no checkpoint or .mhash for this root, content not hashing to it): a
	// download then overwrites it. Without it Open refuses such a file with ErrNotOurs
	// (see ownership.go).
	Force bool
	// ReadOnly opens the content file for reading only, as for seeding: it must exist,
	// and Open never creates, extends, cuts or claims it. PutChunk fails with ErrReadOnly.
	// The checkpoint is still written (it is a separate file). Seed sets it.
	ReadOnly bool
	// Content, when set, is the content to read instead of the file ContentPath (which
	// then only names it in messages and, unless given, the checkpoint and .mhash): a
	// multi-file swarm's files. It implies ReadOnly; the store closes it (also when Open
	// or Seed fails).
	Content Source
	// OnDemandHashes keeps a complete read-only seed's hashes in its layer file
	// (LayersPath) and reads them when needed instead of holding the tree in memory
	// (layers.go). It applies to a ReadOnly store of one content file only; Open and Seed
	// then use neither the checkpoint nor a .mhash.
	OnDemandHashes bool
	// LayersPath is the layer file; defaults to CheckpointPath + ".layers".
	LayersPath string
}

func (o *Options) fill() error {
	if o.ContentPath == "" {
		return errors.New("storage: no content path")
	}
	if o.Content != nil {
		o.ReadOnly = true
	}
	if o.CheckpointPath == "" {
		o.CheckpointPath = o.ContentPath + CheckpointExt
	}
	if o.LayersPath == "" {
		o.LayersPath = o.CheckpointPath + LayersExt
	}
	if o.MhashPath == "" {
		o.MhashPath = o.ContentPath + mhashExt
	}
	if o.Params.ChunkSize == 0 {
		o.Params.ChunkSize = hashtree.DefaultChunkSize
	}
	return nil
}

// Recovery tells where Open found a store's state, for the log.
type Recovery struct {
	// From is "checkpoint", "mhash" (libswift's hashes), "rehash" (content file hashed
	// and matched the root), "empty", or "seed" for a store made by Seed.
	From string
	// CheckpointErr, MhashErr and RehashErr say why an earlier source was not used; nil
	// when the source was absent or not tried.
	CheckpointErr, MhashErr, RehashErr error
	// Reverified counts chunks found in the content file beyond the checkpoint and
	// verified at Open.
	Reverified int
}

// Store is one swarm's content file and checkpoint. It is safe for concurrent use: the
// engine writes and checkpoints while gateways read.
type Store struct {
	opts   Options
	f      contentFile // *os.File, or a read-only Source (source.go)
	ckptMu sync.Mutex  // one checkpoint write at a time

	mu       sync.Mutex
	tree     *hashtree.Tree
	verified bitmap // chunks on disk and verified
	pending  bitmap // chunks on disk with a known hash, not yet checked (see doc.go)
	err      error  // sticky I/O error
	closed   bool
	gen      uint64 // bumped on every change worth a checkpoint
	saved    uint64 // gen of the last checkpoint written
	rec      Recovery
	trimmed  int64       // the length bound last enforced on the content file (length.go)
	wb       writeBehind // verified chunks not yet written (see write_behind.go)
	layers   *os.File    // the layer file tree reads, for hashes on demand (layers.go)

	// Chunks hashed since the content file was last seen unchanged (identity.go).
	checked       bitmap
	ident         fileIdentity  // the content file's identity the bitmap holds for
	identOK       bool          // ident is known and the path names that file: checked is usable
	epoch         uint64        // bumped whenever checked is cleared
	ownSeq        uint64        // bumped by each write or truncate of ours
	pathLooked    time.Time     // when reads last stat'ed the path
	pathLookEvery time.Duration // pathLookEvery; tests set 0

	hashed        atomic.Uint64 // chunks hashed by reads (tests count them)
	hashEveryRead bool          // ignore checked, as before it existed (benchmarks compare)
}

// Err is the I/O error that put the store in its error state, or nil.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// failLocked records the first I/O error; s.mu must be held.
func (s *Store) failLocked(err error) error {
	if s.err == nil {
		s.err = fmt.Errorf("storage %s: %w", s.opts.ContentPath, err)
	}
	return s.err
}

func (s *Store) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failLocked(err)
}

// writableLocked is the check before any write; s.mu must be held.
func (s *Store) writableLocked() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// growLocked sizes the chunk bitmaps once the chunk count is known.
func (s *Store) growLocked() {
	if n := s.tree.NumChunks(); n > 0 && s.verified == nil {
		s.verified, s.pending = newBitmap(n), newBitmap(n)
	}
	if n := s.tree.NumChunks(); n > 0 && s.checked == nil {
		s.checked = newBitmap(n)
	}
}

// Recovery reports how Open obtained the store's state.
func (s *Store) Recovery() Recovery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

// Root is the swarm ID.
func (s *Store) Root() []byte { return s.opts.Root }

// ChunkSize is the fixed chunk size in bytes.
func (s *Store) ChunkSize() int { return s.opts.Params.ChunkSize }

// HashFunc is the swarm's Merkle hash function.
func (s *Store) HashFunc() hashtree.HashFunc { return s.opts.Params.Hash }

// NumChunks is the chunk count, 0 while unknown.
func (s *Store) NumChunks() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tree.NumChunks()
}

// Size is the content length, when known.
func (s *Store) Size() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tree.Size()
}

// Verified reports whether chunk i is held and verified: what HAVE may announce (§3.2).
func (s *Store) Verified(i uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified.get(i)
}

// Servable reports whether chunk i can be handed out: verified, or on disk with a known hash
// (imported from a libswift .mhash) and so checked against that hash when read. Either way
// ReadAt returns it only if it matches.
func (s *Store) Servable(i uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified.get(i) || s.pending.get(i)
}

// VerifiedCount is the number of verified chunks.
func (s *Store) VerifiedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified.count()
}

// PendingCount is the number of chunks on disk whose check is still due (libswift import).
func (s *Store) PendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.count()
}

// Complete reports whether every chunk is verified and, for a store that writes its
// content file, whether that file is exactly the content: chunks gathered by write-behind
// are written out first, and a file of another length (cut or extended behind our back) is
// not complete. A read-only (seeded) file that grew since it was hashed stays complete: its
// first Size bytes are the content, and every read checks them.
func (s *Store) Complete() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.tree.NumChunks()
	if n == 0 || uint64(s.verified.count()) != n {
		return false
	}
	if s.opts.ReadOnly || s.closed {
		return true
	}
	return s.flushLocked() == nil && s.exactLengthLocked() == nil
}

// VerifiedRanges lists the verified chunks as maximal ranges, e.g. for HAVE messages.
func (s *Store) VerifiedRanges() []bins.ChunkRange {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bins.ChunkRange
	n := s.tree.NumChunks()
	for i := uint64(0); i < n; i++ {
		if !s.verified.get(i) {
			continue
		}
		if k := len(out); k > 0 && out[k-1].End == i-1 {
			out[k-1].End = i
		} else {
			out = append(out, bins.ChunkRange{Start: i, End: i})
		}
	}
	return out
}

// Uncles returns the hashes a peer needs before the DATA for bin b (see
// hashtree.Tree.Uncles). The hashes point into the tree; use them before the next
// PutChunk, PutBin or AddPeaks.
func (s *Store) Uncles(dst []hashtree.NodeHash, b bins.Bin, mode hashtree.Mode, peer hashtree.Peer) ([]hashtree.NodeHash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tree.Uncles(dst, b, mode, peer)
}

// Dirty reports whether there are changes no checkpoint holds yet.
func (s *Store) Dirty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen != s.saved
}

// Checkpoint writes the checkpoint atomically (see doc.go). The content file is synced
// first, so the checkpoint never claims chunks that are not durable. A failure puts the
// store in its error state; the previous checkpoint file stays intact.
func (s *Store) Checkpoint() error {
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	if s.layers != nil {
		return s.checkpointOnDemand()
	}
	s.mu.Lock()
	if err := s.writableLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.flushLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	gen := s.gen
	n := s.tree.NumChunks()
	// The frontier holds about one hash per verified chunk plus its uncles.
	est := 128 + int(n/8) + hashtree.FrontierLen(n, min(int(n), 2*s.verified.count()+64), s.opts.Params.Hash)
	buf := encodeCheckpoint(make([]byte, 0, est), s.tree, s.verified)
	s.mu.Unlock()

	if err := s.f.Sync(); err != nil {
		return s.fail(fmt.Errorf("syncing content before checkpoint: %w", err))
	}
	if err := WriteFileAtomic(s.opts.CheckpointPath, buf); err != nil {
		return s.fail(fmt.Errorf("checkpoint: %w", err))
	}
	s.mu.Lock()
	s.saved = gen
	s.mu.Unlock()
	return nil
}

// Close writes a checkpoint when there are unsaved changes and no error, then closes the
// content file. It is safe to call twice.
func (s *Store) Close() error {
	var errs []error
	if s.Dirty() && s.Err() == nil {
		if err := s.Checkpoint(); err != nil {
			errs = append(errs, err)
		}
	}
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := s.flushLocked(); err != nil {
		errs = append(errs, err)
	}
	s.closed = true
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("storage: closing %s: %w", s.opts.ContentPath, err))
	}
	if s.layers != nil {
		if err := s.layers.Close(); err != nil {
			errs = append(errs, fmt.Errorf("storage: closing %s: %w", s.opts.LayersPath, err))
		}
	}
	return errors.Join(errs...)
}

// completeLocked reports whether every chunk is verified or held with a known hash and
// checked on first read (content imported from libswift's .mhash).
func (s *Store) completeLocked() bool {
	n := s.tree.NumChunks()
	return n > 0 && uint64(s.verified.count()+s.pending.count()) == n
}
