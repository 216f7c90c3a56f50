package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Open opens (creating if needed) a swarm's content file and recovers what was verified:
// from our checkpoint, else from libswift's .mhash, else by rehashing the content file,
// else starting empty (see doc.go). Chunks that are in the content file but not in the
// checkpoint are re-verified here when their hashes are known.
//
// A content file that exists, is not empty and none of those sources vouches for is not
// ours: Open refuses it with ErrNotOurs unless opts.Force is set (ownership.go). A new
// download writes its checkpoint at once, so that it is recognised after a crash. The
// content file is then cut to the content's length when longer and, when the size is
// known, preallocated sparse (length.go). With opts.ReadOnly none of this touches the file.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	// Check root and parameters now (a size of 0 is refused: use -1 for "unknown"); the
	// tree itself, 2·N hashes, is made by whichever recovery source wins.
	probe := opts.Params
	if probe.Size > 0 {
		probe.Size = -1
	}
	if _, err := hashtree.NewFromRoot(opts.Root, probe); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	f, err := openContent(opts)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: %w", err)
	}
	if onDemand(opts) {
		s, err := openOnDemand(ctx, opts, f, fi)
		if err != nil {
			f.Close()
		}
		return s, err
	}
	s := &Store{opts: opts, f: f}
	s.startIdentity(fi) // before anything reads the file: what recovery hashes counts as checked
	if err := s.recover(ctx, fi.Size()); err != nil {
		f.Close()
		return nil, err
	}
	if opts.ReadOnly && !s.completeLocked() {
		f.Close()
		return nil, fmt.Errorf("storage: %s: %w", opts.ContentPath, ErrIncompleteSeed)
	}
	if !opts.ReadOnly {
		if err := s.settle(fi.Size()); err != nil {
			f.Close()
			return nil, err
		}
	}
	if s.rec.From == "checkpoint" {
		n, err := s.verifyPending(ctx)
		s.rec.Reverified = n
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	return s, nil
}

func openContent(opts Options) (contentFile, error) {
	if opts.Content != nil {
		return sourceFile{opts.Content}, nil
	}
	if opts.ReadOnly {
		return os.Open(opts.ContentPath)
	}
	return os.OpenFile(opts.ContentPath, os.O_RDWR|os.O_CREATE, 0o644)
}

// settle makes the content file a download's before anything is written to it. A download
// that starts empty (a new file, or one taken over with Force) gets its checkpoint first:
// a crash before the first periodic checkpoint then leaves a file the next Open recognises
// as ours instead of refusing it. Then the file gets the content's length.
func (s *Store) settle(fileLen int64) error {
	if s.rec.From == "empty" {
		if err := s.Checkpoint(); err != nil {
			return err
		}
	}
	return s.fitOpened(fileLen)
}

// state is what one recovery source yields; it is adopted only as a whole.
type state struct {
	tree              *hashtree.Tree
	verified, pending bitmap
	changed           bool // differs from what is on disk: worth a new checkpoint
	hashed            bool // every verified chunk was hashed from the content file just now
}

func newState(tree *hashtree.Tree) *state {
	st := &state{tree: tree}
	if n := tree.NumChunks(); n > 0 {
		st.verified, st.pending = newBitmap(n), newBitmap(n)
	}
	return st
}

func (s *Store) recover(ctx context.Context, fileLen int64) error {
	st, from, err := s.pickState(ctx, fileLen)
	if err != nil {
		return err
	}
	s.tree, s.verified, s.pending = st.tree, st.verified, st.pending
	if n := s.tree.NumChunks(); n > 0 {
		s.checked = newBitmap(n)
		if st.hashed && s.identOK {
			copy(s.checked, s.verified)
		}
	}
	s.rec.From = from
	if st.changed {
		s.gen++
	}
	return nil
}

