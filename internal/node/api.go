package node

import (
	"context"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// The node's API: each call runs on the loop goroutine, the only one that touches the
// engine, and waits for it. After Run has returned, calls fail with ErrStopped.

// do runs fn on the loop goroutine with the engine and waits for it. fn must not block.
// It is unexported: the engine is reached only through the typed methods below, which keep
// its state consistent (issue 10).
func (n *Node) do(ctx context.Context, fn func(now time.Time, e *engine.Engine)) error {
	finished := make(chan struct{})
	call := func(e *engine.Engine) {
		defer close(finished)
		fn(n.now(), e)
	}
	select {
	case n.calls <- call:
	case <-n.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-finished:
		return nil
	case <-n.done:
		return ErrStopped
	}
}

// AddSwarm adds a swarm to the engine and answers the HANDSHAKEs that waited for it.
func (n *Node) AddSwarm(ctx context.Context, cfg engine.SwarmConfig) (engine.SwarmID, error) {
	var id engine.SwarmID
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) {
		if id, err = e.AddSwarm(cfg); err == nil {
			n.replayCold(now, e, id) // HANDSHAKEs that waited for it (cold.go)
		}
	}); derr != nil {
		return "", derr
	}
	return id, err
}

// Connect opens a channel to peer in swarm id.
func (n *Node) Connect(ctx context.Context, id engine.SwarmID, peer netip.AddrPort) error {
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) { err = e.Connect(now, id, peer) }); derr != nil {
		return derr
	}
	return err
}

// RemoveSwarm closes a swarm's channels and forgets it.
func (n *Node) RemoveSwarm(ctx context.Context, id engine.SwarmID) error {
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) { err = e.RemoveSwarm(now, id) }); derr != nil {
		return derr
	}
	return err
}

// Progress reports verified and total chunks of a swarm and its error state.
func (n *Node) Progress(ctx context.Context, id engine.SwarmID) (have, total uint64, err error) {
	if derr := n.do(ctx, func(_ time.Time, e *engine.Engine) { have, total, err = e.Progress(id) }); derr != nil {
		return 0, 0, derr
	}
	return have, total, err
}

// SetPlayback sets owner's playback window in swarm id: window chunks from position on are
// requested first and in order, alongside the other owners' windows; a window of 0 clears
// it (engine.SetPlayback). The requests it causes go out at once.
func (n *Node) SetPlayback(ctx context.Context, id engine.SwarmID, owner engine.PlaybackID, position, window uint64) error {
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) {
		if err = e.SetPlayback(id, owner, position, window); err == nil {
			e.Flush(now)
		}
	}); derr != nil {
		return derr
	}
	return err
}

// ClearPlayback drops owner's playback window in swarm id (engine.ClearPlayback); the
// requests the freed room allows go out at once.
func (n *Node) ClearPlayback(ctx context.Context, id engine.SwarmID, owner engine.PlaybackID) error {
	return n.SetPlayback(ctx, id, owner, 0, 0) // a window of 0 clears it (engine.SetPlayback)
}

// SetRateLimit caps swarm id's upload and download, or the whole node's when id is "", in
// bytes per second of chunk payload; 0 removes a cap (engine.SetRateLimit).
func (n *Node) SetRateLimit(ctx context.Context, id engine.SwarmID, up, down float64) error {
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) { err = e.SetRateLimit(now, id, up, down) }); derr != nil {
		return derr
	}
	return err
}

// SwarmInfo returns swarm id's progress, byte counters and peer counts.
func (n *Node) SwarmInfo(ctx context.Context, id engine.SwarmID) (engine.SwarmInfo, error) {
	var info engine.SwarmInfo
	var err error
	if derr := n.do(ctx, func(_ time.Time, e *engine.Engine) { info, err = e.SwarmInfo(id) }); derr != nil {
		return engine.SwarmInfo{}, derr
	}
	return info, err
}

