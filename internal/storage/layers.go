package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Hashes on demand (Options.OnDemandHashes): a complete seed keeps its tree in a layer file
// beside its checkpoint and reads hashes from it as peers need them, so memory does not grow
// with the content's size (2·N hashes: 640 MiB of SHA-1 hashes for 16 GiB in 1 KiB chunks).
// The layer file also records the content file's identity when it was hashed; a content
// file whose identity differs at Open is hashed again, and Open fails with
// ErrContentChanged unless it still gives the swarm ID. Layout in doc.go.

// LayersExt is added to the checkpoint path to name the layer file by default.
const LayersExt = ".layers"

const (
	layersMagic   = "PPSPPDHL"
	layersVersion = 1
	// layersFixed is the header before the root hash; the CRC-32C follows the root.
	layersFixed = 56
)

// layersHeader is a layer file's header.
type layersHeader struct {
	hf        hashtree.HashFunc
	chunkSize int
	id        layersIdentity // the content's (layers_identity.go)
	root      []byte
}

// base is the file offset of bin 0's hash.
func (h *layersHeader) base() int64 { return int64(layersFixed + len(h.root) + ckptCRCLen) }

func headerFor(id layersIdentity, p hashtree.Params, root []byte) layersHeader {
	return layersHeader{hf: p.Hash, chunkSize: p.ChunkSize, id: id, root: root}
}

func (h *layersHeader) encode() []byte {
	b := append([]byte(nil), layersMagic...)
	b = binary.BigEndian.AppendUint16(b, layersVersion)
	b = append(b, byte(h.hf), 0)
	b = binary.BigEndian.AppendUint32(b, uint32(h.chunkSize))
	b = binary.BigEndian.AppendUint64(b, uint64(h.id.size))
	b = binary.BigEndian.AppendUint64(b, h.id.dev)
	b = binary.BigEndian.AppendUint64(b, h.id.ino)
	b = binary.BigEndian.AppendUint64(b, uint64(h.id.mtime))
	b = binary.BigEndian.AppendUint64(b, uint64(h.id.ctime))
	b = append(b, h.root...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// readLayersHeader reads and checks the header of the layer file f for a swarm with
// hash function hf.
func readLayersHeader(f io.ReaderAt, hf hashtree.HashFunc) (*layersHeader, error) {
	hl := hf.Size()
	b := make([]byte, layersFixed+hl+ckptCRCLen)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("%w: layer file header: %w", ErrCheckpoint, err)
	}
	body := b[:len(b)-ckptCRCLen]
	switch {
	case !bytes.Equal(b[:8], []byte(layersMagic)):
		return nil, fmt.Errorf("%w: layer file has bad magic %q", ErrCheckpoint, b[:8])
	case crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[len(body):]):
		return nil, fmt.Errorf("%w: layer file header CRC-32C mismatch", ErrCheckpoint)
	case binary.BigEndian.Uint16(b[8:]) != layersVersion:
		return nil, fmt.Errorf("%w: layer file version %d, this build reads %d", ErrCheckpointVersion, binary.BigEndian.Uint16(b[8:]), layersVersion)
	case hashtree.HashFunc(b[10]) != hf:
		return nil, fmt.Errorf("%w: layer file for hash %d, swarm uses %v", ErrCheckpoint, b[10], hf)
	}
	return &layersHeader{
		hf:        hf,
		chunkSize: int(binary.BigEndian.Uint32(b[12:])),
		id: layersIdentity{
			size:  int64(binary.BigEndian.Uint64(b[16:])),
			dev:   binary.BigEndian.Uint64(b[24:]),
			ino:   binary.BigEndian.Uint64(b[32:]),
			mtime: int64(binary.BigEndian.Uint64(b[40:])),
			ctime: int64(binary.BigEndian.Uint64(b[48:])),
		},
		root: append([]byte(nil), b[layersFixed:layersFixed+hl]...),
	}, nil
}

// onDemand reports whether opts ask for hashes on demand and allow them: a read-only store
// of one content file or of a FileSource, whose identity a layer file can record.
func onDemand(opts Options) bool {
	return opts.OnDemandHashes && opts.ReadOnly && onDemandSource(opts.Content)
}

