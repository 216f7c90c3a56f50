package swarms

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// Config configures a Manager.
type Config struct {
	// Node is the PPSPP node the manager runs (its UDP socket is bound by New).
	Node node.Config
	// StateDir holds the swarm list and checkpoints; empty: nothing is persisted and a
	// download's checkpoint lies beside its content file.
	StateDir string
	// ContentDir is where downloads go by default; AddSpec.Dest must resolve inside it.
	// Empty: downloads need an explicit Dest, which may be anywhere (the CLI).
	ContentDir string
	// Limits are the global rate caps (0: none); SwarmLimits the caps a new swarm gets
	// when its spec sets none.
	Limits, SwarmLimits Limits
	// CheckpointEvery is how often a download's checkpoint is saved while it changes.
	CheckpointEvery time.Duration
	// RetryMin and RetryMax bound the backoff between attempts to reach the known peers
	// of a swarm that has none connected.
	RetryMin, RetryMax time.Duration
	// Tick is how often rates are sampled, peers retried and progress events sent.
	Tick time.Duration
	// IdleUnload is how long a complete seed stays loaded with no channel and no reader
	// before it is held as a record only (zerostate.go); 0 means DefaultIdleUnload, a
	// negative value keeps every swarm loaded (and seeds' hashes in memory).
	IdleUnload time.Duration
	Logger     *zap.Logger
}

func (c *Config) fill() {
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 5 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Minute
	}
	if c.Tick <= 0 {
		c.Tick = 250 * time.Millisecond
	}
	if c.IdleUnload == 0 {
		c.IdleUnload = DefaultIdleUnload
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Manager owns the swarms of one node. Its methods are safe for concurrent use; Run must
// be running for swarms to make progress.
type Manager struct {
	cfg  Config
	log  *zap.Logger
	node *node.Node

	// base is cancelled when Run stops; swarm openers run under it and are counted in
	// openers, so Run can wait for them.
	base    context.Context
	cancel  context.CancelFunc
	openers sync.WaitGroup
	ready   chan struct{}

	mu     sync.Mutex
	swarms map[ID]*entry
	// seeds indexes the seeded files and directories by path and parameters, so that seeding
	// one again (a restart with [seed] paths, a script) is found without a scan (index.go).
	seeds  map[seedKey]*entry
	global Limits
	// swarmDefault is the limit a new swarm gets when its spec sets none.
	swarmDefault Limits
	closed       bool
	// listDirty: the persisted swarm list is out of date. saveMu orders the saves.
	listDirty bool
	saveMu    sync.Mutex

	// playbackOwners numbers the readers' playback windows (the last one handed out).
	playbackOwners engine.PlaybackID

	subs subscribers
	// pings carries watchdog probes into Run's loop (see Ping).
	pings chan chan error
}

// Ping checks that the manager's loop and the node's loop both answer: it is the probe of
// systemd's watchdog, so a stalled loop stops the WATCHDOG=1 pings.
func (m *Manager) Ping(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case m.pings <- reply:
	case <-ctx.Done():
		return fmt.Errorf("swarm manager loop: %w", ctx.Err())
	case <-m.base.Done():
		return ErrClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("node loop: %w", ctx.Err())
	}
}

// SetDefaultSwarmLimits sets the caps that swarms added from now on get when their spec
// sets none.
func (m *Manager) SetDefaultSwarmLimits(l Limits) {
	m.mu.Lock()
	m.swarmDefault = l
	m.mu.Unlock()
}

// New binds the node's socket and returns a manager holding no swarms yet; Run restores
// the persisted ones.
func New(cfg Config) (*Manager, error) {
	cfg.fill()
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	if cfg.Node.Logger == nil {
		cfg.Node.Logger = cfg.Logger
	}
	n, err := node.New(cfg.Node)
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg:          cfg,
		log:          cfg.Logger,
		node:         n,
		base:         base,
		cancel:       cancel,
		ready:        make(chan struct{}),
		swarms:       make(map[ID]*entry),
		seeds:        make(map[seedKey]*entry),
		global:       cfg.Limits,
		swarmDefault: cfg.SwarmLimits,
		pings:        make(chan chan error),
	}
	n.SetSwarmLoader(m.loadOnHandshake) // zerostate.go
	return m, nil
}

// LocalAddr is the node's UDP address.
func (m *Manager) LocalAddr() netip.AddrPort { return m.node.LocalAddr() }

// Ready is closed once Run has started the node and loaded the persisted swarms.
func (m *Manager) Ready() <-chan struct{} { return m.ready }

