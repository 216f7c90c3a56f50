package swarms

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// startOpen opens e's storage and adds it to the node on a goroutine of its own (opening
// may hash a file), counted in m.openers and, when given, in wg.
func (m *Manager) startOpen(e *entry, wg *sync.WaitGroup) {
	m.startOpenIf(e, wg, nil)
}

// startOpenIf is startOpen when cond, checked under m.mu with the start, holds (nil: always),
// so that two callers cannot both decide to open the same swarm.
func (m *Manager) startOpenIf(e *entry, wg *sync.WaitGroup, cond func() bool) {
	m.mu.Lock()
	if m.closed || (cond != nil && !cond()) {
		m.mu.Unlock()
		return
	}
	e.gen++
	gen, rec, force := e.gen, e.rec, e.force
	e.force = false // once: a later reopen finds the file ours
	e.opening = true
	m.openers.Add(1)
	if wg != nil {
		wg.Add(1)
	}
	m.mu.Unlock()
	go func() {
		defer m.openers.Done()
		if wg != nil {
			defer wg.Done()
		}
		m.open(e, gen, rec, force)
	}()
}

// goCounted runs work on a goroutine that Run's shutdown waits for (m.openers; m.base
// cancels what waits). prepare runs under m.mu, and only while the manager is open; it
// returns the work, or nil for none. It reports whether the work started.
func (m *Manager) goCounted(prepare func() func()) bool {
	m.mu.Lock()
	var work func()
	if !m.closed {
		work = prepare()
	}
	if work != nil {
		m.openers.Add(1)
	}
	m.mu.Unlock()
	if work == nil {
		return false
	}
	go func() {
		defer m.openers.Done()
		work()
	}()
	return true
}

// current reports whether e is still the live entry of generation gen (not removed,
// stopped or reopened since); m.mu must be held.
func (m *Manager) currentLocked(e *entry, gen uint64) bool {
	return !m.closed && e.gen == gen && m.swarms[e.id] == e
}

func (m *Manager) open(e *entry, gen uint64, rec record, force bool) {
	st, err := m.openStore(e, gen, rec, force)
	if err != nil {
		m.mu.Lock()
		current := m.currentLocked(e, gen)
		if current {
			e.opening, e.idle = false, false
			e.setState(StateError, err.Error())
		}
		m.mu.Unlock()
		if current {
			m.log.Error("cannot open swarm", zap.Stringer("swarm", e.id), zap.String("path", rec.Path), zap.Error(err))
			m.emit(EventStateChanged, e, nil)
		}
		return
	}
	m.attach(e, gen, st)
}

// attach hands an opened store to the node, sets the state from what the store holds
// and, for a download, reaches out to the known peers.
func (m *Manager) attach(e *entry, gen uint64, st *storage.Store) {
	m.mu.Lock()
	if !m.currentLocked(e, gen) {
		m.mu.Unlock()
		st.Close()
		return
	}
	e.opening = false
	e.store = st
	e.total = st.NumChunks()
	e.have = uint64(st.VerifiedCount())
	if size, ok := st.Size(); ok {
		e.size = size
	}
	m.mu.Unlock()

	if _, err := m.node.AddSwarm(m.base, engine.NewSwarmConfig(st)); err != nil {
		m.mu.Lock()
		e.store = nil
		e.setState(StateError, fmt.Sprintf("cannot start: %v", err))
		m.mu.Unlock()
		st.Close()
		m.emit(EventStateChanged, e, nil)
		return
	}
	m.mu.Lock()
	if !m.currentLocked(e, gen) {
		if e.store == st {
			e.store = nil
		}
		m.mu.Unlock()
		m.unloadStore(e.id, st, true)
		return
	}
	e.inNode = true
	state := StateDownloading
	if st.Complete() {
		state = StateSeeding
	}
	cold := e.idle // loaded for a peer or a reader: routine, logged quietly
	e.idle = false
	e.quietSince = time.Time{}
	e.setState(state, "")
	e.wake()
	limits := e.rec.Limits
	path := e.rec.Path
	m.mu.Unlock()
	if limits != (Limits{}) {
		if err := m.node.SetRateLimit(m.base, engine.SwarmID(e.id), limits.Up, limits.Down); err != nil {
			m.log.Warn("rate limit", zap.Stringer("swarm", e.id), zap.Error(err))
		}
	}
	if rec := st.Recovery(); rec.CheckpointErr != nil && rec.From != "checkpoint" {
		// Said once, with the file, so that a user who gave wrong parameters before and
		// right ones now knows the old state was not used (issue 16).
		m.log.Warn("checkpoint not used: its parameters do not match this swarm's; it will be replaced",
			zap.Stringer("swarm", e.id), zap.String("checkpoint", e.rec.Checkpoint), zap.Error(rec.CheckpointErr))
	}
	logStart := m.log.Info
	if cold {
		logStart = m.log.Debug
	}
	logStart("swarm started", zap.Stringer("swarm", e.id), zap.Stringer("state", state), zap.String("path", path),
		zap.String("recovered_from", st.Recovery().From))
	if n := st.VerifiedCount(); state == StateDownloading && n > 0 {
		m.log.Info("resuming", zap.Stringer("swarm", e.id), zap.Int("verified_chunks", n), zap.Uint64("of", st.NumChunks()))
	}
	m.emit(EventStateChanged, e, nil)
	if state == StateDownloading {
		m.retryNow(e)
	} else {
		m.materializeLater(e) // completed before a restart, files not yet written (multifile.go)
		m.saveLayersLater(e)  // completed before a restart, layer file not yet written
	}
}