// openOnDemand opens a complete seed whose tree stays in its layer file. Without a layer
// file, a fresh libswift .mhash beside the content is adopted as one (layers_adopt.go). A
// layer file that is unreadable, for other parameters or made from another state of the
// content is made again by hashing the content, which must give opts.Root when it is set.
func openOnDemand(ctx context.Context, opts Options, f contentFile, fi os.FileInfo) (*Store, error) {
	// The identity is taken before anything is read: a change made meanwhile shows next time.
	id, err := identityForLayers(f, fi)
	if err != nil {
		return nil, err
	}
	lf, tree, err := adoptLayers(opts, id)
	from, why := "layers", error(nil)
	if errors.Is(err, fs.ErrNotExist) {
		if lf, tree, why = adoptMhash(opts, id, fi); why == nil {
			from, err = "mhash", nil
		} else if errors.Is(why, fs.ErrNotExist) {
			why = nil
		}
	}
	if err != nil {
		from, why = "rehash", errors.Join(why, err)
		if lf, tree, err = writeLayers(ctx, opts, f, fi, id); err != nil {
			return nil, err
		}
	}
	// Chunks of an adopted .mhash were never hashed here: each is checked when first read.
	s := onDemandStore(opts, f, fi, lf, tree, from == "rehash")
	s.rec.From, s.rec.CheckpointErr = from, why
	return s, nil
}

// onDemandStore makes the store of a complete seed whose tree is on disk. hashed: every
// chunk was hashed from the file just now (its identity fi is from before), so reads may
// skip hashing while the file is unchanged (identity.go).
func onDemandStore(opts Options, f contentFile, fi os.FileInfo, lf *os.File, tree *hashtree.Tree, hashed bool) *Store {
	s := &Store{opts: opts, f: f, layers: lf, tree: tree}
	// A page of the layer file that fails its check against the root (bit rot, a torn
	// write, tampering) is never used (hashtree.ErrCorruptLayers: its chunks are not
	// served, its uncles not sent). The file is removed at once, as a changed chunk makes
	// the next checkpoint do, so the next Open hashes the content again; the open file
	// keeps serving the pages that pass.
	var drop sync.Once
	layersPath := opts.LayersPath
	tree.OnCorruptPage(func(error) {
		drop.Do(func() { _ = os.Remove(layersPath) }) // a failure is retried by checkpointOnDemand
	})
	s.startIdentity(fi)
	s.opts.Root, s.opts.Params.Size = tree.Root(), fi.Size()
	n := tree.NumChunks()
	s.verified, s.pending, s.checked = newBitmap(n), newBitmap(n), newBitmap(n)
	for i := range n {
		s.verified.set(i)
	}
	if hashed && s.identOK {
		copy(s.checked, s.verified)
	}
	return s
}

// adoptLayers opens the layer file when it was made from the content file as it is now.
func adoptLayers(opts Options, id layersIdentity) (*os.File, *hashtree.Tree, error) {
	lf, err := os.Open(opts.LayersPath)
	if err != nil {
		return nil, nil, err
	}
	h, err := readLayersHeader(lf, opts.Params.Hash)
	if err == nil {
		err = h.check(opts, id)
	}
	var tree *hashtree.Tree
	if err == nil {
		p := opts.Params
		p.Size = h.id.size
		tree, err = hashtree.OpenLayers(h.root, p, lf, h.base())
	}
	if err != nil {
		lf.Close()
		return nil, nil, err
	}
	return lf, tree, nil
}

func (h *layersHeader) check(opts Options, id layersIdentity) error {
	switch {
	case h.chunkSize != opts.Params.ChunkSize:
		return fmt.Errorf("%w: layer file for %d-byte chunks, swarm uses %d", ErrCheckpoint, h.chunkSize, opts.Params.ChunkSize)
	case len(opts.Root) > 0 && !bytes.Equal(h.root, opts.Root):
		return &foreignCheckpointError{root: h.root}
	case opts.Params.Size > 0 && h.id.size != opts.Params.Size:
		return fmt.Errorf("%w: layer file for %d bytes, swarm has %d", ErrCheckpoint, h.id.size, opts.Params.Size)
	case h.id != id:
		return fmt.Errorf("%w: %s changed since it was hashed (size, times or inode differ)", ErrContentChanged, opts.ContentPath)
	}
	return nil
}