func (s *Store) pickState(ctx context.Context, fileLen int64) (*state, string, error) {
	named := false // our checkpoint names this swarm: the file is ours (ownership.go)
	raw, err := os.ReadFile(s.opts.CheckpointPath)
	if err == nil {
		var st *state
		if st, named, err = s.fromCheckpoint(raw, fileLen); err == nil {
			return st, "checkpoint", nil
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		s.rec.CheckpointErr = err
	}

	raw, err = os.ReadFile(s.opts.MhashPath)
	if err == nil {
		var st *state
		if st, err = s.fromMhash(raw, fileLen); err == nil {
			return st, "mhash", nil
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		s.rec.MhashErr = err
	}

	if fileLen > 0 && s.mayRehash(fileLen) {
		st, err := s.fromContent(ctx, fileLen)
		if err == nil {
			return st, "rehash", nil
		}
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("storage: rehashing %s: %w", s.opts.ContentPath, err)
		}
		s.rec.RehashErr = err
	}
	if fileLen > 0 && !named && !s.opts.Force && !s.opts.ReadOnly {
		return nil, "", s.notOurs(fileLen)
	}
	empty, err := hashtree.NewFromRoot(s.opts.Root, s.opts.Params)
	if err != nil {
		return nil, "", fmt.Errorf("storage: %w", err)
	}
	return newState(empty), "empty", nil
}

// fromCheckpoint adopts a checkpoint whose framing, parameters and hashes all check out.
// named reports whether it is a sound checkpoint file (magic, version, CRC) for this swarm
// ID, even when its contents are then not adopted: that alone makes the content file ours.
func (s *Store) fromCheckpoint(raw []byte, fileLen int64) (st *state, named bool, err error) {
	c, err := decodeCheckpoint(raw)
	if err != nil {
		return nil, false, err
	}
	if !bytes.Equal(c.root, s.opts.Root) {
		return nil, false, &foreignCheckpointError{root: c.root}
	}
	st, err = s.adoptCheckpoint(c, fileLen)
	return st, true, err
}

func (s *Store) adoptCheckpoint(c *checkpoint, fileLen int64) (*state, error) {
	p := s.opts.Params
	switch {
	case c.hf != p.Hash || c.chunkSize != p.ChunkSize:
		return nil, fmt.Errorf("%w: written for %v/%d-byte chunks, swarm uses %v/%d", ErrCheckpoint, c.hf, c.chunkSize, p.Hash, p.ChunkSize)
	case p.Size > 0 && c.size > 0 && p.Size != c.size:
		return nil, fmt.Errorf("%w: content size %d, swarm says %d", ErrCheckpoint, c.size, p.Size)
	case p.Size <= 0 && c.size > 0 && c.verified.count() == 0:
		// A size nothing confirmed, most likely one given by hand (--size, ?cl=) and
		// wrong: adopting it would fail the same way forever. Nothing verified is lost.
		return nil, fmt.Errorf("%w: content size %d is confirmed by no verified chunk and the swarm does not say it", ErrCheckpoint, c.size)
	}
	if p.Size <= 0 {
		p.Size = c.size
	}
	tree, err := hashtree.RestoreFormat(s.opts.Root, p, c.n, c.frontier, c.format)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	st := newState(tree)
	for i := uint64(0); i < c.n; i++ {
		if !c.verified.get(i) {
			continue
		}
		if _, ok := tree.Hash(bins.Chunk(i)); !ok {
			return nil, fmt.Errorf("%w: chunk %d marked verified without its hash", ErrCheckpoint, i)
		}
		if end, ok := chunkEnd(tree, i); ok && end <= fileLen {
			st.verified.set(i)
		} else {
			st.changed = true // the content file lost this chunk
		}
	}
	st.markPending(fileLen)
	return st, nil
}

// fromMhash adopts libswift's hash file after checking it against the root. The content
// is checked lazily: every chunk in the file becomes pending.
func (s *Store) fromMhash(raw []byte, fileLen int64) (*state, error) {
	p := s.opts.Params
	if p.Size <= 0 {
		p.Size = fileLen // libswift seeds whole files
	}
	if p.Size <= 0 {
		return nil, errors.New("storage: .mhash without content")
	}
	tree, err := hashtree.FromMhash(s.opts.Root, p, raw)
	if err != nil {
		return nil, err
	}
	st := newState(tree)
	st.markPending(fileLen)
	st.changed = true
	return st, nil
}

// fromContent hashes the content file and adopts it when it reproduces the root.
func (s *Store) fromContent(ctx context.Context, fileLen int64) (*state, error) {
	p := s.opts.Params
	size := p.Size
	if size <= 0 {
		size = fileLen
	}
	if fileLen < size {
		return nil, fmt.Errorf("content file has %d of %d bytes", fileLen, size)
	}
	tree, err := hashtree.BuildFromReaderAtContext(ctx, s.f, size, p.ChunkSize, p.Hash)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tree.Root(), s.opts.Root) {
		return nil, fmt.Errorf("%w: content file hashes to %x", hashtree.ErrHashMismatch, tree.Root())
	}
	st := newState(tree)
	for i := uint64(0); i < tree.NumChunks(); i++ {
		st.verified.set(i)
	}
	st.changed, st.hashed = true, true
	return st, nil
}

// markPending marks the chunks that lie wholly inside the content file, have a known hash
// and are not verified.
func (st *state) markPending(fileLen int64) {
	for i := uint64(0); i < st.tree.NumChunks(); i++ {
		if st.verified.get(i) {
			continue
		}
		if _, ok := st.tree.Hash(bins.Chunk(i)); !ok {
			continue
		}
		if end, ok := chunkEnd(st.tree, i); ok && end <= fileLen {
			st.pending.set(i)
		}
	}
}

// chunkEnd is the file offset just past chunk i, when its length is known.
func chunkEnd(tree *hashtree.Tree, i uint64) (int64, bool) {
	l, ok := tree.ChunkLen(i)
	if !ok {
		return 0, false
	}
	return int64(i)*int64(tree.ChunkSize()) + int64(l), true
}
