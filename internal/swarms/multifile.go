package swarms

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/multifile"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// Multi-file swarms (libswift's layout, internal/multifile): a seeded directory is read
// in place through a multifile.Reader, never written. A download keeps the swarm's bytes
// in its one content file, with the usual checkpoints, so its crash safety is unchanged;
// once complete, its files are written out of the verified content under the content
// file's directory (as libswift's -o DIR), each through a temporary file and a rename.
// The content file stays, as the seeding copy.

// dirScan leaves out of a seeded directory what is not content (checkpoints, libswift's
// files, downloads in progress), by storage's rule.
var dirScan = multifile.ScanOptions{Skip: func(p string) bool { ok, _ := storage.SeedCandidate(p); return !ok }}

// seedDir seeds a directory as one multi-file swarm: its files, named by the directory's
// name and their path in it, as libswift's `swift -M` names them when run beside it.
func (m *Manager) seedDir(ctx context.Context, spec SeedSpec, dir string, cs int, hf hashtree.HashFunc) (Status, error) {
	if st, ok := m.seededPath(dir, cs, hf); ok {
		return st, fmt.Errorf("%w: %v", ErrExists, st.ID)
	}
	src, err := multifile.OpenDir(dir, dirScan)
	if err != nil {
		return Status{}, fmt.Errorf("seed: %w", err)
	}
	ckpt := m.seedCheckpoint(dir) // beside the directory, not in it, without a state directory
	ctx, cancel := mergeCancel(ctx, m.base)
	defer cancel()
	st, err := storage.Seed(ctx, storage.Options{ContentPath: dir, CheckpointPath: ckpt, Content: src,
		Params: hashtree.Params{Hash: hf, ChunkSize: cs}, OnDemandHashes: m.zeroState()})
	if err != nil {
		return Status{}, fmt.Errorf("seed: %w", err)
	}
	m.log.Info("seeding a directory as a multi-file swarm", zap.String("dir", dir), zap.Int("files", len(src.Spec().Files())),
		zap.Int64("bytes", src.Size()))
	return m.addSeeded(st, record{
		Kind: kindSeed, Path: dir, Checkpoint: ckpt, ChunkSize: cs, Hash: hf.String(), Size: src.Size(),
		Limits: spec.Limits, Added: time.Now().UTC(), Multifile: true,
	})
}

// withDirSource gives opts a fresh reader over a multi-file seed's directory (a store
// closes its source when it fails to open, so each attempt needs its own).
func withDirSource(rec record, opts *storage.Options) error {
	if !rec.Multifile {
		return nil
	}
	src, err := multifile.OpenDir(rec.Path, dirScan)
	if err != nil {
		return err
	}
	opts.Content = src
	return nil
}

// Materialize writes the files of a complete multi-file download under its content
// file's directory and returns them; for a download of a single file it does nothing and
// returns none. It is done once (recorded in the swarm list); calls wait for one another.
// The daemon calls it when a download completes; `ppsppd get` calls it before it exits.
func (m *Manager) Materialize(ctx context.Context, id ID) ([]multifile.File, error) {
	m.mu.Lock()
	e, ok := m.swarms[id]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %v", ErrUnknown, id)
	}
	e.materializing.Lock()
	defer e.materializing.Unlock()
	m.mu.Lock()
	rec, st := e.rec, e.store
	m.mu.Unlock()
	if rec.Kind != kindDownload {
		return nil, nil
	}
	if st == nil || !st.Complete() {
		return nil, errors.New("materialize: the download is not complete")
	}
	size, _ := st.Size()
	spec, err := multifile.ReadSpec(st, size)
	if errors.Is(err, multifile.ErrNotMultifile) {
		m.markMaterialized(e)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("materialize %v: %w", id, err)
	}
	if rec.Materialized {
		return spec.Files(), nil
	}
	dest := filepath.Dir(rec.Path)
	if err := multifile.Materialize(ctx, st, spec, dest); err != nil {
		return nil, fmt.Errorf("materialize %v: %w", id, err)
	}
	m.markMaterialized(e)
	m.log.Info("multi-file swarm written out", zap.Stringer("swarm", id), zap.String("dir", dest),
		zap.Int("files", len(spec.Files())))
	return spec.Files(), nil
}

func (m *Manager) markMaterialized(e *entry) {
	m.mu.Lock()
	if !e.rec.Materialized {
		e.rec.Materialized = true
		m.listDirty = true
	}
	m.mu.Unlock()
}

// materializeLater runs Materialize for a download that reached seeding, on a goroutine
// counted in m.openers (shutdown waits for it; m.base cancels it).
func (m *Manager) materializeLater(e *entry) {
	m.goCounted(func() func() {
		if e.rec.Kind != kindDownload || e.rec.Materialized {
			return nil
		}
		return func() {
			if _, err := m.Materialize(m.base, e.id); err != nil && m.base.Err() == nil {
				m.log.Error("cannot write out the files of a multi-file swarm", zap.Stringer("swarm", e.id), zap.Error(err))
			}
		}
	})
}
