package main

import (
	"context"
	"os"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// openSeed opens a file for seeding. When libswift left a complete FILE.mhash beside it, the
// swarm ID comes from that file's hashes (checked for consistency, leaves up to the root) and
// the content is not hashed up front: each chunk is checked against its leaf hash when it is
// first read, before it goes to a peer. Otherwise the file is hashed on all cores.
func openSeed(ctx context.Context, path, checkpoint string, p hashtree.Params, log *zap.Logger) (*storage.Store, error) {
	if st := openFromMhash(ctx, path, checkpoint, p, log); st != nil {
		return st, nil
	}
	return storage.Seed(ctx, storage.Options{ContentPath: path, CheckpointPath: checkpoint, Params: p})
}

func openFromMhash(ctx context.Context, path, checkpoint string, p hashtree.Params, log *zap.Logger) *storage.Store {
	raw, err := os.ReadFile(path + ".mhash")
	if err != nil {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		return nil
	}
	p.Size = fi.Size()
	root, err := hashtree.MhashRoot(p, raw)
	if err != nil {
		log.Info("ignoring libswift .mhash; hashing the file", zap.String("file", path), zap.Error(err))
		return nil
	}
	// Read-only: a seeded file is never resized or written, even if it grew since p.Size.
	st, err := storage.Open(ctx, storage.Options{ContentPath: path, CheckpointPath: checkpoint, Root: root, Params: p, ReadOnly: true})
	if err != nil {
		log.Info("cannot use libswift .mhash; hashing the file", zap.String("file", path), zap.Error(err))
		return nil
	}
	for i := range st.NumChunks() {
		if !st.Servable(i) {
			log.Info("libswift .mhash does not cover the whole file; hashing it", zap.String("file", path))
			st.Close()
			return nil
		}
	}
	log.Info("seeding from libswift's .mhash without rehashing", zap.String("file", path), zap.String("from", st.Recovery().From))
	return st
}
