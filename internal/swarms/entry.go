package swarms

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/ppsppd/ppsppd/internal/storage"
)

// entry is one swarm the manager holds. Its fields are guarded by Manager.mu.
type entry struct {
	id  ID
	rec record // what is persisted

	state State
	err   string
	store *storage.Store
	// inNode: the swarm is added to the node (serving and, while incomplete, fetching).
	inNode bool
	// opening: a goroutine is opening its storage; gen tells a stale opener (the swarm
	// was removed or restarted meanwhile) to give up.
	opening bool
	gen     uint64

	peers []netip.AddrPort // known peers, retried while none is connected
	// force: the first open may take over a destination that is not ours (AddSpec.Force).
	force bool

	// From the node, sampled every tick.
	have, total               uint64
	size                      int64
	npeers, seeders, leechers int
	down, up                  uint64
	rates                     rateSampler

	// Retrying: next attempt and the current backoff; attempts since a peer last answered.
	retryAt  time.Time
	backoff  time.Duration
	attempts int

	// changed, when a reader waits, is closed (and cleared) at the next chunk verified or
	// state change.
	changed chan struct{}

	lastPeerErr string // why the last peer channel closed, with its address
	progressed  bool   // chunks verified since the last progress event
	lastCkpt    time.Time

	// Zero state (zerostate.go). idle: held as a record only, loaded on the first
	// HANDSHAKE or reader; unloading: being unloaded now; quietSince: since when a loaded
	// seed has had no channel and no reader; readers: open Readers. upBefore and downBefore
	// are the bytes moved in earlier loads, which the node's counters restart from.
	idle, unloading      bool
	quietSince           time.Time
	readers              int
	upBefore, downBefore uint64
	// chunksFrom counts verified chunks by the peer that sent them (peerchunks.go).
	chunksFrom map[netip.AddrPort]uint64

	// live is set for a live swarm (live.go), whose chunks are in live.store, not store.
	live *liveEntry

	// materializing serializes writing a multi-file download's files (multifile.go);
	// unlike the fields above it is not guarded by Manager.mu.
	materializing sync.Mutex
}

func (e *entry) status() Status {
	s := Status{
		ID:          e.id,
		State:       e.state,
		Err:         e.err,
		Path:        e.rec.Path,
		Name:        e.rec.Name,
		ChunkSize:   e.rec.ChunkSize,
		Hash:        e.rec.Hash,
		Size:        e.size,
		HaveChunks:  e.have,
		TotalChunks: e.total,
		Downloaded:  e.down,
		Uploaded:    e.up,
		Peers:       e.npeers,
		Seeders:     e.seeders,
		Leechers:    e.leechers,
		Limits:      e.rec.Limits,
		Added:       e.rec.Added,

		LastPeerError: e.lastPeerErr,
	}
	if s.Name == "" {
		s.Name = filepath.Base(e.rec.Path)
	}
	s.DownRate, s.UpRate = e.rates.rates()
	s.Have = int64(e.have) * int64(e.rec.ChunkSize)
	if e.size >= 0 && s.Have > e.size {
		s.Have = e.size // the last chunk is short
	}
	if e.live != nil {
		e.live.status(&s)
	}
	if e.state == StateDownloading && e.npeers == 0 && e.attempts > 1 {
		s.Waiting = true
		if s.Err == "" {
			wait := time.Until(e.retryAt).Round(time.Second)
			s.Err = fmt.Sprintf("no peer answered (%d known); retrying in %v", len(e.peers), max(wait, 0))
			if len(e.peers) == 0 {
				s.Err = "no peer known: add one (PEERADDR, ppsppd add --peer)"
			}
		}
	}
	return s
}

// setState changes the state and reports whether it changed.
func (e *entry) setState(s State, err string) bool {
	changed := e.state != s || e.err != err
	e.state, e.err = s, err
	if changed {
		e.wake()
	}
	return changed
}

// wake releases the readers waiting for a change; m.mu must be held.
func (e *entry) wake() {
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}