// unloadStore takes a store out of the node (when added) and closes it after a final
// checkpoint.
func (m *Manager) unloadStore(id ID, st *storage.Store, inNode bool) {
	tmp := &entry{id: id, store: st, inNode: inNode}
	m.unload(tmp, "superseded")
}

// openStore opens a record's storage, moving the entry through allocating and
// hash-checking as it goes.
func (m *Manager) openStore(e *entry, gen uint64, rec record, force bool) (*storage.Store, error) {
	p, err := recordParams(rec)
	if err != nil {
		return nil, err
	}
	if seedsFromLayers(rec) {
		return m.openSeedRecord(e, gen, rec, p)
	}
	if fi, err := os.Stat(rec.Path); err == nil && fi.Size() > 0 {
		if _, err := os.Stat(rec.Checkpoint); err != nil {
			m.setStateIfCurrent(e, gen, StateHashChecking)
		}
	}
	return storage.Open(m.base, storage.Options{ContentPath: rec.Path, CheckpointPath: rec.Checkpoint, Root: []byte(e.id), Params: p,
		Force: force})
}

// openSeedRecord reopens a seeded file from its checkpoint (or libswift's .mhash) without
// rehashing; when that is not possible (no checkpoint, or the file changed), it hashes
// the file, which must still give the swarm's ID.
func (m *Manager) openSeedRecord(e *entry, gen uint64, rec record, p hashtree.Params) (*storage.Store, error) {
	opts := storage.Options{ContentPath: rec.Path, CheckpointPath: rec.Checkpoint, Root: []byte(e.id), Params: p, ReadOnly: true,
		OnDemandHashes: m.zeroState()}
	if err := withDirSource(rec, &opts); err != nil {
		return nil, err
	}
	st, err := storage.Open(m.base, opts)
	if err == nil {
		return st, nil
	}
	if opts.OnDemandHashes && errors.Is(err, storage.ErrContentChanged) {
		// Open hashed it again already (storage/layers.go): it no longer gives the ID.
		return nil, fmt.Errorf("%s changed since it was seeded (it no longer hashes to this swarm ID); seed it again to get its new ID: %w", rec.Path, err)
	}
	m.log.Info("rehashing seeded file", zap.String("path", rec.Path), zap.Error(err))
	m.setStateIfCurrent(e, gen, StateHashChecking)
	opts.ReadOnly = false
	if err := withDirSource(rec, &opts); err != nil { // Open closed the first one
		return nil, err
	}
	st, err = storage.Seed(m.base, opts)
	if errors.Is(err, hashtree.ErrHashMismatch) {
		return nil, fmt.Errorf("%s changed since it was seeded (it no longer hashes to this swarm ID); seed it again to get its new ID", rec.Path)
	}
	return st, err
}

func (m *Manager) setStateIfCurrent(e *entry, gen uint64, s State) {
	m.mu.Lock()
	ok := m.currentLocked(e, gen) && e.setState(s, "")
	m.mu.Unlock()
	if ok {
		m.emit(EventStateChanged, e, nil)
	}
}

func recordParams(rec record) (hashtree.Params, error) {
	hf, err := parseHash(rec.Hash)
	if err != nil {
		return hashtree.Params{}, err
	}
	size := rec.Size
	if size <= 0 {
		size = -1
	}
	return hashtree.Params{Hash: hf, ChunkSize: rec.ChunkSize, Size: size}, nil
}

// parseHash reads a hash function name; empty means SHA-1, libswift's only one.
func parseHash(name string) (hashtree.HashFunc, error) {
	if name == "" {
		return hashtree.SHA1, nil
	}
	hf, err := hashtree.ParseHashFunc(name)
	if err != nil {
		return 0, fmt.Errorf("hash function %q: %w", name, err)
	}
	return hf, nil
}

// openSeedFile opens a local file to seed. When libswift left a complete FILE.mhash beside
// it, the swarm ID comes from that file's hashes (checked leaves up to the root) and the
// content is not hashed up front: each chunk is checked against its leaf hash when first
// read, before it goes to a peer. Otherwise the file is hashed on all cores.
func openSeedFile(ctx context.Context, path, checkpoint string, p hashtree.Params, onDemand bool, log *zap.Logger) (*storage.Store, error) {
	if st := openFromMhash(ctx, path, checkpoint, p, onDemand, log); st != nil {
		return st, nil
	}
	st, err := storage.Seed(ctx, storage.Options{ContentPath: path, CheckpointPath: checkpoint, Params: p, OnDemandHashes: onDemand})
	if errors.Is(err, hashtree.ErrEmptyContent) {
		return nil, fmt.Errorf("%s is empty: RFC 7574 defines no swarm ID for empty content", path)
	}
	return st, err
}

// openFromMhash seeds path from its .mhash. With onDemand the .mhash becomes the swarm's
// layer file (storage/layers_adopt.go), so the seed is zero-state like any other.
func openFromMhash(ctx context.Context, path, checkpoint string, p hashtree.Params, onDemand bool, log *zap.Logger) *storage.Store {
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
	st, err := storage.Open(ctx, storage.Options{ContentPath: path, CheckpointPath: checkpoint, Root: root, Params: p, ReadOnly: true,
		OnDemandHashes: onDemand})
	if err != nil {
		log.Info("cannot use libswift .mhash; hashing the file", zap.String("file", path), zap.Error(err))
		return nil
	}
	log.Info("seeding from libswift's .mhash without rehashing", zap.String("file", path), zap.String("from", st.Recovery().From))
	return st
}