// Run runs the node and the manager until ctx ends, then saves every checkpoint, closes
// the swarms' channels with an explicit close (RFC 7574 §8.4) and stops the node.
func (m *Manager) Run(ctx context.Context) error {
	nodeCtx, stopNode := context.WithCancel(context.Background())
	nodeDone := make(chan error, 1)
	go func() { nodeDone <- m.node.Run(nodeCtx) }()
	events, unsubscribe := m.node.Subscribe(8192)
	defer unsubscribe()

	if err := m.node.SetRateLimit(ctx, "", m.global.Up, m.global.Down); err != nil {
		m.log.Warn("global rate limit", zap.Error(err))
	}
	restored := m.restore()
	go func() {
		restored.Wait()
		close(m.ready)
	}()

	tick := time.NewTicker(m.cfg.Tick)
	defer tick.Stop()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-nodeDone:
			nodeDone <- err // for shutdown, which waits for it
			runErr = fmt.Errorf("swarm manager: %w", err)
			break loop
		case ev := <-events:
			m.onEngineEvent(ev)
		case now := <-tick.C:
			m.tick(ctx, now)
		case reply := <-m.pings:
			// Answered on a goroutine of its own so a stalled node cannot stall this loop;
			// the probe's deadline bounds it.
			go func() {
				pctx, cancel := context.WithTimeout(m.base, 10*time.Second)
				defer cancel()
				_, err := m.node.Stats(pctx)
				reply <- err
			}()
		}
	}
	m.shutdown()
	stopNode()
	if err := <-nodeDone; err != nil && runErr == nil {
		runErr = err
	}
	m.subs.closeAll()
	return runErr
}

// playbackResetTimeout bounds the call that drops a closed reader's playback window.
const playbackResetTimeout = time.Second

// shutdown stops openers, saves checkpoints, closes channels and the stores.
func (m *Manager) shutdown() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.openers.Wait()

	m.mu.Lock()
	entries := m.sortedLocked()
	m.mu.Unlock()
	for _, e := range entries {
		m.unload(e, "shutdown")
	}
	if err := m.saveList(); err != nil {
		m.log.Error("saving the swarm list", zap.Error(err))
	}
}

// unload takes a swarm out of the node and closes its store, after a final checkpoint.
func (m *Manager) unload(e *entry, why string) {
	m.mu.Lock()
	st, inNode := e.store, e.inNode
	e.store, e.inNode = nil, false
	m.mu.Unlock()
	if inNode {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := m.node.RemoveSwarm(ctx, engine.SwarmID(e.id)); err != nil && !errors.Is(err, node.ErrStopped) {
			m.log.Debug("removing swarm from node", zap.Stringer("swarm", e.id), zap.Error(err))
		}
		cancel()
	}
	if e.live != nil {
		m.closeLive(e.live)
		return
	}
	if st == nil {
		return
	}
	if err := st.Checkpoint(); err != nil {
		m.log.Warn("final checkpoint", zap.Stringer("swarm", e.id), zap.String("why", why), zap.Error(err))
	}
	if err := st.Close(); err != nil {
		m.log.Warn("closing storage", zap.Stringer("swarm", e.id), zap.Error(err))
	}
}

// Status returns one swarm's status.
func (m *Manager) Status(id ID) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.swarms[id]
	if !ok {
		return Status{}, fmt.Errorf("%w %v", ErrUnknown, id)
	}
	return e.status(), nil
}

// List returns every swarm's status, ordered by ID.
func (m *Manager) List() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.swarms))
	for _, e := range m.sortedLocked() {
		out = append(out, e.status())
	}
	return out
}

func (m *Manager) sortedLocked() []*entry {
	out := make([]*entry, 0, len(m.swarms))
	for _, e := range m.swarms {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(string(a.id), string(b.id)) })
	return out
}

// Subscribe returns a channel of swarm events. It is closed when ctx ends or the manager
// stops; a subscriber that does not keep up misses events (Status has the truth).
func (m *Manager) Subscribe(ctx context.Context, buffer int) <-chan Event {
	return m.subs.add(ctx, buffer)
}

// emit sends an event about e to the subscribers. Call without m.mu held.
func (m *Manager) emit(kind EventKind, e *entry, mod func(*Event)) {
	m.mu.Lock()
	ev := Event{Kind: kind, ID: e.id, Status: e.status()}
	m.mu.Unlock()
	if mod != nil {
		mod(&ev)
	}
	m.subs.publish(ev)
}

// Checkpoint saves a swarm's checkpoint now.
func (m *Manager) Checkpoint(_ context.Context, id ID) error {
	m.mu.Lock()
	e, ok := m.swarms[id]
	var st *storage.Store
	if ok && e.store != nil {
		st = e.store
	}
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if st == nil {
		return nil // not loaded: nothing changed since its last checkpoint
	}
	return st.Checkpoint()
}
