package swarms

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// checkChunkSize applies the one chunk size rule (hashtree.CheckChunkSize); 0 means the
// default, as AddSpec and SeedSpec document.
func checkChunkSize(cs int) (int, error) {
	if cs == 0 {
		return hashtree.DefaultChunkSize, nil
	}
	if cs < 0 || hashtree.CheckChunkSize(uint64(cs)) != nil {
		return 0, fmt.Errorf("chunk size %d: %w", cs, hashtree.CheckChunkSize(0))
	}
	return cs, nil
}

// Add starts downloading a swarm (it is seeded once complete). For a swarm already held
// it adds the spec's peers to it and returns its status with ErrExists. A live swarm ID
// (swarmapi.IsLiveID) is joined as a live stream instead (JoinLive), so that every way a
// link reaches the manager (CMD, HTTP gateway, booster) can name a stream.
func (m *Manager) Add(ctx context.Context, spec AddSpec) (Status, error) {
	if len(spec.ID) == 0 {
		return Status{}, errors.New("no swarm ID")
	}
	if IsLiveID(spec.ID) {
		return m.addLive(ctx, spec)
	}
	hf, err := parseHash(spec.Hash)
	if err != nil {
		return Status{}, err
	}
	if len(spec.ID) != hf.Size() {
		return Status{}, fmt.Errorf("swarm ID has %d bytes; a %v root hash has %d", len(spec.ID), hf, hf.Size())
	}
	cs, err := checkChunkSize(spec.ChunkSize)
	if err != nil {
		return Status{}, err
	}
	peers, err := parsePeers(spec.Peers)
	if err != nil {
		return Status{}, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Status{}, ErrClosed
	}
	if e, ok := m.swarms[spec.ID]; ok {
		added := e.addPeers(peers)
		st := e.status()
		if added {
			m.listDirty = true
		}
		m.mu.Unlock()
		if added {
			m.retryNow(e)
		}
		return st, fmt.Errorf("%w: %v", ErrExists, spec.ID)
	}
	m.mu.Unlock()

	path, err := m.destination(spec)
	if err != nil {
		return Status{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Status{}, fmt.Errorf("destination directory: %w", err)
	}
	ckpt := path + storage.CheckpointExt
	if m.cfg.StateDir != "" {
		ckpt = filepath.Join(m.cfg.StateDir, "checkpoints", spec.ID.String()+storage.CheckpointExt)
		if err := os.MkdirAll(filepath.Dir(ckpt), 0o750); err != nil {
			return Status{}, fmt.Errorf("state directory: %w", err)
		}
	}
	rec := record{
		ID: spec.ID.String(), Kind: kindDownload, Path: path, Checkpoint: ckpt, ChunkSize: cs,
		Hash: hf.String(), Size: max(spec.Size, 0), Limits: spec.Limits, Name: spec.Name, Added: time.Now().UTC(),
	}
	e := &entry{id: spec.ID, rec: rec, state: StateAllocating, size: -1, force: spec.Force}
	m.mu.Lock()
	if e.rec.Limits == (Limits{}) {
		e.rec.Limits = m.swarmDefault
	}
	m.mu.Unlock()
	if spec.Size > 0 {
		e.size = spec.Size
	}
	e.addPeers(peers)
	m.mu.Lock()
	if _, dup := m.swarms[spec.ID]; dup || m.closed {
		m.mu.Unlock()
		return m.Add(context.Background(), spec) // lost a race with another Add: answer as it would
	}
	m.putLocked(e)
	m.listDirty = true
	st := e.status()
	m.mu.Unlock()
	m.log.Info("swarm added", zap.Stringer("swarm", spec.ID), zap.String("path", path), zap.Int("peers", len(peers)))
	m.emit(EventAdded, e, nil)
	m.startOpen(e, nil)
	return st, nil
}

// destination is the content file of a new download. A Dest that names a directory (one
// that exists, or any path ending in "/", as libswift's START destdir) gets the file
// named after the swarm ID inside it.
func (m *Manager) destination(spec AddSpec) (string, error) {
	name := spec.ID.String()
	wantDir := strings.HasSuffix(spec.Dest, "/")
	var p string
	switch {
	case m.cfg.ContentDir == "" && spec.Dest == "":
		return "", errors.New("no destination file given")
	case m.cfg.ContentDir == "":
		abs, err := filepath.Abs(spec.Dest)
		if err != nil {
			return "", err
		}
		p = abs
	default:
		if err := os.MkdirAll(m.cfg.ContentDir, 0o755); err != nil {
			return "", fmt.Errorf("content directory: %w", err)
		}
		dest := spec.Dest
		if dest == "" {
			dest, wantDir = ".", true
		}
		resolved, err := ResolveInside(m.cfg.ContentDir, dest)
		if err != nil {
			return "", err
		}
		p = resolved
	}
	if fi, err := os.Stat(p); wantDir || (err == nil && fi.IsDir()) {
		return filepath.Join(p, name), nil
	}
	return p, nil
}

// Seed hashes a local file (or reads libswift's .mhash beside it) and seeds it. The file
// is only ever read. For a file already seeded it returns the swarm's status with
// ErrExists.
func (m *Manager) Seed(ctx context.Context, spec SeedSpec) (Status, error) {
	hf, err := parseHash(spec.Hash)
	if err != nil {
		return Status{}, err
	}
	cs, err := checkChunkSize(spec.ChunkSize)
	if err != nil {
		return Status{}, err
	}
	path, err := filepath.Abs(spec.Path)
	if err != nil {
		return Status{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Status{}, fmt.Errorf("seed: %w", err)
	}
	if fi.IsDir() {
		return m.seedDir(ctx, spec, path, cs, hf) // multifile.go
	}
	if !fi.Mode().IsRegular() {
		return Status{}, fmt.Errorf("seed: %s is not a regular file", path)
	}
	if ok, why := SeedCandidate(path); !ok {
		return Status{}, fmt.Errorf("seed: not seeding %s: %s", path, why)
	}
	if st, ok := m.seededPath(path, cs, hf); ok {
		return st, fmt.Errorf("%w: %v", ErrExists, st.ID)
	}
	ckpt := m.seedCheckpoint(path)
	ctx, cancel := mergeCancel(ctx, m.base)
	defer cancel()
	st, err := openSeedFile(ctx, path, ckpt, hashtree.Params{Hash: hf, ChunkSize: cs}, m.zeroState(), m.log)
	if err != nil {
		return Status{}, err
	}
	size, _ := st.Size()
	return m.addSeeded(st, record{
		Kind: kindSeed, Path: path, Checkpoint: ckpt, ChunkSize: cs, Hash: hf.String(),
		Size: size, Limits: spec.Limits, Added: time.Now().UTC(),
	})
}

// addSeeded adds a swarm whose store Seed (or seedDir) opened, complete, with its record.
func (m *Manager) addSeeded(st *storage.Store, rec record) (Status, error) {
	id := ID(st.Root())
	rec.ID = id.String()
	e := &entry{id: id, rec: rec, state: StateAllocating, size: rec.Size}
	m.mu.Lock()
	if e.rec.Limits == (Limits{}) {
		e.rec.Limits = m.swarmDefault
	}
	if m.closed {
		m.mu.Unlock()
		st.Close()
		return Status{}, ErrClosed
	}
	if old, ok := m.swarms[id]; ok {
		s := old.status()
		m.mu.Unlock()
		st.Close()
		return s, fmt.Errorf("%w: %v", ErrExists, id)
	}
	m.putLocked(e)
	m.listDirty = true
	e.gen++
	gen := e.gen
	m.mu.Unlock()
	m.emit(EventAdded, e, nil)
	m.attach(e, gen, st)
	return m.Status(id)
}

// seededPath finds the swarm that already seeds path with these parameters, so seeding
// it again (a restart with [seed] paths) does not hash it again.
func (m *Manager) seededPath(path string, cs int, hf hashtree.HashFunc) (Status, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.seeds[seedKey{path, cs, hf.String()}]; ok {
		return e.status(), true
	}
	return Status{}, false
}

// seedCheckpoint is where the checkpoint of a seeded file or directory goes: in the state
// directory, named after its path (its swarm ID is known only once it is hashed), or beside
// it when there is no state directory.
func (m *Manager) seedCheckpoint(path string) string {
	if m.cfg.StateDir == "" {
		return path + storage.CheckpointExt
	}
	sum := sha1.Sum([]byte(path))
	return filepath.Join(m.cfg.StateDir, "seed-"+hex.EncodeToString(sum[:8])+storage.CheckpointExt)
}

// mergeCancel returns a context that ends when either ctx or other ends.
func mergeCancel(ctx, other context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(other, cancel)
	return ctx, func() { stop(); cancel() }
}

// Remove takes a swarm out: its channels are closed, its checkpoint saved, and then, as
// asked, its checkpoint and its downloaded content deleted. A seeded local file is never
// deleted.
func (m *Manager) Remove(_ context.Context, id ID, opts RemoveOptions) error {
	m.mu.Lock()
	e, ok := m.swarms[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w %v", ErrUnknown, id)
	}
	m.dropLocked(e)
	e.gen++ // an opener still running gives up
	e.wake()
	m.listDirty = true
	st := e.status()
	m.mu.Unlock()
	m.unload(e, "removed")
	if e.live != nil {
		// Nothing on disk: its chunks were in memory only (live.go).
		m.log.Info("live swarm removed", zap.Stringer("swarm", id))
		m.subs.publish(Event{Kind: EventRemoved, ID: id, Status: st})
		return nil
	}
	var errs []error
	if opts.DeleteState {
		errs = append(errs, removeIfExists(e.rec.Checkpoint), removeIfExists(e.rec.Checkpoint+storage.LayersExt))
	}
	if opts.DeleteContent {
		if e.rec.Kind == kindSeed {
			m.log.Info("not deleting a seeded local file", zap.String("path", e.rec.Path))
		} else {
			errs = append(errs, removeIfExists(e.rec.Path))
		}
	}
	m.log.Info("swarm removed", zap.Stringer("swarm", id), zap.Bool("state_deleted", opts.DeleteState),
		zap.Bool("content_deleted", opts.DeleteContent && e.rec.Kind != kindSeed))
	m.subs.publish(Event{Kind: EventRemoved, ID: id, Status: st})
	if err := m.saveList(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Stop stops a swarm: it leaves the node, keeps its files and its place in the list, and
// stays stopped across restarts until Resume.
func (m *Manager) Stop(_ context.Context, id ID) error {
	m.mu.Lock()
	e, ok := m.swarms[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if e.live != nil {
		m.mu.Unlock()
		return fmt.Errorf("swarm %v: %w", id, errLiveNoStop)
	}
	e.gen++
	e.rec.Stopped = true
	e.opening, e.idle = false, false
	e.setState(StateStopped, "")
	m.listDirty = true
	m.mu.Unlock()
	m.unload(e, "stopped")
	m.emit(EventStateChanged, e, nil)
	return m.saveList()
}

// Resume starts a stopped swarm again, or retries one in the error state.
func (m *Manager) Resume(_ context.Context, id ID) error {
	m.mu.Lock()
	e, ok := m.swarms[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if e.live != nil {
		m.mu.Unlock()
		return fmt.Errorf("swarm %v: %w", id, errLiveNoStop)
	}
	if e.inNode || e.opening {
		m.mu.Unlock()
		return nil
	}
	e.rec.Stopped = false
	e.setState(StateAllocating, "")
	e.attempts, e.backoff, e.retryAt = 0, 0, time.Time{}
	m.listDirty = true
	m.mu.Unlock()
	m.emit(EventStateChanged, e, nil)
	m.startOpen(e, nil)
	return nil
}

// SetLimits sets a swarm's rate caps, or the global ones when id is empty.
func (m *Manager) SetLimits(ctx context.Context, id ID, l Limits) error {
	if l.Up < 0 || l.Down < 0 {
		return errors.New("rate limits cannot be negative")
	}
	m.mu.Lock()
	inNode := false
	if id == "" {
		m.global = l
	} else {
		e, ok := m.swarms[id]
		if !ok {
			m.mu.Unlock()
			return fmt.Errorf("%w %v", ErrUnknown, id)
		}
		e.rec.Limits = l
		inNode = e.inNode
		m.listDirty = true
	}
	m.mu.Unlock()
	if id == "" || inNode {
		if err := m.node.SetRateLimit(ctx, engine.SwarmID(id), l.Up, l.Down); err != nil {
			return err
		}
	}
	m.log.Info("rate limits set", zap.String("swarm", id.String()), zap.Float64("up", l.Up), zap.Float64("down", l.Down))
	return m.saveList()
}

// GlobalLimits returns the global rate caps.
func (m *Manager) GlobalLimits() Limits {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.global
}

// AddPeers gives a swarm more peers to fetch from (and to retry while none answers).
func (m *Manager) AddPeers(_ context.Context, id ID, peers []string) error {
	addrs, err := parsePeers(peers)
	if err != nil {
		return err
	}
	m.mu.Lock()
	e, ok := m.swarms[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if e.addPeers(addrs) {
		m.listDirty = true
	}
	m.mu.Unlock()
	m.retryNow(e)
	return nil
}

// Peers lists a swarm's established channels.
func (m *Manager) Peers(ctx context.Context, id ID) ([]Peer, error) {
	m.mu.Lock()
	e, ok := m.swarms[id]
	inNode := ok && e.inNode
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if !inNode {
		return nil, nil
	}
	infos, err := m.node.PeerInfos(ctx, engine.SwarmID(id))
	if err != nil {
		return nil, err
	}
	out := make([]Peer, 0, len(infos))
	for _, p := range infos {
		out = append(out, Peer{Addr: p.Addr, RawUp: p.RawUp, RawDown: p.RawDown, Up: p.BytesUp, Down: p.BytesDown,
			HaveChunks: p.HaveChunks, Seeder: p.Seeder})
	}
	return out, nil
}

// addPeers adds new peers to e's known peers and its record; m.mu must be held.
func (e *entry) addPeers(peers []netip.AddrPort) bool {
	added := false
	for _, p := range peers {
		if !slices.Contains(e.peers, p) {
			e.peers = append(e.peers, p)
			e.rec.Peers = append(e.rec.Peers, p.String())
			added = true
		}
	}
	return added
}

func parsePeers(peers []string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, s := range peers {
		p, err := swarmurl.ResolvePeer(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// resolvePeers reads persisted peers, skipping (and logging) any that no longer resolve.
func resolvePeers(peers []string, log *zap.Logger) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range peers {
		p, err := swarmurl.ResolvePeer(s)
		if err != nil {
			log.Warn("dropping a stored peer", zap.String("peer", s), zap.Error(err))
			continue
		}
		out = append(out, p)
	}
	return out
}