// PeerInfos lists swarm id's established peers with their byte counters.
func (n *Node) PeerInfos(ctx context.Context, id engine.SwarmID) ([]engine.PeerInfo, error) {
	var peers []engine.PeerInfo
	var err error
	if derr := n.do(ctx, func(_ time.Time, e *engine.Engine) { peers, err = e.PeerInfos(id) }); derr != nil {
		return nil, derr
	}
	return peers, err
}

// Stats returns the engine's counters.
func (n *Node) Stats(ctx context.Context) (engine.Stats, error) {
	var st engine.Stats
	err := n.do(ctx, func(_ time.Time, e *engine.Engine) { st = e.Stats() })
	return st, err
}

// Store returns the store of swarm id. Its ReadAt hands out verified bytes only and is safe
// to call from any goroutine (gateways read through it).
func (n *Node) Store(ctx context.Context, id engine.SwarmID) (engine.Store, error) {
	var st engine.Store
	var err error
	if derr := n.do(ctx, func(_ time.Time, e *engine.Engine) { st, err = e.Store(id) }); derr != nil {
		return nil, derr
	}
	return st, err
}

// OffloadStats says whether UDP segmentation offload is in use and how much it carried.
type OffloadStats struct {
	GSO, GRO                         bool
	GSOSends, GSODatagrams, GROReads uint64
}

// Offload reports the offload counters; safe from any goroutine.
func (n *Node) Offload() OffloadStats {
	return OffloadStats{GSO: n.gso.Load(), GRO: n.gro, GSOSends: n.gsoSends.Load(), GSODatagrams: n.gsoDatagrams.Load(), GROReads: n.groReads.Load()}
}

// Snapshot is a consistent view of the engine for the STATS gateway.
type Snapshot struct {
	Stats    engine.Stats
	Swarms   []engine.SwarmInfo
	Channels int
	Offload  OffloadStats
	// EventsDropped counts events that slow subscribers missed.
	EventsDropped uint64
	// SendFailures counts datagrams the kernel refused to send; ForeignReads datagrams
	// from a source that is no UDP address. Both are dropped, never silently.
	SendFailures, ForeignReads uint64
}

// Snapshot takes a Snapshot on the loop goroutine.
func (n *Node) Snapshot(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	err := n.do(ctx, func(_ time.Time, e *engine.Engine) {
		s = Snapshot{Stats: e.Stats(), Swarms: e.Swarms(), Channels: e.Channels()}
	})
	s.Offload = n.Offload()
	s.SendFailures, s.ForeignReads = n.sendFailures.Load(), n.foreignReads.Load()
	n.mu.Lock()
	s.EventsDropped = n.dropped
	n.mu.Unlock()
	return s, err
}

// AddLiveSwarm adds a live swarm, as its source or as a peer (engine.AddLiveSwarm), and
// answers the HANDSHAKEs that waited for it.
func (n *Node) AddLiveSwarm(ctx context.Context, cfg engine.LiveSwarmConfig) (engine.SwarmID, error) {
	var id engine.SwarmID
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) {
		if id, err = e.AddLiveSwarm(cfg); err == nil {
			n.replayCold(now, e, id)
		}
	}); derr != nil {
		return "", derr
	}
	return id, err
}

// Inject hands the next chunk of a live stream we are the source of to the engine.
func (n *Node) Inject(ctx context.Context, id engine.SwarmID, data []byte) (uint64, error) {
	var i uint64
	var err error
	if derr := n.do(ctx, func(now time.Time, e *engine.Engine) { i, err = e.Inject(now, id, data) }); derr != nil {
		return 0, derr
	}
	return i, err
}

// LiveEdge is the newest chunk of a live swarm held here.
func (n *Node) LiveEdge(ctx context.Context, id engine.SwarmID) (edge uint64, ok bool, err error) {
	if derr := n.do(ctx, func(_ time.Time, e *engine.Engine) { edge, ok, err = e.LiveEdge(id) }); derr != nil {
		return 0, false, derr
	}
	return edge, ok, err
}
