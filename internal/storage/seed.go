package storage

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Seed makes a swarm from an existing content file: it hashes the whole file on all cores
// (§5.1), which gives the root hash (the swarm ID, see Root), marks every chunk verified
// and writes the checkpoint, so later runs Open it without hashing again. opts.Root may
// be empty; if set it must match. opts.Params.Size is taken from the file.
func Seed(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	// Read-only: a seeded file is only read (it may sit on read-only storage) and never
	// resized; the checkpoint is a separate file.
	opts.ReadOnly = true
	f, err := openContent(opts)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	s, err := seed(ctx, opts, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func seed(ctx context.Context, opts Options, f contentFile) (*Store, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if opts.Params.Size > 0 && opts.Params.Size != fi.Size() {
		return nil, fmt.Errorf("storage: %s has %d bytes, expected %d", opts.ContentPath, fi.Size(), opts.Params.Size)
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("storage: %s: %w", opts.ContentPath, hashtree.ErrEmptyContent)
	}
	if onDemand(opts) {
		// Hashed into the layer file, whatever it held (Seed always hashes).
		id, err := identityForLayers(f, fi)
		if err != nil {
			return nil, err
		}
		lf, tree, err := writeLayers(ctx, opts, f, fi, id)
		if err != nil {
			return nil, err
		}
		s := onDemandStore(opts, f, fi, lf, tree, true)
		s.rec.From = "seed"
		return s, nil
	}
	tree, err := hashtree.BuildFromReaderAtContext(ctx, f, fi.Size(), opts.Params.ChunkSize, opts.Params.Hash)
	if err != nil {
		return nil, fmt.Errorf("storage: hashing %s: %w", opts.ContentPath, err)
	}
	if len(opts.Root) > 0 && !bytes.Equal(opts.Root, tree.Root()) {
		return nil, fmt.Errorf("storage: %s hashes to %x, not the given root: %w", opts.ContentPath, tree.Root(), hashtree.ErrHashMismatch)
	}
	opts.Root = tree.Root()
	opts.Params.Size = fi.Size()
	st := newState(tree)
	for i := uint64(0); i < tree.NumChunks(); i++ {
		st.verified.set(i)
	}
	s := &Store{opts: opts, f: f, tree: tree, verified: st.verified, pending: st.pending, gen: 1}
	// Every chunk was just hashed from the file, whose identity fi is from before that.
	s.startIdentity(fi)
	s.checked = newBitmap(tree.NumChunks())
	if s.identOK {
		copy(s.checked, s.verified)
	}
	s.rec.From = "seed"
	if err := s.Checkpoint(); err != nil {
		return nil, err
	}
	return s, nil
}
