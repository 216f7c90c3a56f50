package swarms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Live swarms (RFC 7574 §6). A live swarm is named by its source's public key, has no size
// and no end, and keeps only its discard window of chunks (§6.2), in a livebuf.Buffer
// that the engine puts verified chunks in and the HTTP gateway reads. The manager holds live swarms beside static
// ones — they are in List and Status (Status.Live), get events, rates, peers, limits and
// AddPeers (so the DHT finds peers for them as for any swarm), and Remove ends them — but
// they are never written to the swarm list and never restored after a restart: a source
// ends with the process that feeds it (its input is gone), and a peer must join again
// (the stream has moved on; it tunes in at the live edge anyway). They are never unloaded
// when idle, and cannot be stopped and resumed (Stop refuses; Remove them instead).

// Live swarm specs (swarmapi).
type (
	LiveSourceSpec = swarmapi.LiveSourceSpec
	LiveJoinSpec   = swarmapi.LiveJoinSpec
)

// DefaultLiveChunkSize is a live stream's chunk size when none is given (swarmapi).
const DefaultLiveChunkSize = swarmapi.DefaultLiveChunkSize

// ParseLiveIntegrity reads a live integrity method's name ("umt", "signall"; swarmapi).
func ParseLiveIntegrity(s string) (wire.IntegrityMethod, error) {
	return swarmapi.ParseLiveIntegrity(s)
}

// IsLiveID reports whether id names a live swarm (swarmapi.IsLiveID).
func IsLiveID(id ID) bool { return swarmapi.IsLiveID(id) }

// kindLive marks a live swarm's record, which is never persisted.
const kindLive = "live"

// liveEntry is what an entry of a live swarm holds besides the common fields; guarded by
// Manager.mu.
type liveEntry struct {
	source bool
	store  *livebuf.Buffer
	input  *LiveInput // the source's; nil for a peer
	method wire.IntegrityMethod
	window uint64
	// edge is the newest chunk held (injected, or verified from a peer), once edgeOK.
	edge   uint64
	edgeOK bool
	// inputEnded says why the source's feed (AddLiveFeed) stopped; "" while it runs.
	inputEnded string
}

// status fills the live fields of s (see Status.Live).
func (l *liveEntry) status(s *Status) {
	s.Live, s.LiveSource = true, l.source
	s.Size, s.TotalChunks = -1, 0
	s.HaveChunks, s.Have, s.LiveEdge = 0, 0, 0
	if l.edgeOK {
		s.LiveEdge = l.edge
		s.HaveChunks = l.edge + 1
		s.Have = int64(s.HaveChunks) * int64(s.ChunkSize)
	}
	s.LiveIntegrity = swarmapi.LiveIntegrityName(l.method)
	s.LiveWindow = l.window
	if s.Err == "" && l.inputEnded != "" {
		s.Err = l.inputEnded
	}
}

// errLiveNoStop is Stop's and Resume's answer for a live swarm.
var errLiveNoStop = errors.New("a live swarm cannot be stopped and resumed (it is not kept): remove it, then inject or join it again")

// liveParams checks and defaults the parameters both specs share.
func liveParams(method wire.IntegrityMethod, chunkSize int, window uint64) (wire.IntegrityMethod, int, uint64, error) {
	if method == 0 {
		method = wire.IntegrityUnifiedMHT
	}
	if !method.IsLive() {
		return 0, 0, 0, fmt.Errorf("live integrity method %v: want the Unified Merkle Tree or Sign All (RFC 7574 §6.1)", method)
	}
	if chunkSize == 0 {
		chunkSize = swarmapi.DefaultLiveChunkSize
	}
	cs, err := checkChunkSize(chunkSize)
	if err != nil {
		return 0, 0, 0, err
	}
	if window == 0 {
		window = uint64(engine.DefaultLiveWindow)
	}
	return method, cs, window, nil
}

