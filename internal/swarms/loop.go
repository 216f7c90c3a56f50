package swarms

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// engineBadDataReason is in the text of every reason the engine gives for dropping a peer
// whose chunks failed verification (engine.ErrBadData); the tests look for it in statuses.
const engineBadDataReason = "failed verification"

// onEngineEvent turns the node's events into state changes and swarm events. Events can
// be missed (the node drops them for a slow subscriber); tick reconciles from snapshots.
func (m *Manager) onEngineEvent(ev engine.Event) {
	m.mu.Lock()
	e, ok := m.swarms[ID(ev.Swarm)]
	if !ok || !e.inNode {
		m.mu.Unlock()
		return
	}
	switch ev.Kind {
	case engine.EventChunkVerified, engine.EventSizeKnown:
		if ev.Kind == engine.EventChunkVerified {
			e.countChunksFrom(ev.Peer, ev.VerifiedCount())
		}
		e.progressed = true
		e.wake()
		m.mu.Unlock()
	case engine.EventComplete:
		m.mu.Unlock()
		m.complete(e)
	case engine.EventSwarmError:
		msg := "storage failed"
		if ev.Err != nil {
			msg = ev.Err.Error()
		}
		changed := e.setState(StateError, msg)
		m.mu.Unlock()
		if changed {
			m.log.Error("swarm stopped on a storage error", zap.Stringer("swarm", e.id), zap.Error(ev.Err))
			m.emit(EventStateChanged, e, nil)
		}
	case engine.EventPeerConnected:
		e.attempts, e.backoff = 0, 0
		e.npeers++ // until the next tick's snapshot says exactly
		m.mu.Unlock()
		m.emit(EventPeerConnected, e, func(out *Event) { out.Peer = ev.Peer })
	case engine.EventPeerClosed, engine.EventPeerUnreachable:
		reason := "closed"
		if ev.Err != nil {
			reason = ev.Err.Error()
		}
		e.lastPeerErr = ev.Peer.String() + ": " + reason
		m.mu.Unlock()
		bad := ev.Kind == engine.EventPeerClosed && errors.Is(ev.Err, engine.ErrBadData)
		m.emit(EventPeerClosed, e, func(out *Event) { out.Peer, out.Err, out.BadData = ev.Peer, reason, bad })
	default:
		m.mu.Unlock()
	}
}

// complete moves a download that has every chunk to seeding, with a checkpoint.
func (m *Manager) complete(e *entry) {
	m.mu.Lock()
	if e.state != StateDownloading {
		m.mu.Unlock()
		return
	}
	e.setState(StateSeeding, "")
	st := e.store
	if st != nil {
		// The status says it all at once, not at the next tick.
		e.total = st.NumChunks()
		if size, ok := st.Size(); ok {
			e.size = size
		}
	}
	e.have = e.total
	m.mu.Unlock()
	if st != nil {
		if err := st.Checkpoint(); err != nil {
			m.log.Warn("checkpoint at completion", zap.Stringer("swarm", e.id), zap.Error(err))
		}
	}
	m.log.Info("download complete", zap.Stringer("swarm", e.id), zap.String("path", e.rec.Path))
	m.emit(EventComplete, e, nil)
	m.emit(EventStateChanged, e, nil)
	m.materializeLater(e) // a multi-file swarm's files (multifile.go)
	m.saveLayersLater(e)  // zero state once idle (zerostate.go)
}

// tick samples the node, retries peers of swarms that have none, saves due checkpoints,
// sends coalesced progress events and saves the swarm list when it changed.
func (m *Manager) tick(ctx context.Context, now time.Time) {
	lives := m.sampleLiveEdges(ctx)
	snap, err := m.node.Snapshot(ctx)
	if err != nil {
		return
	}
	infos := make(map[ID]engine.SwarmInfo, len(snap.Swarms))
	for _, si := range snap.Swarms {
		infos[ID(si.ID)] = si
	}
	for _, id := range lives {
		if _, ok := infos[id]; !ok { // in case the engine lists live swarms apart
			if si, err := m.node.SwarmInfo(ctx, engine.SwarmID(id)); err == nil {
				infos[id] = si
			}
		}
	}
	var retry, progressed, completed []*entry
	var failed []*entry
	var due []*storage.Store
	m.mu.Lock()
	for _, e := range m.swarms {
		if !e.inNode {
			continue
		}
		if si, ok := infos[e.id]; ok {
			if e.live == nil { // a live swarm's progress is its edge (sampleLiveEdges)
				e.have, e.total = si.Have, si.Total
			}
			e.npeers, e.seeders, e.leechers = si.Peers, si.Seeders, si.Leechers
			e.down, e.up = e.downBefore+si.BytesDown, e.upBefore+si.BytesUp
			e.rates.add(now, e.down, e.up)
			if e.size < 0 && e.store != nil {
				if size, ok := e.store.Size(); ok {
					e.size = size
				}
			}
			if si.Err != nil && e.state != StateError {
				e.setState(StateError, si.Err.Error())
				failed = append(failed, e)
			}
		}
		if e.state == StateDownloading && e.total > 0 && e.have == e.total {
			completed = append(completed, e)
		}
		if e.state == StateDownloading && e.npeers == 0 && len(e.peers) > 0 && !now.Before(e.retryAt) {
			retry = append(retry, e)
		}
		if e.store != nil && now.Sub(e.lastCkpt) >= m.cfg.CheckpointEvery && e.store.Dirty() {
			e.lastCkpt = now
			due = append(due, e.store)
		}
		if e.progressed {
			e.progressed = false
			progressed = append(progressed, e)
		}
	}
	m.mu.Unlock()

	for _, e := range failed {
		m.emit(EventStateChanged, e, nil)
	}
	for _, e := range completed {
		m.complete(e)
	}
	for _, e := range retry {
		m.connect(e, now)
	}
	for _, st := range due {
		if err := st.Checkpoint(); err != nil {
			m.log.Warn("periodic checkpoint", zap.Binary("swarm", st.Root()), zap.Error(err))
		}
	}
	for _, e := range progressed {
		m.emit(EventProgress, e, nil)
	}
	m.unloadIdle(now)
	if err := m.saveList(); err != nil {
		m.log.Error("swarm list", zap.Error(err))
	}
}

// retryNow makes the next tick try e's peers at once (new peers, or a fresh start).
func (m *Manager) retryNow(e *entry) {
	m.mu.Lock()
	e.retryAt = time.Time{}
	m.mu.Unlock()
	m.connect(e, time.Now())
}

// connect sends a HANDSHAKE to each known peer of e that has no channel (the engine keeps
// one channel per peer and retries an unanswered HANDSHAKE itself), and schedules the
// next attempt with capped exponential backoff: a swarm never gives up by itself.
func (m *Manager) connect(e *entry, now time.Time) {
	m.mu.Lock()
	if e.state != StateDownloading || !e.inNode {
		m.mu.Unlock()
		return
	}
	peers := append(e.peers[:0:0], e.peers...)
	e.attempts++
	if e.backoff == 0 {
		e.backoff = m.cfg.RetryMin
	} else {
		e.backoff = min(2*e.backoff, m.cfg.RetryMax)
	}
	e.retryAt = now.Add(e.backoff)
	m.mu.Unlock()
	for _, p := range peers {
		if err := m.node.Connect(m.base, engine.SwarmID(e.id), p); err != nil {
			m.log.Debug("connect", zap.Stringer("swarm", e.id), zap.Stringer("peer", p), zap.Error(err))
		}
	}
}