// writeLayers hashes the content file into a new layer file (a temporary file renamed into
// place once complete and synced) and opens it. The identity recorded is fi, taken before
// hashing, so a change made while hashing shows at the next Open.
func writeLayers(ctx context.Context, opts Options, f contentFile, fi os.FileInfo, id layersIdentity) (*os.File, *hashtree.Tree, error) {
	if fi.Size() == 0 {
		return nil, nil, fmt.Errorf("storage: %s: %w", opts.ContentPath, hashtree.ErrEmptyContent)
	}
	if opts.Params.Size > 0 && opts.Params.Size != fi.Size() {
		return nil, nil, fmt.Errorf("storage: %s has %d bytes, the swarm %d: %w", opts.ContentPath, fi.Size(), opts.Params.Size, ErrContentChanged)
	}
	return placeLayers(opts, func(tmp *os.File) (*hashtree.Tree, error) {
		hl := opts.Params.Hash.Size()
		base := int64(layersFixed + hl + ckptCRCLen)
		root, err := hashtree.WriteLayers(ctx, f, fi.Size(), opts.Params.ChunkSize, opts.Params.Hash, tmp, base)
		if err != nil {
			return nil, fmt.Errorf("storage: hashing %s: %w", opts.ContentPath, err)
		}
		if len(opts.Root) > 0 && !bytes.Equal(root, opts.Root) {
			return nil, fmt.Errorf("storage: %s hashes to %x, not the swarm ID: %w (%w)", opts.ContentPath, root, ErrContentChanged, hashtree.ErrHashMismatch)
		}
		h := headerFor(id, opts.Params, root)
		if _, err := tmp.WriteAt(h.encode(), 0); err != nil {
			return nil, fmt.Errorf("storage: layer file: %w", err)
		}
		p := opts.Params
		p.Size = fi.Size()
		tree, err := hashtree.OpenLayers(root, p, tmp, base)
		if err != nil {
			return nil, fmt.Errorf("storage: layer file just written: %w", err)
		}
		return tree, nil
	})
}

// placeLayers builds a layer file in a temporary file beside opts.LayersPath (build writes
// it and opens its tree), then syncs it and renames it into place; on any error the
// temporary file is removed. It returns the open file, which the tree reads, and the tree.
// Every way a layer file is made (hashing the content, adopting a .mhash, saving a
// completed download) goes through it.
func placeLayers(opts Options, build func(tmp *os.File) (*hashtree.Tree, error)) (*os.File, *hashtree.Tree, error) {
	dir, name := filepath.Split(opts.LayersPath)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, name+tempInfix+"*")
	if err != nil {
		return nil, nil, fmt.Errorf("storage: layer file: %w", err)
	}
	tree, err := build(tmp)
	if err == nil {
		if err = tmp.Sync(); err != nil {
			err = fmt.Errorf("storage: syncing layer file: %w", err)
		}
	}
	if err == nil {
		if err = os.Rename(tmp.Name(), opts.LayersPath); err != nil {
			err = fmt.Errorf("storage: layer file: %w", err)
		}
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, nil, err
	}
	return tmp, tree, nil
}

// checkpointOnDemand is Checkpoint for a store whose hashes are on disk: nothing to save
// unless a read found a chunk changed or a page of the layer file failed its check, and
// then the layer file is removed, so the next Open hashes the content again instead of
// trusting it.
func (s *Store) checkpointOnDemand() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == s.saved && s.tree.CorruptPages() == 0 {
		return nil
	}
	if err := os.Remove(s.opts.LayersPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return s.failLocked(fmt.Errorf("removing layer file: %w", err))
	}
	s.saved = s.gen
	return nil
}

// CorruptLayerPages is the number of reads of a layer-file page that failed the check
// against the root (hashtree.Tree.CorruptPages), for logs and metrics; always 0 for a
// store whose hashes are in memory. Non-zero means the layer file has been dropped and is
// made again at the next Open.
func (s *Store) CorruptLayerPages() uint64 {
	if s.layers == nil {
		return 0
	}
	return s.tree.CorruptPages()
}

// OnDemand reports whether the store reads its hashes from its layer file.
func (s *Store) OnDemand() bool { return s.layers != nil }