// AddLiveSource makes this node the source of a live stream: the swarm ID is the key's
// public half (RFC 7574 §6.1), and the stream is whatever is written to the LiveInput
// returned (cut into chunks; see LiveInput). The swarm serves peers until it is removed or
// the manager stops; closing the input only ends the stream's growth. It is not persisted
// (see the top of live.go). For a key already injected here it returns the swarm's status
// with ErrExists and no input.
func (m *Manager) AddLiveSource(ctx context.Context, spec LiveSourceSpec) (Status, *LiveInput, error) {
	if spec.Key == nil {
		return Status{}, nil, errors.New("live source: no key (make one with ppsppd keygen)")
	}
	method, cs, window, err := liveParams(spec.Method, spec.ChunkSize, spec.Window)
	if err != nil {
		return Status{}, nil, fmt.Errorf("live source: %w", err)
	}
	id := ID(spec.Key.Public().SwarmID())
	var resume *liveResume
	var first uint64
	if spec.ResumeFile != "" {
		align := spec.ChunksPerSig
		if align == 0 {
			align = live.DefaultChunksPerSig
		}
		if resume, first, err = openLiveResume(spec.ResumeFile, align, m.log); err != nil {
			return Status{}, nil, fmt.Errorf("live source: %w", err)
		}
	}
	le := &liveEntry{source: true, method: method, window: window, store: livebuf.New(cs, window)}
	le.input = newLiveInput(m.base, cs, func(ctx context.Context, chunk []byte) error {
		i, err := m.node.Inject(ctx, engine.SwarmID(id), chunk)
		if err == nil {
			m.liveEdge(id, le, i)
			if resume != nil {
				resume.injected(i)
			}
		}
		return err
	})
	e, st, err := m.putLive(id, le, cs, spec.Name, spec.Limits, nil)
	if err != nil {
		m.closeLive(le)
		return st, nil, err
	}
	cfg := liveConfig(id, le, cs, window)
	cfg.ChunksPerSig = spec.ChunksPerSig
	cfg.Key = spec.Key
	cfg.First = first
	if err := m.startLive(ctx, e, cfg, StateSeeding); err != nil {
		return Status{}, nil, fmt.Errorf("live source %v: %w", id, err)
	}
	m.log.Info("live source started", zap.Stringer("swarm", id), zap.Stringer("integrity", method),
		zap.Int("chunk_size", cs), zap.Uint64("window", window), zap.Uint64("first_chunk", first))
	st, err = m.Status(id)
	return st, le.input, err
}

// AddLiveFeed is AddLiveSource with the stream read from src by a goroutine the manager
// owns, until src ends (io.EOF) or fails, the swarm is removed or the manager stops; src is
// closed then, which also interrupts a read that waits (a followed file, a FIFO). Why the
// feed ended shows in the swarm's Status.Err; the swarm goes on serving its window.
func (m *Manager) AddLiveFeed(ctx context.Context, spec LiveSourceSpec, src io.ReadCloser) (Status, error) {
	st, in, err := m.AddLiveSource(ctx, spec)
	if err != nil {
		src.Close()
		return st, err
	}
	// Run waits for the feed: it ends with m.base through in.ctx.
	started := m.goCounted(func() func() { return func() { m.runLiveFeed(st.ID, in, src) } })
	if !started {
		src.Close()
		return st, ErrClosed
	}
	return st, nil
}

// runLiveFeed copies src into the source's input until either ends, then records why.
func (m *Manager) runLiveFeed(id ID, in *LiveInput, src io.ReadCloser) {
	stop := context.AfterFunc(in.ctx, func() { src.Close() })
	_, err := io.Copy(in, src)
	stop()
	src.Close()
	in.Close()
	m.liveFeedEnded(id, err)
}

