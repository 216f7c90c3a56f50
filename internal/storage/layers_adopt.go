package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Layer files made without hashing the content: from libswift's .mhash, which is the same
// layout without our header, and from the verified tree of a download that completed.
// Either way the hashes are checked against the root before the file is put in place
// (hashtree.OpenLayers: the right edge must lead to it), and every page again when it is
// read; so a wrong file can make chunks unservable, never make wrong bytes servable.

// adoptMhash makes the layer file from libswift's .mhash beside one content file, copying
// its hashes behind our header with the content's identity id (fi its fstat). The .mhash
// is adopted only when it is at least as new as the content (libswift writes it after
// hashing): a content file changed since is hashed again instead. The content itself is not
// read: the store checks each chunk against its leaf hash when it is first read
// (onDemandStore with hashed false). An error wrapping fs.ErrNotExist means there is no
// .mhash to adopt.
func adoptMhash(opts Options, id layersIdentity, fi os.FileInfo) (*os.File, *hashtree.Tree, error) {
	if opts.Content != nil {
		return nil, nil, fmt.Errorf("storage: no .mhash for content of several files: %w", fs.ErrNotExist)
	}
	mf, err := os.Open(opts.MhashPath)
	if err != nil {
		return nil, nil, err
	}
	defer mf.Close()
	mi, err := mf.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("storage: .mhash: %w", err)
	}
	p := opts.Params
	p.Size = fi.Size()
	hl := int64(p.Hash.Size())
	n := (p.Size + int64(p.ChunkSize) - 1) / int64(max(p.ChunkSize, 1))
	switch {
	case len(opts.Root) == 0:
		return nil, nil, errors.New("storage: adopting a .mhash needs the swarm ID")
	case opts.Params.Size > 0 && opts.Params.Size != fi.Size():
		return nil, nil, fmt.Errorf("storage: %s has %d bytes, the swarm %d: %w", opts.ContentPath, fi.Size(), opts.Params.Size, ErrContentChanged)
	case mi.ModTime().Before(fi.ModTime()):
		return nil, nil, fmt.Errorf("storage: %s is older than %s: not adopted", opts.MhashPath, opts.ContentPath)
	case p.Size <= 0 || mi.Size() != 2*n*hl:
		return nil, nil, fmt.Errorf("%w: .mhash of %d bytes for %d chunks of content", ErrCheckpoint, mi.Size(), n)
	}
	lf, tree, err := installLayers(opts, id, p, func(w io.Writer) error {
		_, err := io.Copy(w, mf)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Checked whole now (hashes only, no content): a bad page found later would make its
	// chunks unservable until the file is dropped, and the same .mhash adopted again.
	if err := tree.CheckLayers(); err != nil {
		lf.Close()
		os.Remove(opts.LayersPath)
		return nil, nil, fmt.Errorf("storage: %s: %w", opts.MhashPath, err)
	}
	return lf, tree, nil
}

// installLayers writes a layer file for content of identity id and parameters p (p.Size
// the content length): a temporary file gets the header and, from fill, the hashes in
// .mhash layout; it is opened as a tree, which must lead to opts.Root, synced and renamed
// to opts.LayersPath. It returns the open file and its tree.
func installLayers(opts Options, id layersIdentity, p hashtree.Params, fill func(io.Writer) error) (*os.File, *hashtree.Tree, error) {
	return placeLayers(opts, func(tmp *os.File) (*hashtree.Tree, error) {
		h := headerFor(id, p, opts.Root)
		if _, err := tmp.Write(h.encode()); err != nil {
			return nil, fmt.Errorf("storage: layer file: %w", err)
		}
		if err := fill(tmp); err != nil {
			return nil, fmt.Errorf("storage: layer file: %w", err)
		}
		tree, err := hashtree.OpenLayers(opts.Root, p, tmp, h.base())
		if err != nil {
			return nil, fmt.Errorf("storage: layer file: %w", err)
		}
		return tree, nil
	})
}

// SaveLayers writes the layer file (Options.LayersPath) of a complete download from its
// verified tree in memory, with the content file's identity once every chunk is written
// and synced, so that the swarm can later be opened as a seed with OnDemandHashes without
// hashing the content again. The store itself keeps its tree until it is closed. It holds
// the store while it writes (2·N hashes). A store already on demand has its layer file.
func (s *Store) SaveLayers() error {
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.layers != nil {
		return nil
	}
	if s.closed {
		return fmt.Errorf("storage: %s: %w", s.opts.ContentPath, os.ErrClosed)
	}
	if s.opts.Content != nil || s.opts.ReadOnly {
		return fmt.Errorf("storage: %s: a layer file from memory is for a download of one file", s.opts.ContentPath)
	}
	if n := s.tree.NumChunks(); n == 0 || uint64(s.verified.count()) != n {
		return fmt.Errorf("storage: %s: %w", s.opts.ContentPath, ErrIncompleteSeed)
	}
	if err := s.flushLocked(); err != nil {
		return err
	}
	if err := s.exactLengthLocked(); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return s.failLocked(fmt.Errorf("syncing content before the layer file: %w", err))
	}
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("storage: %s: %w", s.opts.ContentPath, err)
	}
	id, err := identityForLayers(s.f, fi)
	if err != nil {
		return err
	}
	size, _ := s.tree.Size()
	if fi.Size() != size {
		return fmt.Errorf("storage: %s has %d bytes, the content %d: no layer file", s.opts.ContentPath, fi.Size(), size)
	}
	p := s.opts.Params
	p.Size = size
	lf, _, err := installLayers(s.opts, id, p, s.tree.WriteMhash)
	if err != nil {
		return err
	}
	return lf.Close()
}
