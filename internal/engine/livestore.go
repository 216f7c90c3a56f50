package engine

import (
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// liveStoreAdapter lets the serving path read a live swarm's chunks as it reads static
// content (readChunk calls ReadAt). Only reading is used: live chunks enter through
// liveIntegrity.verify or Inject, which put them in the LiveStore themselves.
type liveStoreAdapter struct{ cfg *LiveSwarmConfig }

func (a liveStoreAdapter) Root() []byte                { return a.cfg.SwarmID }
func (a liveStoreAdapter) HashFunc() hashtree.HashFunc { return a.cfg.Hash }
func (a liveStoreAdapter) ChunkSize() int              { return int(a.cfg.ChunkSize) }
func (a liveStoreAdapter) NumChunks() uint64           { return 0 }
func (a liveStoreAdapter) Size() (int64, bool)         { return 0, false }
func (a liveStoreAdapter) Servable(i uint64) bool      { return false }
func (liveStoreAdapter) AddPeaks([]hashtree.NodeHash) (int, error) {
	return 0, fmt.Errorf("live swarm: %w", hashtree.ErrBadPeaks)
}

func (liveStoreAdapter) PutChunk(i uint64, _ []byte, _ []hashtree.NodeHash) error {
	return fmt.Errorf("live swarm: chunk %d: %w", i, hashtree.ErrHashMismatch)
}

func (liveStoreAdapter) Uncles(dst []hashtree.NodeHash, _ bins.Bin, _ hashtree.Mode, _ hashtree.Peer) ([]hashtree.NodeHash, error) {
	return dst, nil
}

// ReadAt reads whole chunks from off, a multiple of the chunk size.
func (a liveStoreAdapter) ReadAt(p []byte, off int64) (int, error) {
	cs := int64(a.cfg.ChunkSize)
	if off%cs != 0 {
		return 0, fmt.Errorf("live swarm: read at %d, not a chunk boundary", off)
	}
	n := 0
	for i := uint64(off / cs); n < len(p); i++ {
		k, ok := a.cfg.Store.Get(i, p[n:min(len(p), n+int(cs))])
		if !ok {
			return n, fmt.Errorf("live swarm: chunk %d no longer held", i)
		}
		n += k
	}
	return n, nil
}