// liveFeedEnded records why a source's feed stopped.
func (m *Manager) liveFeedEnded(id ID, err error) {
	why := "input ended; serving the last chunks until removed"
	if err != nil {
		if errors.Is(err, ErrLiveInputClosed) {
			return // removed, or the manager stopped: nothing to tell
		}
		why = "input failed: " + err.Error()
	}
	m.mu.Lock()
	e, ok := m.swarms[id]
	if ok && e.live != nil {
		e.live.inputEnded = why
		e.wake()
	}
	m.mu.Unlock()
	if ok {
		m.log.Info("live input ended", zap.Stringer("swarm", id), zap.String("why", why))
		m.emit(EventStateChanged, e, nil)
	}
}

// JoinLive joins a live stream as a peer: it fetches chunks near the live edge from the
// given peers (and any added later, by AddPeers or the DHT), verifies each against the
// source's signature and relays them. Its chunks are read from LiveStore. It is not
// persisted: after a restart it must be joined again. For a stream already held it adds
// the peers and returns its status with ErrExists.
func (m *Manager) JoinLive(ctx context.Context, spec LiveJoinSpec) (Status, error) {
	if err := swarmapi.CheckLiveID(spec.ID); err != nil {
		return Status{}, err
	}
	method, cs, window, err := liveParams(spec.Method, spec.ChunkSize, spec.Window)
	if err != nil {
		return Status{}, fmt.Errorf("live join: %w", err)
	}
	peers, err := parsePeers(spec.Peers)
	if err != nil {
		return Status{}, err
	}
	le := &liveEntry{method: method, window: window, store: livebuf.New(cs, window)}
	e, st, err := m.putLive(spec.ID, le, cs, spec.Name, spec.Limits, func(e *entry) { e.addPeers(peers) })
	if err != nil {
		m.closeLive(le)
	}
	if errors.Is(err, ErrExists) {
		m.mu.Lock()
		added := e != nil && e.addPeers(peers)
		m.mu.Unlock()
		if added {
			m.retryNow(e)
		}
		return st, err
	}
	if err != nil {
		return st, err
	}
	if err := m.startLive(ctx, e, liveConfig(spec.ID, le, cs, window), StateDownloading); err != nil {
		return Status{}, fmt.Errorf("live join %v: %w", spec.ID, err)
	}
	m.log.Info("live swarm joined", zap.Stringer("swarm", spec.ID), zap.Int("peers", len(peers)))
	m.retryNow(e)
	return m.Status(spec.ID)
}

// putLive adds the entry of a new live swarm, not yet in the node; for one already held it
// returns that entry and its status with ErrExists.
func (m *Manager) putLive(id ID, le *liveEntry, cs int, name string, limits Limits, init func(*entry)) (*entry, Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, Status{}, ErrClosed
	}
	if old, ok := m.swarms[id]; ok {
		if old.live == nil {
			return nil, old.status(), fmt.Errorf("%w: %v (a static swarm with this ID)", ErrExists, id)
		}
		return old, old.status(), fmt.Errorf("%w: %v", ErrExists, id)
	}
	if limits == (Limits{}) {
		limits = m.swarmDefault
	}
	e := &entry{id: id, state: StateAllocating, size: -1, live: le, rec: record{
		ID: id.String(), Kind: kindLive, ChunkSize: cs, Name: name, Limits: limits, Added: time.Now().UTC(),
	}}
	if init != nil {
		init(e)
	}
	m.putLocked(e)
	return e, e.status(), nil
}

// liveConfig is the engine's config for a live swarm.
func liveConfig(id ID, le *liveEntry, cs int, window uint64) engine.LiveSwarmConfig {
	cfg := engine.NewLiveSwarmConfig([]byte(id), le.store)
	cfg.Method = le.method
	cfg.ChunkSize = uint32(cs)
	cfg.Window = live.Window(window)
	return cfg
}

