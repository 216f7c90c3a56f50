package swarms

import (
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// Zero-state swarms: memory grows with what is active, not with what is seeded. A complete
// seed — of one file, of a directory (multi-file), from libswift's .mhash, or a download
// that completed — keeps its hashes in a layer file (storage.Options.OnDemandHashes), and
// while idle it is not loaded at all: the manager holds its record and the status it
// shows (state, size, chunk counts, bytes moved), nothing else. It is loaded — store
// opened, swarm added to the node — on the first HANDSHAKE that names it (the node asks
// loadOnHandshake and answers that HANDSHAKE once the swarm is added, node/cold.go) or when
// a reader opens it, and unloaded again after Config.IdleUnload with no channel and no
// reader. A restart brings such swarms back as records only; their content is looked at
// when they are first loaded (a file changed since it was hashed is hashed again, and
// refused unless it still gives the swarm ID: storage/layers.go).

// DefaultIdleUnload is how long a loaded seed stays loaded with no channel and no reader.
const DefaultIdleUnload = 2 * time.Minute

// zeroState reports whether idle seeds are unloaded (Config.IdleUnload not negative).
func (m *Manager) zeroState() bool { return m.cfg.IdleUnload >= 0 }

// coldCapable reports whether a record's swarm may be held unloaded: a seed, or a download
// that completed and has its layer file (record.Layers), not stopped, of known size.
func (m *Manager) coldCapable(r record) bool {
	return m.zeroState() && (r.Kind == kindSeed || r.Kind == kindDownload && r.Layers) &&
		!r.Stopped && r.Size > 0 && r.ChunkSize > 0
}

// seedsFromLayers reports whether a record's swarm is opened as a complete seed, with its
// hashes on demand when zero state is on: a seed, or a download that completed and wrote
// its layer file.
func seedsFromLayers(r record) bool {
	return r.Kind == kindSeed || r.Kind == kindDownload && r.Layers
}

// saveLayersLater writes the layer file of a download that completed, from its verified
// tree (storage.Store.SaveLayers: no rehash), on a goroutine counted in m.openers, and
// then records it (record.Layers), so the swarm is unloaded when idle and comes back after
// a restart as a record only. A failure leaves it a loaded download, as before.
func (m *Manager) saveLayersLater(e *entry) {
	m.goCounted(func() func() {
		st := e.store
		if !m.zeroState() || e.rec.Kind != kindDownload || e.rec.Layers || st == nil || st.OnDemand() {
			return nil
		}
		return func() { m.saveLayers(e, st) }
	})
}

// saveLayers is saveLayersLater's work.
func (m *Manager) saveLayers(e *entry, st *storage.Store) {
	if err := st.SaveLayers(); err != nil {
		if m.base.Err() == nil {
			m.log.Warn("cannot write the layer file of a completed download; it stays loaded",
				zap.Stringer("swarm", e.id), zap.Error(err))
		}
		return
	}
	size, _ := st.Size()
	m.mu.Lock()
	if m.swarms[e.id] == e && e.store == st {
		e.rec.Layers, e.rec.Size = true, size
		m.listDirty = true
	}
	m.mu.Unlock()
	m.log.Debug("completed download's layer file written", zap.Stringer("swarm", e.id))
}

// holdCold makes e a record-only swarm: seeding, every chunk counted, nothing loaded;
// m.mu must be held or e not yet shared.
func (e *entry) holdCold() {
	e.idle = true
	e.state, e.err = StateSeeding, ""
	e.size = e.rec.Size
	e.total = uint64((e.rec.Size + int64(e.rec.ChunkSize) - 1) / int64(e.rec.ChunkSize))
	e.have = e.total
	e.npeers, e.seeders, e.leechers = 0, 0, 0
}

// loadOnHandshake is the node's SwarmLoader: it starts loading swarm id when the manager
// holds it unloaded and reports whether the node should keep the HANDSHAKE for it. It runs
// on the node's loop goroutine, so it only takes m.mu (never held across a node call) and
// starts the load on a goroutine.
func (m *Manager) loadOnHandshake(id engine.SwarmID) bool {
	m.mu.Lock()
	e, ok := m.swarms[ID(id)]
	cold := ok && e.idle && !m.closed
	m.mu.Unlock()
	if cold {
		m.wakeCold(e)
	}
	return cold
}

// wakeCold starts loading e if it is held unloaded and not being loaded already.
func (m *Manager) wakeCold(e *entry) {
	m.startOpenIf(e, nil, func() bool { return e.idle && !e.opening })
}

// unloadIdle unloads the seeds that have been quiet (no channel, no reader) for
// IdleUnload, keeping their records; tick calls it with its time.
func (m *Manager) unloadIdle(now time.Time) {
	if !m.zeroState() {
		return
	}
	var quiet []*entry
	m.mu.Lock()
	for _, e := range m.swarms {
		// A completed download's store keeps its tree in memory; its layer file is
		// written (record.Layers), so the next load reads hashes on demand.
		if !e.inNode || e.idle || e.unloading || e.state != StateSeeding || !m.coldCapable(e.rec) ||
			e.store == nil || !(e.store.OnDemand() || e.rec.Layers) {
			continue
		}
		if e.npeers > 0 || e.readers > 0 || e.quietSince.IsZero() {
			e.quietSince = now
			continue
		}
		if now.Sub(e.quietSince) >= m.cfg.IdleUnload {
			e.unloading = true
			e.gen++ // an opener still running for it gives up
			quiet = append(quiet, e)
		}
	}
	m.mu.Unlock()
	for _, e := range quiet {
		m.unload(e, "idle")
		m.mu.Lock()
		e.unloading = false
		e.upBefore, e.downBefore = e.up, e.down
		e.quietSince = time.Time{}
		if m.swarms[e.id] == e && e.state == StateSeeding {
			e.holdCold()
		}
		m.mu.Unlock()
		m.log.Debug("idle swarm unloaded", zap.Stringer("swarm", e.id))
	}
}
