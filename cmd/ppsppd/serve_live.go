package main

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/config"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// startConfiguredLive starts the live sources of [live] (RFC 7574 §6). One that cannot
// start (its input or key file missing or unreadable) is logged and skipped; the daemon
// runs the rest. Each logs its link.
func startConfiguredLive(ctx context.Context, m *swarms.Manager, cfg config.Config, log *zap.Logger) {
	for i, src := range cfg.Live.Sources {
		spec, err := liveFileSpec(src)
		if err != nil {
			log.Error("cannot start live source", zap.Int("index", i), zap.String("input", src.Path), zap.Error(err))
			continue
		}
		st, err := m.AddLiveFile(ctx, spec)
		if errors.Is(err, swarms.ErrExists) {
			log.Error("live source: another source already injects with this key", zap.String("input", src.Path),
				zap.String("key_file", src.KeyFile), zap.Stringer("swarm", st.ID))
			continue
		}
		if err != nil {
			log.Error("cannot start live source", zap.String("input", src.Path), zap.String("key_file", src.KeyFile), zap.Error(err))
			continue
		}
		log.Info("live source", zap.String("input", src.Path), zap.Stringer("swarm", st.ID), zap.Stringer("url", st.Link(m.LocalAddr())))
	}
}

// liveFileSpec is the manager's spec for one [[live.sources]] table (validated by config).
func liveFileSpec(src config.LiveSource) (swarms.LiveFileSpec, error) {
	method, err := swarms.ParseLiveIntegrity(src.Integrity)
	if err != nil {
		return swarms.LiveFileSpec{}, err
	}
	return swarms.LiveFileSpec{
		LiveSourceSpec: swarms.LiveSourceSpec{Method: method, ChunkSize: src.ChunkSize, Window: uint64(max(src.Window, 0)),
			ChunksPerSig: uint64(max(src.ChunksPerSig, 0))},
		Path: src.Path, Follow: src.Following(), KeyFile: src.KeyFile,
	}, nil
}