// startLive adds a live swarm's entry to the node. On failure the entry is dropped (it
// was never announced) and its store closed.
func (m *Manager) startLive(ctx context.Context, e *entry, cfg engine.LiveSwarmConfig, state State) error {
	m.mu.Lock()
	e.gen++
	gen := e.gen
	m.mu.Unlock()
	ctx, cancel := mergeCancel(ctx, m.base)
	defer cancel()
	if _, err := m.node.AddLiveSwarm(ctx, cfg); err != nil {
		m.mu.Lock()
		if m.swarms[e.id] == e {
			m.dropLocked(e)
		}
		m.mu.Unlock()
		m.closeLive(e.live)
		return err
	}
	m.mu.Lock()
	if !m.currentLocked(e, gen) {
		// Removed (or the manager stopped) while the node added it.
		m.mu.Unlock()
		m.unload(&entry{id: e.id, inNode: true, live: e.live}, "superseded")
		return fmt.Errorf("%w %v: removed while starting", ErrUnknown, e.id)
	}
	e.inNode = true
	e.setState(state, "")
	limits := e.rec.Limits
	m.mu.Unlock()
	if limits != (Limits{}) {
		if err := m.node.SetRateLimit(m.base, engine.SwarmID(e.id), limits.Up, limits.Down); err != nil {
			m.log.Warn("rate limit", zap.Stringer("swarm", e.id), zap.Error(err))
		}
	}
	m.emit(EventAdded, e, nil)
	m.emit(EventStateChanged, e, nil)
	return nil
}

// liveEdge records that chunk i of live swarm id (whose live part is le) is held; it
// wakes waiters and makes the next tick send a progress event.
func (m *Manager) liveEdge(id ID, le *liveEntry, i uint64) {
	m.mu.Lock()
	if e, ok := m.swarms[id]; ok && e.live == le && (!le.edgeOK || i > le.edge) {
		le.edge, le.edgeOK = i, true
		e.progressed = true
		e.wake()
	}
	m.mu.Unlock()
}

// sampleLiveEdges asks the node for the live edge of each live swarm it holds and returns
// their IDs; tick calls it before taking its snapshot of the entries.
func (m *Manager) sampleLiveEdges(ctx context.Context) []ID {
	m.mu.Lock()
	var lives []*entry
	for _, e := range m.swarms {
		if e.live != nil && e.inNode {
			lives = append(lives, e)
		}
	}
	m.mu.Unlock()
	ids := make([]ID, 0, len(lives))
	for _, e := range lives {
		ids = append(ids, e.id)
		edge, ok, err := m.node.LiveEdge(ctx, engine.SwarmID(e.id))
		if err == nil && ok {
			m.liveEdge(e.id, e.live, edge)
		}
	}
	return ids
}

// closeLive ends a live swarm's input and closes its buffer, which wakes its readers so
// they see the end.
func (m *Manager) closeLive(l *liveEntry) {
	if l.input != nil {
		l.input.shut(ErrLiveInputClosed)
	}
	l.store.Close()
}

// LiveBuffer returns the buffer of live swarm id, from which its verified chunks are read
// (the HTTP gateway's live mode). False for a swarm that is not live or not held.
func (m *Manager) LiveBuffer(id ID) (*livebuf.Buffer, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.swarms[id]
	if !ok || e.live == nil || e.live.store == nil {
		return nil, false
	}
	return e.live.store, true
}

// addLive is Add for a live swarm ID: JoinLive with the spec's peers, chunk size, name and
// limits. A destination or a size makes no sense for a stream and is refused; the hash
// function is the live tree's own (RFC 7574 §6.1.2), so none may be asked for.
func (m *Manager) addLive(ctx context.Context, spec AddSpec) (Status, error) {
	switch {
	case spec.Dest != "":
		return Status{}, fmt.Errorf("swarm %v is a live stream, kept in memory: it takes no destination", spec.ID)
	case spec.Size > 0:
		return Status{}, fmt.Errorf("swarm %v is a live stream: it has no size", spec.ID)
	case spec.Hash != "" && spec.Hash != "sha1":
		return Status{}, fmt.Errorf("swarm %v is a live stream: its hash function is not chosen (hash %q)", spec.ID, spec.Hash)
	}
	return m.JoinLive(ctx, LiveJoinSpec{ID: spec.ID, Peers: spec.Peers, ChunkSize: spec.ChunkSize, Name: spec.Name, Limits: spec.Limits})
}
