package swarms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/follow"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// LiveFileSpec says what file a live source reads (swarmapi).
type LiveFileSpec = swarmapi.LiveFileSpec

// AddLiveFile makes this node the source of a live stream read from a file or a FIFO
// (AddLiveFeed; follow.Open says how each kind is read), signed with the key of
// spec.KeyFile or, without one, a new key that lives as long as the swarm. The swarm's Name
// is the file's when the spec gives none.
func (m *Manager) AddLiveFile(ctx context.Context, spec LiveFileSpec) (Status, error) {
	if spec.Path == "" {
		return Status{}, fmt.Errorf("live source: no input file")
	}
	key, err := LiveKey(spec.KeyFile, spec.Alg, m.log)
	if err != nil {
		return Status{}, err
	}
	src, err := follow.Open(spec.Path, spec.Follow, 0)
	if err != nil {
		return Status{}, err
	}
	s := spec.LiveSourceSpec
	s.Key = key
	if s.Name == "" {
		s.Name = filepath.Base(spec.Path)
	}
	if s.ResumeFile == "" && spec.KeyFile != "" && m.cfg.StateDir != "" {
		// A key kept in a file is a stream that outlives this run: number on after a
		// restart (live_resume.go). A new key is a new stream.
		sum := sha256.Sum256(key.Public().SwarmID())
		s.ResumeFile = filepath.Join(m.cfg.StateDir, "live-"+hex.EncodeToString(sum[:8])+".next")
	}
	return m.AddLiveFeed(ctx, s, src)
}

// LiveKey reads a live source's key from keyFile, or makes a new one of algorithm alg
// ("" for livesig.DefaultAlg) when keyFile is empty. A key file others may read is used,
// with a warning in the log.
func LiveKey(keyFile, alg string, log *zap.Logger) (*livesig.PrivateKey, error) {
	if keyFile != "" {
		if alg != "" {
			return nil, fmt.Errorf("live source: a signature algorithm is for a new key; the key file %s carries its own", keyFile)
		}
		k, err := livesig.ReadKeyFile(keyFile, func(err error) {
			log.Warn("live key file", zap.String("file", keyFile), zap.Error(err))
		})
		if err != nil {
			return nil, fmt.Errorf("live source key: %w", err)
		}
		return k, nil
	}
	a := livesig.DefaultAlg
	if alg != "" {
		var err error
		if a, err = livesig.ParseAlg(alg); err != nil {
			return nil, fmt.Errorf("live source: %w", err)
		}
	}
	k, err := livesig.GenerateKey(a, nil)
	if err != nil {
		return nil, fmt.Errorf("live source: making a %v key: %w", a, err)
	}
	return k, nil
}
